// Load shedding and admission control: a server that refuses cheaply stays up where the same
// server without it collapses; rebalancing moves connections onto servers added by a scale-out.
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

using namespace wsfleet;
using testing::conserved;
using testing::server_at;

namespace {

// Two of four servers crash; their 4000 clients retry every second onto the two survivors, whose
// single cores handle 200 handshakes a second (5 ms each) and whose clients give up on a handshake
// after 2 s. Without protection the survivors queue far more work than they can do, every
// handshake times out after its work was paid for, and the retries keep the queue full.
models::FleetConfig storm(double shed_backlog_ms) {
  auto cfg = testing::small_fleet();
  cfg.run.duration_s = 180.0;
  cfg.clients.count = 8000;
  cfg.clients.ramp_s = 50.0;
  cfg.clients.messages_per_minute = 1.0;
  cfg.clients.connect_timeout_s = 2.0;
  cfg.fleet.max_connections = 4000;
  cfg.fleet.cpu.handshake_us = 5000.0;
  cfg.backoff.policy = "constant";
  cfg.backoff.params = {{"delay_s", 1.0}};
  cfg.balancer.policy = "round_robin";
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;
  cfg.faults.push_back(models::CrashFault::of_server(0, 60.0));
  cfg.faults.push_back(models::CrashFault::of_server(1, 60.0));
  cfg.fleet.admission.reject_above_backlog_ms = shed_backlog_ms;
  cfg.fleet.admission.retry_after_s = 1.0;
  return cfg;
}

}  // namespace

TEST_CASE("admission control keeps a fleet up through a retry storm that collapses it without", "[shedding]") {
  const auto collapsed = models::Fleet(storm(0.0)).run();
  const auto shed = models::Fleet(storm(500.0)).run();
  REQUIRE(conserved(collapsed));
  REQUIRE(conserved(shed));
  // Without: nearly every retry times out, for as long as the run lasts.
  CHECK_FALSE(collapsed.summary.faults[0].reconnected_within_s.has_value());
  CHECK(collapsed.summary.connections.failed_timeout > 50000);
  CHECK(collapsed.summary.connections.active_at_end < 6000);
  // With: cheap refusals keep the queue short; the survivors take their 200 a second until all are back.
  REQUIRE(shed.summary.faults[0].reconnected_within_s.has_value());
  CHECK(*shed.summary.faults[0].reconnected_within_s < 40.0);
  CHECK(shed.summary.connections.active_at_end == 8000);
  CHECK(shed.summary.connections.rejected_shed > 0);
  CHECK(shed.summary.connections.failed_timeout < collapsed.summary.connections.failed_timeout / 10);
}

TEST_CASE("a handshake rate limit per server refuses the excess with the Retry-After hint", "[shedding]") {
  auto cfg = testing::small_fleet();
  cfg.fleet.admission.max_handshakes_per_s = 20.0;  // 4 servers x 20 = 80 a second for a ramp of 200 a second
  cfg.fleet.admission.retry_after_s = 5.0;
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  CHECK(r.summary.connections.rejected_shed > 500);
  CHECK(testing::fleet_sum(r, 0.0, 10.0, "established") <= 4 * (20.0 * 10.0 + 20.0));
  // Refused clients wait at least 5 s: no retry at all in the first 5 s, though refusals start at once.
  CHECK(testing::fleet_sum(r, 0.0, 1.0, "rejected") > 0.0);
  CHECK(testing::fleet_sum(r, 0.0, 5.0, "retries") == 0.0);
  CHECK(testing::fleet_sum(r, 5.0, 7.0, "retries") > 0.0);
  CHECK(r.summary.connections.active_at_end == 2000);
  // Without the hint they come back within a second (full jitter, base 1 s) and are refused more often.
  cfg.fleet.admission.retry_after_s = 0.0;
  const auto eager = models::Fleet(cfg).run();
  CHECK(testing::fleet_sum(eager, 0.0, 5.0, "retries") > 0.0);
  CHECK(eager.summary.connections.rejected_shed > r.summary.connections.rejected_shed);
}

TEST_CASE("rebalancing sheds the old servers' excess onto servers a scale-out added", "[shedding]") {
  auto cfg = testing::small_fleet();
  cfg.fleet.servers = 2;
  cfg.fleet.max_connections = 2000;
  cfg.balancer.policy = "least_connections";
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;
  models::ScalingEvent add;
  add.at_s = 40.0;
  add.add = 2;
  cfg.scaling.push_back(add);
  const auto stuck = models::Fleet(cfg).run();
  cfg.fleet.rebalance.interval_s = 5.0;
  cfg.fleet.rebalance.tolerance = 0.05;
  cfg.fleet.rebalance.max_per_interval = 100;
  const auto moved = models::Fleet(cfg).run();
  REQUIRE(conserved(stuck));
  REQUIRE(conserved(moved));
  // Sessions never end: without rebalancing the new servers stay empty.
  CHECK(server_at(stuck, 3, 119.0, "connections") == 0.0);
  CHECK(stuck.fleet.column("conn_cv").back() > 0.9);
  // With it, 100 per server per 5 s move until every server is within 5 % of the mean.
  CHECK(server_at(moved, 3, 119.0, "connections") > 400.0);
  CHECK(moved.fleet.column("conn_cv").back() < 0.1);
  CHECK(moved.summary.connections.rebalanced >= 900);
  CHECK(moved.summary.connections.rebalanced <= 1200);
  CHECK(moved.summary.connections.active_at_end == 2000);
}
