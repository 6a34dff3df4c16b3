// Checked against phoenixframework/phoenix assets/js/phoenix/socket.js (reconnectAfterMs default;
// onConnOpen resets the reconnect timer; onConnClose schedules it unless the close was clean or had
// code 1000) and assets/js/phoenix/timer.js (scheduleTimeout waits timerCalc(tries + 1)).
// The channels: assets/js/phoenix/channel.js (a channel's joinPush is sent when the socket opens,
// after rejoinTimer.reset(); a join answered "error" or timed out after the push's timeout, the
// socket's `timeout`, DEFAULT_TIMEOUT = 10000 ms in constants.js, sends a leave on timeout and
// schedules rejoinTimer; an "ok" resets it) and socket.js (rejoinAfterMs default
// [1000, 2000, 5000][tries - 1] || 10000).
#include "models/backoff/presets/phoenix_backoff.hpp"

#include <array>

#include "models/backoff/backoff_step.hpp"

namespace wsfleet::models {

namespace {
constexpr std::array<sim::SimTime, 9> kTableMs = {10, 50, 100, 150, 200, 250, 500, 1000, 2000};
constexpr sim::SimTime kAfterTableMs = 5000;
constexpr std::array<sim::SimTime, 3> kRejoinMs = {1000, 2000, 5000};
constexpr sim::SimTime kAfterRejoinMs = 10000;
}  // namespace

std::optional<ChannelRejoin> PhoenixBackoff::channel_rejoin() const {
  if (!rejoin_channels_) return std::nullopt;
  ChannelRejoin r;
  r.join_timeout = join_timeout_;
  for (const sim::SimTime ms : kRejoinMs) r.schedule.push_back(ms * sim::kNanosPerMilli);
  r.after = kAfterRejoinMs * sim::kNanosPerMilli;
  return r;
}

sim::SimTime PhoenixBackoff::step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const {
  (void)rng;
  (void)context;
  const sim::SimTime ms = state.attempt < kTableMs.size() ? kTableMs[state.attempt] : kAfterTableMs;
  const sim::SimTime delay_ns = ms * sim::kNanosPerMilli;
  record_retry(state, delay_ns);
  return delay_ns;
}

}  // namespace wsfleet::models
