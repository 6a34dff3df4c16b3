#include "models/backoff/equal_jitter_backoff.hpp"

#include <algorithm>
#include <limits>

#include "models/backoff/backoff_step.hpp"

namespace wsfleet::models {

sim::SimTime EqualJitterBackoff::next_delay(BackoffState& state, sim::Rng& rng) const {
  const sim::SimTime ceiling_ns = exponential_ceiling_ns(base_ns(), cap_ns(), state.attempt);
  const sim::SimTime half_ns = ceiling_ns - ceiling_ns / 2;  // ceil(v/2): the result never falls below v/2
  const sim::SimTime span_ns = ceiling_ns - half_ns;
  const sim::SimTime delay_ns =
      span_ns > 0 ? half_ns + static_cast<sim::SimTime>(rng.below(static_cast<std::uint64_t>(span_ns))) : half_ns;
  record_retry(state, delay_ns);
  return delay_ns;
}

}  // namespace wsfleet::models
