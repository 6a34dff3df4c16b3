#include "models/backoff/exponential_backoff.hpp"

#include <algorithm>
#include <limits>

#include "models/backoff/backoff_step.hpp"

namespace wsfleet::models {

ExponentialBackoff::ExponentialBackoff(sim::SimTime base_ns, sim::SimTime cap_ns, std::uint32_t max_retries)
    : base_ns_(base_ns), cap_ns_(cap_ns), max_retries_(max_retries) {
  check_base_cap("exponential", base_ns_, cap_ns_);
}

sim::SimTime ExponentialBackoff::next_delay(BackoffState& state, sim::Rng& rng) const {
  (void)rng;
  const sim::SimTime delay_ns = exponential_ceiling_ns(base_ns_, cap_ns_, state.attempt);
  record_retry(state, delay_ns);
  return delay_ns;
}

}  // namespace wsfleet::models
