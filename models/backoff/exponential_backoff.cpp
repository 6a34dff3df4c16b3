#include "models/backoff/exponential_backoff.hpp"

#include <algorithm>
#include <limits>

#include "models/backoff/backoff_step.hpp"

namespace wsfleet::models {

sim::SimTime ExponentialBackoff::next_delay(BackoffState& state, sim::Rng& rng) const {
  (void)rng;
  const sim::SimTime delay_ns = exponential_ceiling_ns(base_ns(), cap_ns(), state.attempt);
  record_retry(state, delay_ns);
  return delay_ns;
}

}  // namespace wsfleet::models
