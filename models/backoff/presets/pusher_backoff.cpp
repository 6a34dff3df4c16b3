// Checked against pusher/pusher-js 8.x src/core/connection/connection_manager.ts (the `closed`
// callback calls retryIn(1000); startConnecting restarts the strategy), src/core/strategies/
// sequential_strategy.ts (tryStrategy ignores an error while the attempt's timer runs: "advance to
// the next strategy after the timeout"; the timeout doubles per attempt, capped at timeoutLimit) and
// src/runtimes/web/default_strategy.ts (ws loop: loop true, timeout 15000, timeoutLimit 60000).
#include "models/backoff/presets/pusher_backoff.hpp"

#include <algorithm>

#include "models/backoff/backoff_step.hpp"

namespace wsfleet::models {

sim::SimTime PusherBackoff::attempt_timeout_ns(std::uint32_t i) const {
  if (i == 0) return timeout_ns_;
  // min(previous * 2, limit) from the second attempt on: timeout * 2^i until it reaches the limit.
  if (timeout_ns_ >= timeout_limit_ns_) return timeout_limit_ns_;
  return exponential_ceiling_ns(timeout_ns_, timeout_limit_ns_, i);
}

sim::SimTime PusherBackoff::step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const {
  (void)rng;
  if (context.cause == RetryCause::ConnectionLost) {
    state.attempt = 0;  // the next attempt starts a new connection run
    state.last_delay = closed_retry_ns_;
    return closed_retry_ns_;
  }
  const sim::SimTime next_start = context.attempt_started + attempt_timeout_ns(state.attempt);
  const sim::SimTime delay_ns = std::max<sim::SimTime>(0, next_start - context.now);
  record_retry(state, delay_ns);
  return delay_ns;
}

}  // namespace wsfleet::models
