#pragma once
// Linux's schedule for the SYNs of an active connect() that gets no answer (net/ipv4/tcp_timer.c,
// tcp_retransmit_timer: the RTO starts at TCP_TIMEOUT_INIT = 1 s and doubles after each
// retransmission; tcp_syn_retries = 6 by default since Linux 3.7). The n-th retransmission goes
// (2^n - 1) s after the first SYN: +1, 3, 7, 15, 31 and 63 s; connect() fails with ETIMEDOUT at
// +127 s. (Linux 6.5's tcp_syn_linear_timeouts, 4 by default, retransmits the first four after 1 s
// each instead; not modelled.) Used for a client's SYN through a link that is down
// (Connections) and for a balancer's connect to a server behind a partition (BalancerTier).
#include <cstdint>
#include <optional>

#include "sim/time.hpp"

namespace wsfleet::models {

/// tcp_syn_retries (Linux's default).
inline constexpr std::uint8_t kSynRetries = 6;
/// When connect() gives up on its own (ETIMEDOUT), after the first SYN.
inline constexpr sim::SimTime kSynGiveUpAfter = 127 * sim::kNanosPerSecond;

/// The time of the next retransmission of a connect whose first SYN left at `first` and which has
/// sent `sent` SYNs (>= 1) so far, if it comes before `deadline` (the caller's own timeout);
/// nullopt: none is left before it.
inline std::optional<sim::SimTime> next_syn_retransmission(sim::SimTime first, std::uint8_t sent, sim::SimTime deadline) {
  if (sent == 0 || sent > kSynRetries) return std::nullopt;
  const sim::SimTime at = first + ((sim::SimTime{1} << sent) - 1) * sim::kNanosPerSecond;
  if (at >= deadline || at >= first + kSynGiveUpAfter) return std::nullopt;
  return at;
}

}  // namespace wsfleet::models
