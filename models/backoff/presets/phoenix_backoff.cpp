// Checked against phoenixframework/phoenix assets/js/phoenix/socket.js (reconnectAfterMs default;
// onConnOpen resets the reconnect timer; onConnClose schedules it unless the close was clean or had
// code 1000) and assets/js/phoenix/timer.js (scheduleTimeout waits timerCalc(tries + 1)).
#include "models/backoff/presets/phoenix_backoff.hpp"

#include <array>

#include "models/backoff/backoff_step.hpp"

namespace wsfleet::models {

namespace {
constexpr std::array<sim::SimTime, 9> kTableMs = {10, 50, 100, 150, 200, 250, 500, 1000, 2000};
constexpr sim::SimTime kAfterTableMs = 5000;
}  // namespace

sim::SimTime PhoenixBackoff::step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const {
  (void)rng;
  (void)context;
  const sim::SimTime ms = state.attempt < kTableMs.size() ? kTableMs[state.attempt] : kAfterTableMs;
  const sim::SimTime delay_ns = ms * sim::kNanosPerMilli;
  record_retry(state, delay_ns);
  return delay_ns;
}

}  // namespace wsfleet::models
