// Checked against centrifugal/centrifuge-js src/utils.ts (backoff, randomInt) and src/centrifuge.ts
// (minReconnectDelay 500, maxReconnectDelay 20000; _getReconnectDelay uses then increments
// _reconnectAttempts, reset by connect() and on a successful connect reply), v5.7.
#include "models/backoff/presets/centrifuge_backoff.hpp"

#include <algorithm>
#include <cmath>

#include "models/backoff/backoff_step.hpp"

namespace wsfleet::models {

sim::SimTime CentrifugeBackoff::step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const {
  (void)context;
  const double step = static_cast<double>(std::min<std::uint32_t>(state.attempt, 31));
  const double high = std::min(max_ms_, min_ms_ * std::pow(2.0, step));
  const double interval = std::floor(rng.uniform01() * (high + 1.0));  // randInt(0, high)
  const sim::SimTime delay_ns = preset_ms_to_ns(std::min(max_ms_, min_ms_ + interval));
  record_retry(state, delay_ns);
  return delay_ns;
}

}  // namespace wsfleet::models
