// Checked against ably/ably-js (2.x) src/common/lib/util/utils.ts (getBackoffCoefficient =
// min((count + 2) / 3, 2), getJitterCoefficient = 1 - random() * 0.2, getRetryTime),
// src/common/lib/transport/connectionmanager.ts (notifyState: disconnectedRetryCount++ on each
// disconnected state and reset on connected/suspended; retryImmediately when leaving connected,
// limited by lastAutoReconnectAttempt to one per 1000 ms; startConnect starts the suspend timer,
// whose expiry after connectionStateTtl moves to suspended; suspended retries after
// suspendedRetryTimeout with no jitter) and src/common/lib/util/defaults.ts (disconnectedRetryTimeout
// 15000, suspendedRetryTimeout 30000, connectionStateTtl 120000).
#include "models/backoff/presets/ably_backoff.hpp"

#include <algorithm>
#include <limits>

namespace wsfleet::models {

namespace {
constexpr std::uint32_t kTimerRunning = 1u;  // the suspend timer runs; last_delay is when it started
constexpr std::uint32_t kSuspended = 2u;     // in the suspended state
constexpr std::uint32_t kAutoKnown = 4u;     // last_delay is also the time of the last immediate reconnect
constexpr sim::SimTime kAutoGapNs = 1000 * sim::kNanosPerMilli;
}  // namespace

void AblyBackoff::on_connected(BackoffState& state, sim::SimTime now) const {
  (void)now;
  state.attempt = 0;
  state.scratch &= ~(kTimerRunning | kSuspended);
}

std::optional<sim::SimTime> AblyBackoff::attempt_abort(const BackoffState& state, sim::SimTime start) const {
  if ((state.scratch & kTimerRunning) == 0 || (state.scratch & kSuspended) != 0) return std::nullopt;
  const sim::SimTime expiry = state.last_delay + state_ttl_ns_;
  if (expiry <= start) return std::nullopt;  // not reached: a retry is scheduled before the expiry
  return expiry - start;
}

sim::SimTime AblyBackoff::step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const {
  const sim::SimTime now = context.now;
  if (context.cause == RetryCause::ConnectionLost) {
    if (state.attempt < std::numeric_limits<std::uint32_t>::max()) ++state.attempt;
    // sinceLast = now - lastAutoReconnectAttempt + 1 (ms); below 1000 the reconnect waits 1000 - sinceLast.
    sim::SimTime delay_ns = 0;
    if ((state.scratch & kAutoKnown) != 0) {
      const sim::SimTime since_ns = now - state.last_delay + sim::kNanosPerMilli;
      if (since_ns < kAutoGapNs) delay_ns = kAutoGapNs - since_ns;
    }
    state.last_delay = now + delay_ns;
    state.scratch |= kAutoKnown;
    return delay_ns;
  }
  if ((state.scratch & kTimerRunning) == 0) {
    // The suspend timer started with the attempt that just failed. Only the immediate reconnect's
    // attempt starts exactly at the last immediate reconnect; an older one can no longer matter (any
    // later reconnect is at least one disconnected retry, > 1 s, away).
    if (state.last_delay != context.attempt_started) state.scratch &= ~kAutoKnown;
    state.last_delay = context.attempt_started;
    state.scratch |= kTimerRunning;
  }
  if ((state.scratch & kSuspended) != 0) return suspended_retry_ns_;
  const sim::SimTime expiry = state.last_delay + state_ttl_ns_;
  sim::SimTime delay_ns = 0;
  if (now < expiry) {
    if (state.attempt < std::numeric_limits<std::uint32_t>::max()) ++state.attempt;
    const double n = static_cast<double>(state.attempt);
    const double factor = std::min((n + 2.0) / 3.0, 2.0) * (1.0 - rng.uniform01() * 0.2);
    delay_ns = static_cast<sim::SimTime>(std::llround(static_cast<double>(disconnected_retry_ns_) * factor));
    if (now + delay_ns < expiry) return delay_ns;
  }
  // The suspend timer fires first: suspended (n = 0), one retry suspended_retry after the expiry.
  state.attempt = 0;
  state.scratch = (state.scratch & ~kTimerRunning) | kSuspended;
  return std::max<sim::SimTime>(0, expiry + suspended_retry_ns_ - now);
}

}  // namespace wsfleet::models
