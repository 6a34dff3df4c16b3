#pragma once
// Helpers shared by the backoff preset tests (test_backoff_presets.cpp, test_presets_in_runs.cpp):
// time units, the retry contexts of a lost connection and of a failed attempt, and one retry's delay.
#include <optional>

#include "models/backoff_policy.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"
#include "tests/cpp/catch.hpp"

namespace wsfleet::testing {

constexpr sim::SimTime kS = sim::kNanosPerSecond;
constexpr sim::SimTime kMs = sim::kNanosPerMilli;

/// A connection lost at `now` (it had been up).
inline models::RetryContext lost(sim::SimTime now) { return {now, now, models::RetryCause::ConnectionLost}; }

/// An attempt started at `started` that failed at `now`.
inline models::RetryContext failed(sim::SimTime now, sim::SimTime started) {
  return {now, started, models::RetryCause::AttemptFailed};
}

/// An attempt that failed as it started.
inline models::RetryContext failed_at(sim::SimTime now) { return failed(now, now); }

/// The delay before the next retry; the policy must retry.
inline sim::SimTime retry(const models::BackoffPolicy& policy, models::BackoffState& state, sim::Rng& rng,
                          const models::RetryContext& context) {
  const std::optional<sim::SimTime> d = policy.retry_delay(state, rng, context);
  REQUIRE(d.has_value());
  return *d;
}

}  // namespace wsfleet::testing
