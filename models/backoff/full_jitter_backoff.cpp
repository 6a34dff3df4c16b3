#include "models/backoff/full_jitter_backoff.hpp"

#include <algorithm>
#include <limits>

#include "models/backoff/backoff_step.hpp"

namespace wsfleet::models {

sim::SimTime FullJitterBackoff::next_delay(BackoffState& state, sim::Rng& rng) const {
  const sim::SimTime ceiling_ns = exponential_ceiling_ns(base_ns(), cap_ns(), state.attempt);
  // Integer draw: exactly uniform over the nanoseconds of [0, v), never v itself.
  const auto delay_ns = static_cast<sim::SimTime>(rng.below(static_cast<std::uint64_t>(ceiling_ns)));
  record_retry(state, delay_ns);
  return delay_ns;
}

}  // namespace wsfleet::models
