#include "models/backoff/circuit_breaker_backoff.hpp"

#include <limits>

#include "models/backoff/backoff_step.hpp"

namespace wsfleet::models {

CircuitBreakerBackoff::CircuitBreakerBackoff(sim::SimTime base_ns, sim::SimTime cap_ns, std::uint32_t failures,
                                             sim::SimTime open_ns, std::uint32_t max_retries)
    : base_ns_(base_ns), cap_ns_(cap_ns), failures_(failures), open_ns_(open_ns), max_retries_(max_retries) {
  check_base_cap("circuit_breaker", base_ns, cap_ns);
}

sim::SimTime CircuitBreakerBackoff::next_delay(BackoffState& state, sim::Rng& rng) const {
  sim::SimTime delay = open_ns_;
  if (!open(state)) {
    const sim::SimTime ceiling_ns = exponential_ceiling_ns(base_ns_, cap_ns_, state.attempt);
    delay = static_cast<sim::SimTime>(rng.below(static_cast<std::uint64_t>(ceiling_ns)));
  }
  record_retry(state, delay);
  return delay;
}

}  // namespace wsfleet::models
