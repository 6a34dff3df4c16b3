// The balancer tier as a component, alone: no clients, no connections, no faults — a FleetState, the
// servers and the balancers on one simulator. Health checks, passive detection and slow start are
// observed on the tier's own view of its backends.
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"
#include "tests/cpp/tier_fixture.hpp"

using namespace wsfleet;

namespace {

/// Servers and balancers of a small fleet, and nothing else.
struct TierAlone : testing::PoolAndTier {
  using PoolAndTier::PoolAndTier;
  /// Balancer 0's blocks on backend `b`.
  unsigned blocks(int b) const { return tier->nodes()[0].lb->blocks(b); }
  bool down(int b) const { return (blocks(b) & models::LoadBalancer::kBlockDown) != 0; }
};

models::FleetConfig checked_fleet() {
  auto cfg = testing::small_fleet();
  cfg.balancer.policy = "round_robin";
  cfg.balancer.health_check.mode = models::HealthCheckMode::Active;
  cfg.balancer.health_check.interval_s = 2.0;
  cfg.balancer.health_check.timeout_s = 1.0;
  cfg.balancer.health_check.fall = 3;
  cfg.balancer.health_check.rise = 2;
  return cfg;
}

}  // namespace

TEST_CASE("balancer tier alone: a dead backend is marked down after `fall` failed probes, and back after `rise`",
          "[balancer][tier]") {
  TierAlone t(checked_fleet());
  t.tier->start_health_checks();
  t.st.servers[1].up = false;  // refuses every probe from t = 0
  // Probes start at a random phase in [0, 2 s): the third failure comes between 4 and 6 s.
  t.sim.run_until(sim::from_seconds(3.999));
  CHECK_FALSE(t.down(1));
  t.sim.run_until(sim::from_seconds(6.0));
  CHECK(t.down(1));
  CHECK_FALSE(t.down(0));
  CHECK(t.tier->nodes()[0].counts.marked_down == 1);
  t.st.servers[1].up = true;  // from 6 s on it answers: two passes, within 2 to 4 s
  t.sim.run_until(sim::from_seconds(7.999));
  CHECK(t.down(1));
  t.sim.run_until(sim::from_seconds(10.0));
  CHECK_FALSE(t.down(1));
}

TEST_CASE("balancer tier alone: a new connection skips a backend it knows is down, and one it does not know fails over",
          "[balancer][tier]") {
  auto cfg = checked_fleet();
  cfg.balancer.tries = 0;  // try every backend
  TierAlone t(cfg);
  t.st.servers[2].up = false;  // not yet detected: no checks have run
  int routed[4] = {0, 0, 0, 0};
  for (std::uint32_t c = 0; c < 8; ++c) {
    const models::Route r = t.tier->connect(c);
    REQUIRE_FALSE(r.refusal);
    ++routed[r.server];
  }
  CHECK(routed[2] == 0);  // the tries that reached it failed over to the next
  CHECK(t.tier->nodes()[0].counts.failed_tries >= 1);
  CHECK(t.st.servers[2].interval.failed == t.tier->nodes()[0].counts.failed_tries);
  CHECK(routed[0] + routed[1] + routed[3] == 8);
}

TEST_CASE("balancer tier alone: slow start ramps a returning backend's weight over its window", "[balancer][tier]") {
  auto cfg = checked_fleet();
  cfg.balancer.slow_start.window_s = 20.0;
  TierAlone t(cfg);
  t.tier->start_health_checks();
  t.st.servers[3].up = false;
  t.sim.run_until(sim::from_seconds(10.0));
  REQUIRE(t.down(3));
  t.st.servers[3].up = true;
  t.sim.run_until(sim::from_seconds(14.0));  // back (rise = 2 passes) at 12-14 s: early in its ramp
  REQUIRE_FALSE(t.down(3));
  const double early = t.tier->nodes()[0].lb->backends()[3].weight;
  CHECK(early < 0.5);
  t.sim.run_until(sim::from_seconds(40.0));  // past the window
  CHECK(t.tier->nodes()[0].lb->backends()[3].weight == 1.0);
}
