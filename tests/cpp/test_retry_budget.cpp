// The retry_budget backoff policy: a per-client token bucket paying for retries, checked by hand,
// and the bound it puts on a fleet's retries in a storm.
#include <optional>
#include <string>

#include "fleet_fixtures.hpp"
#include "models/backoff_policy.hpp"
#include "models/fleet.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"
#include "tests/cpp/catch.hpp"

using wsfleet::models::BackoffState;
using wsfleet::models::make_backoff_policy;
using wsfleet::models::RetryCause;
using wsfleet::models::RetryContext;
using wsfleet::sim::from_seconds;
using wsfleet::sim::Rng;
using wsfleet::sim::SimTime;

namespace {
RetryContext at(double seconds) {
  const SimTime t = from_seconds(seconds);
  return RetryContext{t, t, RetryCause::AttemptFailed};
}
}  // namespace

TEST_CASE("retry_budget: retries take tokens, and an empty bucket waits for its refill", "[retry_budget]") {
  // 3 tokens, 1 per retry, 0.5 tokens/s back; jitter below 1 s (base = cap = 1 s).
  auto policy = make_backoff_policy("retry_budget", {{"base_s", 1.0}, {"cap_s", 1.0}, {"budget", 3.0},
                                                      {"retry_cost", 1.0}, {"refill_per_s", 0.5}});
  Rng rng(7);
  BackoffState s;
  for (int k = 0; k < 3; ++k) {  // a full bucket pays three retries at t = 0: jitter only
    const std::optional<SimTime> d = policy->retry_delay(s, rng, at(0.0));
    REQUIRE(d);
    CHECK(*d < from_seconds(1.0));
  }
  // The 4th: no token left; one token takes 2 s to come back.
  CHECK(policy->retry_delay(s, rng, at(0.0)) == from_seconds(2.0));
  // The 5th, still at t = 0: it owes 2 tokens (the 4th took its token in advance): 4 s.
  CHECK(policy->retry_delay(s, rng, at(0.0)) == from_seconds(4.0));
  // 10 s later the bucket has refilled 5 tokens: full again (3), no wait.
  CHECK(*policy->retry_delay(s, rng, at(10.0)) < from_seconds(1.0));
}

TEST_CASE("retry_budget: give up when empty, and refunds on success as the AWS quota does", "[retry_budget]") {
  // No refill; 5 tokens, 2 per retry, 1 back per success, give up when the bucket cannot pay.
  auto policy = make_backoff_policy("retry_budget", {{"budget", 5.0}, {"retry_cost", 2.0}, {"refill_per_s", 0.0},
                                                      {"success_refund", 1.0}, {"when_empty", 1.0}});
  Rng rng(3);
  BackoffState s;
  CHECK(policy->retry_delay(s, rng, at(0.0)));         // 3 left
  CHECK(policy->retry_delay(s, rng, at(1.0)));         // 1 left
  CHECK_FALSE(policy->retry_delay(s, rng, at(2.0)));   // cannot pay 2: gives up
  policy->on_connected(s, from_seconds(3.0));           // 1 + 1 = 2 tokens
  CHECK(s.attempt == 0);
  CHECK(policy->retry_delay(s, rng, at(4.0)));          // 0 left
  CHECK_FALSE(policy->retry_delay(s, rng, at(5.0)));
  // Waiting mode without refill can never pay: it gives up too rather than wait forever.
  auto stuck = make_backoff_policy("retry_budget", {{"budget", 1.0}, {"refill_per_s", 0.0}});
  BackoffState t;
  CHECK(stuck->retry_delay(t, rng, at(0.0)));
  CHECK_FALSE(stuck->retry_delay(t, rng, at(0.0)));
  // Parameters are checked: the cost may not exceed the bucket.
  CHECK_THROWS(make_backoff_policy("retry_budget", {{"budget", 1.0}, {"retry_cost", 2.0}}));
}

TEST_CASE("retry_budget bounds a storm's retries by budget + refill x time per client", "[retry_budget]") {
  // 2000 clients, room for 1000: the other 1000 retry for the whole run. Full jitter alone lets
  // each of them retry about every 15 s once at the cap; the budget allows 2 tokens + 0.05/s.
  wsfleet::models::FleetConfig cfg = wsfleet::testing::small_fleet();
  cfg.fleet.max_connections = 250;
  cfg.backoff.params = {{"base_s", 0.1}, {"cap_s", 1.0}};
  const auto free_run = wsfleet::models::Fleet(cfg).run();
  cfg.backoff.policy = "retry_budget";
  cfg.backoff.params = {{"base_s", 0.1}, {"cap_s", 1.0}, {"budget", 2.0}, {"retry_cost", 1.0}, {"refill_per_s", 0.05}};
  const auto budgeted = wsfleet::models::Fleet(cfg).run();
  REQUIRE(wsfleet::testing::conserved(budgeted));
  const double bound = 2000.0 * (2.0 + 0.05 * cfg.run.duration_s);  // every client, at most
  CHECK(static_cast<double>(budgeted.summary.connections.retries) <= bound);
  CHECK(static_cast<double>(budgeted.summary.connections.retries) >= 0.8 * 1000.0 * (2.0 + 0.05 * 100.0));
  CHECK(free_run.summary.connections.retries > 10 * budgeted.summary.connections.retries);
  CHECK(budgeted.summary.connections.active_at_end == 1000);
  CHECK(budgeted.summary.connections.gave_up == 0);
}

TEST_CASE("circuit_breaker: jitter while closed, the break after `failures` in a row, a trial, reset on success",
          "[retry_budget][circuit_breaker]") {
  auto policy = make_backoff_policy("circuit_breaker", {{"base_s", 1.0}, {"cap_s", 1.0}, {"failures", 3.0}, {"open_s", 30.0}});
  Rng rng(11);
  BackoffState s;
  CHECK(policy->next_delay(s, rng) < from_seconds(1.0));  // 1st failure
  CHECK(policy->next_delay(s, rng) < from_seconds(1.0));  // 2nd
  CHECK(policy->next_delay(s, rng) == from_seconds(30.0));  // 3rd in a row: open for 30 s
  CHECK(policy->next_delay(s, rng) == from_seconds(30.0));  // the trial failed: open again
  policy->on_connected(s, from_seconds(100.0));              // a success closes it
  CHECK(policy->next_delay(s, rng) < from_seconds(1.0));
  CHECK_THROWS(make_backoff_policy("circuit_breaker", {{"failures", 0.0}}));
}
