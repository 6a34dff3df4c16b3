// Checked against pladaria/reconnecting-websocket reconnecting-websocket.ts at tag v4.4.0 (DEFAULT:
// maxReconnectionDelay 10000, minReconnectionDelay 1000 + Math.random() * 4000 evaluated at module
// load, minUptime 5000, reconnectionDelayGrowFactor 1.3, maxRetries Infinity; _retryCount starts at
// -1; _connect stops when _retryCount >= maxRetries, then increments it; _getNextDelay is 0 for
// count 0 and min * grow^(count - 1) capped at max otherwise; _handleOpen resets the count to 0 only
// in _acceptOpen, minUptime after the open; reconnect() sets it back to -1).
#include "models/backoff/presets/reconnecting_websocket_backoff.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/backoff/backoff_step.hpp"

namespace wsfleet::models {

void ReconnectingWebSocketBackoff::on_connected(BackoffState& state, sim::SimTime now) const {
  state.last_delay = now;
}

void ReconnectingWebSocketBackoff::on_session_restart(BackoffState& state, sim::SimTime now) const {
  (void)now;
  state.attempt = 0;
}

sim::SimTime ReconnectingWebSocketBackoff::min_delay_ns(BackoffState& state, sim::Rng& rng) const {
  if (min_spread_ns_ == 0) return min_base_ns_;
  if (state.scratch == 0) {
    state.scratch = 1u + static_cast<std::uint32_t>(rng.below(std::numeric_limits<std::uint32_t>::max()));
  }
  const double fraction = std::ldexp(static_cast<double>(state.scratch - 1u), -32);  // uniform on [0, 1)
  return min_base_ns_ + static_cast<sim::SimTime>(std::llround(fraction * static_cast<double>(min_spread_ns_)));
}

bool ReconnectingWebSocketBackoff::count_was_reset(const BackoffState& state, const RetryContext& context) const {
  return context.cause == RetryCause::ConnectionLost && context.now - state.last_delay >= min_uptime_ns_;
}

bool ReconnectingWebSocketBackoff::stops(const BackoffState& state, const RetryContext& context) const {
  const std::uint32_t count = count_was_reset(state, context) ? 0 : state.attempt;
  return max_retries_ != 0 && count >= max_retries_;
}

sim::SimTime ReconnectingWebSocketBackoff::step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const {
  if (count_was_reset(state, context)) state.attempt = 0;
  const sim::SimTime min_ns = min_delay_ns(state, rng);
  const double grown = static_cast<double>(min_ns) * std::pow(grow_, static_cast<double>(state.attempt));
  const sim::SimTime delay_ns =
      grown > static_cast<double>(max_ns_) ? max_ns_ : static_cast<sim::SimTime>(std::llround(grown));
  const sim::SimTime connected_at = state.last_delay;
  record_retry(state, delay_ns);
  state.last_delay = connected_at;  // last_delay keeps the connection time, not the delay
  return delay_ns;
}

}  // namespace wsfleet::models
