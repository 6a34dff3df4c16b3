// Slow start: a (re)joining backend gets a growing share of its weight (HAProxy linear, Envoy power).
#include "models/balancer/slow_start.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

using namespace wsfleet;
using testing::conserved;
using testing::server_sum;

TEST_CASE("HAProxy's linear ramp: 1/16 at once, then whole seconds over the window", "[balancer][slow_start]") {
  models::SlowStartSection ss;
  ss.window_s = 10.0;
  CHECK(models::slow_start_factor(ss, 0) == Approx(1.0 / 16.0));
  CHECK(models::slow_start_factor(ss, sim::from_seconds(0.9)) == Approx(1.0 / 16.0));  // 1 s granularity
  CHECK(models::slow_start_factor(ss, sim::from_seconds(5.0)) == Approx((16.0 * 5 + 10) / 160.0));
  CHECK(models::slow_start_factor(ss, sim::from_seconds(9.99)) == Approx((16.0 * 9 + 10) / 160.0));
  CHECK(models::slow_start_factor(ss, sim::from_seconds(10.0)) == 1.0);
  ss.window_s = 0.0;
  CHECK(models::slow_start_factor(ss, 0) == 1.0);
}

TEST_CASE("Envoy's power ramp: (t/window)^(1/aggression), floored at min_weight_percent", "[balancer][slow_start]") {
  models::SlowStartSection ss;
  ss.window_s = 10.0;
  ss.curve = models::SlowStartCurve::Power;
  ss.aggression = 1.0;
  ss.min_weight_percent = 10.0;
  CHECK(models::slow_start_factor(ss, 0) == Approx(0.1));
  CHECK(models::slow_start_factor(ss, sim::from_seconds(0.5)) == Approx(0.1));
  CHECK(models::slow_start_factor(ss, sim::from_seconds(5.0)) == Approx(0.5));
  ss.aggression = 2.0;
  CHECK(models::slow_start_factor(ss, sim::from_seconds(2.5)) == Approx(0.5));  // sqrt(0.25)
  CHECK(models::slow_start_factor(ss, sim::from_seconds(10.0)) == 1.0);
}

TEST_CASE("the ramp is recomputed every max(1 s, window / 20)", "[balancer][slow_start]") {
  models::SlowStartSection ss;
  ss.window_s = 10.0;
  CHECK(models::slow_start_next_step(ss, 0) == sim::from_seconds(1.0));
  CHECK(models::slow_start_next_step(ss, sim::from_seconds(1.0)) == sim::from_seconds(2.0));
  ss.window_s = 100.0;
  CHECK(models::slow_start_next_step(ss, sim::from_seconds(7.0)) == sim::from_seconds(10.0));
}

namespace {

// Server 0 crashes at 30 s and is back at 40 s; sessions end and reconnect, so connections keep coming.
models::FleetConfig rejoin(double window_s) {
  auto cfg = testing::small_fleet();
  cfg.balancer.policy = "least_connections";
  cfg.clients.session_s = sim::Distribution::exponential(30.0);
  cfg.clients.on_session_end = models::SessionEnd::Reconnect;
  cfg.faults.push_back(models::CrashFault::of_server(0, 30.0, 10.0));
  cfg.balancer.slow_start.window_s = window_s;
  return cfg;
}

}  // namespace

TEST_CASE("slow start spreads a rejoining server's fill over its window", "[balancer][slow_start]") {
  const auto cold = models::Fleet(rejoin(0.0)).run();
  const auto warm = models::Fleet(rejoin(60.0)).run();
  REQUIRE(conserved(cold));
  REQUIRE(conserved(warm));
  // Without slow start, least connections sends the empty server nearly every new connection at
  // once; with it, the server's weight starts at 1/16 and its share grows over 60 s.
  const double cold_first = server_sum(cold, 0, 40.0, 45.0, "established");
  const double warm_first = server_sum(warm, 0, 40.0, 45.0, "established");
  CHECK(cold_first > 2.0 * warm_first);
  CHECK(warm_first > 0.0);
  // Its share keeps growing during the window.
  CHECK(server_sum(warm, 0, 70.0, 75.0, "established") > warm_first);
}
