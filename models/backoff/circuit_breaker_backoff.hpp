#pragma once
// A client-side circuit breaker around reconnects, as Polly's basic circuit breaker runs it
// (App-vNext/Polly: exceptionsAllowedBeforeBreaking, durationOfBreak; after the break one trial
// call, half-open: its failure breaks again, its success closes the circuit). While closed, the
// client retries with full jitter; after `failures` consecutive failed attempts the circuit opens
// and the client makes no attempt for `open_s`; then one trial attempt: failing, it waits
// `open_s` again; a successful connection closes the circuit.
#include <cstdint>
#include <string>

#include "models/backoff_policy.hpp"

namespace wsfleet::models {

/// `circuit_breaker`. State: attempt = consecutive failures since the last success.
class CircuitBreakerBackoff final : public BackoffPolicy {
 public:
  CircuitBreakerBackoff(sim::SimTime base_ns, sim::SimTime cap_ns, std::uint32_t failures, sim::SimTime open_ns,
                        std::uint32_t max_retries);
  std::string name() const override { return "circuit_breaker"; }
  /// Full jitter while fewer than `failures` attempts failed in a row, else the break (open_s).
  sim::SimTime next_delay(BackoffState& state, sim::Rng& rng) const override;
  std::uint32_t max_retries() const override { return max_retries_; }
  /// True when the circuit is open for a client in `state` (its next attempt is a trial after the break).
  bool open(const BackoffState& state) const { return state.attempt + 1 >= failures_; }

 private:
  sim::SimTime base_ns_, cap_ns_;
  std::uint32_t failures_;
  sim::SimTime open_ns_;
  std::uint32_t max_retries_;
};

}  // namespace wsfleet::models
