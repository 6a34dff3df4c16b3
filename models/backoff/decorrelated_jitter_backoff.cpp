#include "models/backoff/decorrelated_jitter_backoff.hpp"

#include <algorithm>
#include <limits>

#include "models/backoff/backoff_step.hpp"

namespace wsfleet::models {

sim::SimTime DecorrelatedJitterBackoff::next_delay(BackoffState& state, sim::Rng& rng) const {
  const sim::SimTime previous_ns = state.last_delay > 0 ? state.last_delay : base_ns();
  // Our own delays never exceed cap (<= 86400 s), but a state may come from elsewhere: saturate 3 * prev.
  const sim::SimTime upper_ns =
      previous_ns > std::numeric_limits<sim::SimTime>::max() / 3 ? std::numeric_limits<sim::SimTime>::max() : 3 * previous_ns;
  // If prev < base/3 (a state left by another policy) the range is empty: use base.
  const sim::SimTime drawn_ns =
      upper_ns > base_ns()
          ? base_ns() + static_cast<sim::SimTime>(rng.below(static_cast<std::uint64_t>(upper_ns - base_ns())))
          : base_ns();
  const sim::SimTime delay_ns = std::min(cap_ns(), drawn_ns);
  record_retry(state, delay_ns);
  return delay_ns;
}

}  // namespace wsfleet::models
