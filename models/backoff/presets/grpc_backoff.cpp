// Checked against grpc/grpc doc/connection-backoff.md (ConnectWithBackoff: current_deadline = now +
// INITIAL_BACKOFF for the first attempt; after a failure SleepUntil(current_deadline), then
// current_backoff = min(current_backoff * MULTIPLIER, MAX_BACKOFF) and current_deadline = now +
// current_backoff + UniformRandom(-JITTER * current_backoff, JITTER * current_backoff); INITIAL_BACKOFF
// 1 s, MULTIPLIER 1.6, JITTER 0.2, MAX_BACKOFF 120 s, MIN_CONNECT_TIMEOUT 20 s; "Reset Backoff" when a
// connection is accepted). Implementations: grpc/grpc-java ExponentialBackoffPolicy.nextBackoffMillis
// returns current + uniformRandom(-jitter * current, jitter * current) from the first call on (the
// first backoff is jittered too: 0.8-1.2 s), and InternalSubchannel waits that less the time since the
// attempt started; C-core's BackOff does the same. grpc-go's backoff.Exponential returns BaseDelay
// unjittered for retries == 0 and the transport sleeps that after the failed attempt returns.
#include "models/backoff/presets/grpc_backoff.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace wsfleet::models {

sim::SimTime GrpcBackoff::unjittered_ns(std::uint32_t i) const {
  double b = static_cast<double>(initial_ns_);
  const double cap = static_cast<double>(max_ns_);
  for (std::uint32_t k = 0; k < i && b < cap; ++k) b = std::min(b * multiplier_, cap);
  return static_cast<sim::SimTime>(std::llround(b));
}

sim::SimTime GrpcBackoff::step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const {
  if (context.cause == RetryCause::ConnectionLost) {
    state.attempt = 0;  // a new run: its first attempt starts now
    state.last_delay = initial_ns_;
    return 0;
  }
  sim::SimTime current_ns = state.last_delay;
  if (state.attempt == 0) current_ns = jitter_first_ ? jittered_ns(static_cast<double>(initial_ns_), rng) : initial_ns_;
  const sim::SimTime from_ns = from_attempt_start_ ? context.attempt_started : context.now;
  const sim::SimTime delay_ns = std::max<sim::SimTime>(0, from_ns + current_ns - context.now);
  // The next attempt's backoff, jittered.
  const std::uint32_t next = state.attempt < std::numeric_limits<std::uint32_t>::max() ? state.attempt + 1 : state.attempt;
  state.last_delay = jittered_ns(static_cast<double>(unjittered_ns(next)), rng);
  state.attempt = next;
  return delay_ns;
}

std::optional<sim::SimTime> GrpcBackoff::attempt_timeout(const BackoffState& state) const {
  // state.last_delay holds the current attempt's jittered backoff once a run's first attempt failed
  // (attempt > 0); before that (a new client, or a run started by a lost connection) it is initial.
  const sim::SimTime backoff_ns = state.attempt == 0 ? initial_ns_ : state.last_delay;
  return std::max(min_connect_timeout_ns_, backoff_ns);
}

sim::SimTime GrpcBackoff::jittered_ns(double b, sim::Rng& rng) const {
  return static_cast<sim::SimTime>(std::llround(b + rng.uniform(-jitter_ * b, jitter_ * b)));
}

}  // namespace wsfleet::models
