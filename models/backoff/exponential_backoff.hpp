#pragma once
// Capped exponential backoff without jitter.
#include <cstdint>

#include "models/backoff/capped_backoff.hpp"

namespace wsfleet::models {

/// `exponential`: retry n (0 = first) waits min(cap, base * 2^n).
class ExponentialBackoff final : public CappedBackoff {
 public:
  /// `base_ns` > 0 and `cap_ns` >= base_ns, in ns; `max_retries`: 0 = unlimited.
  ExponentialBackoff(sim::SimTime base_ns, sim::SimTime cap_ns, std::uint32_t max_retries)
      : CappedBackoff("exponential", base_ns, cap_ns, max_retries) {}
  /// min(cap_ns, base_ns * 2^n) with n = state.attempt; advances `state`.
  sim::SimTime next_delay(BackoffState& state, sim::Rng& rng) const override;
};

}  // namespace wsfleet::models
