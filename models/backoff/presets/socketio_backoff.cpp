// Checked against socketio/socket.io-client lib/contrib/backo2.ts (Backoff.duration) and
// lib/manager.ts (defaults reconnectionDelay 1000, reconnectionDelayMax 5000, randomizationFactor 0.5,
// reconnectionAttempts Infinity; backoff.reset() in onclose and onreconnect), v4.7.5.
#include "models/backoff/presets/socketio_backoff.hpp"

#include <algorithm>
#include <cmath>

#include "models/backoff/backoff_step.hpp"

namespace wsfleet::models {

SocketIoBackoff::SocketIoBackoff(double min_ms, double max_ms, double jitter, std::uint32_t max_retries)
    : ClientPreset("socketio"), min_ms_(min_ms), max_ms_(max_ms), jitter_(jitter), max_retries_(max_retries) {}

sim::SimTime SocketIoBackoff::step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const {
  (void)context;
  double ms = min_ms_ * std::pow(2.0, static_cast<double>(state.attempt));  // +Infinity once it overflows
  if (jitter_ > 0) {
    const double r = rng.uniform01();
    const double deviation = std::floor(r * jitter_ * ms);  // NaN when r = 0 and ms = Infinity
    const bool lower = (static_cast<int>(std::floor(r * 10.0)) & 1) == 0;
    ms = lower ? ms - deviation : ms + deviation;
  }
  // Math.min(NaN, max) is NaN and NaN | 0 is 0; otherwise the result is in [0, max], truncated.
  const double capped = std::isnan(ms) ? 0.0 : std::min(ms, max_ms_);
  const sim::SimTime delay_ns = static_cast<sim::SimTime>(std::trunc(capped)) * sim::kNanosPerMilli;
  record_retry(state, delay_ns);
  return delay_ns;
}

}  // namespace wsfleet::models
