// Envoy's outlier detection and panic threshold (the envoy_* presets' balancer-side parameters), against
// outlier_detection_impl.cc (ejectHost, checkHostForUneject, onIntervalTimer) and
// load_balancer_impl.cc (isHostSetInPanic); the sequences are computed by hand.
#include "catch.hpp"
#include "fleet_fixtures.hpp"
#include "models/balancer/balancer_defaults.hpp"
#include "models/balancer/envoy_outlier.hpp"
#include "models/balancing_policy.hpp"
#include "models/fleet.hpp"

using namespace wsfleet;
using models::EnvoyOutlier;
using wsfleet::testing::conserved;

namespace {

constexpr sim::SimTime kS = sim::kNanosPerSecond;

EnvoyOutlier outlier(const models::Params& params = {}) {
  const auto o = EnvoyOutlier::of("envoy_round_robin", params);
  REQUIRE(o.has_value());
  return *o;
}

}  // namespace

TEST_CASE("Envoy outlier detection: off unless configured, the proto's defaults otherwise", "[envoy]") {
  CHECK_FALSE(EnvoyOutlier::of("haproxy_roundrobin", {}).has_value());
  const EnvoyOutlier d = outlier();
  CHECK(d.consecutive_5xx == 0);  // no outlier_detection in the cluster: none
  CHECK(d.interval == 10 * kS);
  CHECK(d.base_ejection == 30 * kS);
  CHECK(d.max_ejection == 300 * kS);
  CHECK(d.max_ejection_percent == 10.0);
  CHECK_FALSE(d.always_eject_one_host);
  CHECK(d.healthy_panic_threshold == 50.0);
  CHECK(models::balancer_defaults("envoy_maglev").passive.max_fails == 0);
  // max_ejection_time below base_ejection_time: the base.
  CHECK(outlier({{"base_ejection_time_s", 600.0}}).max_ejection == 600 * kS);
  CHECK_NOTHROW(models::make_balancing_policy("envoy_maglev", {{"consecutive_5xx", 5.0}, {"healthy_panic_threshold", 0.0}}));
  CHECK_THROWS_AS(models::make_balancing_policy("envoy_random", {{"max_ejection_percent", 101.0}}), models::ParamError);
}

TEST_CASE("Envoy ejects at most max_ejection_percent of the hosts", "[envoy]") {
  const EnvoyOutlier d = outlier({{"consecutive_5xx", 5.0}});
  // 100 * (ejected + 1) / hosts <= 10.
  CHECK(d.may_eject(0, 10));
  CHECK_FALSE(d.may_eject(1, 10));
  CHECK(d.may_eject(1, 20));
  CHECK_FALSE(d.may_eject(2, 20));
  CHECK_FALSE(d.may_eject(0, 4));  // 25 % > 10 %: below 10 hosts nothing is ejected...
  const EnvoyOutlier one = outlier({{"consecutive_5xx", 5.0}, {"always_eject_one_host", 1.0}});
  CHECK(one.may_eject(0, 4));       // ... unless always_eject_one_host
  CHECK_FALSE(one.may_eject(1, 4));
  const EnvoyOutlier half = outlier({{"consecutive_5xx", 5.0}, {"max_ejection_percent", 50.0}});
  CHECK(half.may_eject(1, 4));
  CHECK_FALSE(half.may_eject(2, 4));
}

TEST_CASE("Envoy's ejection time grows by the base per ejection up to max_ejection_time", "[envoy]") {
  const EnvoyOutlier d = outlier({{"consecutive_5xx", 5.0}});
  // backoff + 1 while backoff * 30 s < 300 s + 30 s: 1, 2, ..., 11, then it stays.
  std::uint32_t backoff = 0;
  std::vector<double> times;
  for (int k = 0; k < 13; ++k) {
    backoff = d.next_backoff(backoff);
    times.push_back(sim::to_seconds(d.ejection_time(backoff)));
  }
  CHECK(backoff == 11);
  CHECK(times == std::vector<double>{30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 300, 300, 300});
}

TEST_CASE("Envoy's panic threshold: below 50 % healthy hosts it routes to all", "[envoy]") {
  const EnvoyOutlier d = outlier();
  CHECK_FALSE(d.panic(2, 4));  // 50 % is not below 50 %
  CHECK(d.panic(1, 4));
  CHECK_FALSE(d.panic(5, 10));
  CHECK(d.panic(4, 10));
  CHECK_FALSE(outlier({{"healthy_panic_threshold", 0.0}}).panic(0, 4));
}

namespace {

/// Ten servers behind Envoy round robin without health checks; server 3 crashes at 1 s for good;
/// 10,000 clients arrive over 100 s (100 a second).
models::FleetConfig one_dead_of_ten(const models::Params& params) {
  models::FleetConfig cfg;
  cfg.name = "envoy outlier";
  cfg.run.duration_s = 100.0;
  cfg.run.seed = 8;
  cfg.fleet.servers = 10;
  cfg.clients.count = 10000;
  cfg.clients.ramp_s = 100.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.balancer.policy = "envoy_round_robin";
  cfg.balancer.params = params;
  cfg.balancer.params["random_start"] = 0.0;
  cfg.balancer.health_check.mode = models::HealthCheckMode::None;
  cfg.balancer.passive.max_fails = 0;
  cfg.faults.push_back(models::CrashFault::of_server(3, 1.0));
  return cfg;
}

}  // namespace

TEST_CASE("in a run, Envoy ejects a dead host after 5 failures and retries it after 30 s x ejections", "[envoy][fleet]") {
  // Round robin sends every 10th connection to server 3: its 5th failure (about 1.5 s) ejects it;
  // the interval tick at 40 s is the first 30 s after that: back, 5 more failures eject it again,
  // now for 60 s (past the end). 10 failed tries, 2 ejections.
  const auto r = models::Fleet(one_dead_of_ten({{"consecutive_5xx", 5.0}})).run();
  REQUIRE(conserved(r));
  CHECK(r.summary.balancers.at(0).failed_tries == 10);
  CHECK(r.summary.balancers.at(0).marked_down == 2);
  // Without outlier detection (Envoy's default) every pick of the dead host fails, all run long.
  const auto off = models::Fleet(one_dead_of_ten({})).run();
  REQUIRE(conserved(off));
  CHECK(off.summary.balancers.at(0).marked_down == 0);
  CHECK(off.summary.balancers.at(0).failed_tries > 900);  // about a tenth of 10,000 first tries, plus retries
  // Two dead hosts of ten: only one may be ejected at a time (10 %), so the other keeps failing.
  auto two = one_dead_of_ten({{"consecutive_5xx", 5.0}});
  two.faults.push_back(models::CrashFault::of_server(7, 1.0));
  const auto t = models::Fleet(two).run();
  REQUIRE(conserved(t));
  CHECK(t.summary.balancers.at(0).failed_tries > 900);
}

namespace {

/// Four servers behind Envoy round robin whose balancer knows at once which are down (an oracle
/// standing in for active checks); `dead` of them crash at 0.5 s.
models::FleetConfig dead_of_four(std::uint32_t dead, double panic_threshold) {
  models::FleetConfig cfg;
  cfg.name = "envoy panic";
  cfg.run.duration_s = 30.0;
  cfg.run.seed = 9;
  cfg.fleet.servers = 4;
  cfg.clients.count = 400;
  cfg.clients.ramp_s = 20.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.balancer.policy = "envoy_round_robin";
  cfg.balancer.params = {{"healthy_panic_threshold", panic_threshold}};
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;
  cfg.balancer.passive.max_fails = 0;
  for (std::uint32_t s = 1; s <= dead; ++s) cfg.faults.push_back(models::CrashFault::of_server(s, 0.5));
  return cfg;
}

}  // namespace

TEST_CASE("in a run, Envoy below its panic threshold sends connections to dead hosts too", "[envoy][fleet]") {
  // 1 healthy host of 4 (25 % < 50 %): panic, picks over all four, three of them dead.
  const auto panic = models::Fleet(dead_of_four(3, 50.0)).run();
  REQUIRE(conserved(panic));
  CHECK(panic.summary.connections.failed_backend_down > 100);  // each attempt fails 3 times in 4
  // 2 of 4 healthy (50 %): no panic, only the live hosts are picked.
  const auto half = models::Fleet(dead_of_four(2, 50.0)).run();
  REQUIRE(conserved(half));
  CHECK(half.summary.connections.failed_backend_down == 0);
  // healthy_panic_threshold = 0: never in panic.
  const auto never = models::Fleet(dead_of_four(3, 0.0)).run();
  REQUIRE(conserved(never));
  CHECK(never.summary.connections.failed_backend_down == 0);
}
