// The balancer's own limits and life: per-backend caps, new-connection rate, source ports,
// draining, scale-out, sticky sessions, and a tier of balancers with a failure.
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

using namespace wsfleet;
using testing::conserved;
using testing::fleet_sum;
using testing::server_at;
using testing::server_sum;

TEST_CASE("a per-backend cap turns the balancer away before the servers are full", "[balancer][limits]") {
  auto cfg = testing::small_fleet();
  cfg.balancer.max_connections_per_backend = 300;
  cfg.backoff.params["max_retries"] = 3;
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  CHECK(r.summary.connections.active_at_end == 1200);
  CHECK(r.summary.connections.no_backend == r.summary.connections.rejected);
  CHECK(r.summary.connections.rejected_server_full == 0);
  CHECK(r.summary.peak_server_connections == 300);
}

TEST_CASE("a new-connection rate limit refuses the excess, and the refused clients get in later", "[balancer][limits]") {
  auto cfg = testing::small_fleet();
  cfg.balancer.max_new_connections_per_s = 50.0;  // the ramp brings 200 a second
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const auto& c = r.summary.connections;
  CHECK(c.rejected_rate_limited > 1000);
  CHECK(c.rejected_rate_limited == r.summary.balancers.at(0).rate_limited);
  // At most rate x time + one second of burst.
  CHECK(fleet_sum(r, 0.0, 10.0, "established") <= 550.0);
  CHECK(fleet_sum(r, 0.0, 20.0, "established") <= 1050.0);
  CHECK(c.active_at_end == 2000);
}

TEST_CASE("source-port exhaustion: one balancer address reaches a backend over at most source_ports connections", "[balancer][limits]") {
  auto cfg = testing::small_fleet();
  cfg.balancer.source_ports = 100;
  cfg.backoff.params["max_retries"] = 2;
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  // The servers have room for 1000 each, but the balancer cannot open more than 100 to each.
  CHECK(r.summary.connections.active_at_end == 400);
  CHECK(r.summary.connections.failed_source_ports > 0);
  CHECK(r.summary.connections.failed == r.summary.connections.failed_source_ports);
  CHECK(r.summary.balancers.at(0).peak_ports == 100);
  CHECK(r.summary.peak_server_connections == 100);

  cfg.balancer.source_addresses = 5;  // the fix: more source addresses (500 per backend)
  const auto fixed = models::Fleet(cfg).run();
  CHECK(fixed.summary.connections.active_at_end == 2000);
  CHECK(fixed.summary.connections.failed_source_ports == 0);
}

TEST_CASE("draining: no new connections, the rest closed at the deadline, then the server is gone", "[balancer][limits]") {
  auto cfg = testing::small_fleet();
  cfg.clients.session_s = sim::Distribution::exponential(60.0);
  cfg.clients.on_session_end = models::SessionEnd::Reconnect;
  models::ScalingEvent remove;
  remove.at_s = 30.0;
  remove.remove = 1;
  remove.drain_timeout_s = 20.0;
  cfg.scaling.push_back(remove);
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  // Server 3 (the highest-numbered) takes no new connection after 30 s and sheds its sessions as they end.
  CHECK(server_sum(r, 3, 31.0, 50.0, "established") == 0.0);
  const double at_deadline = server_at(r, 3, 49.0, "connections");
  CHECK(at_deadline > 0.0);
  CHECK(at_deadline < server_at(r, 3, 30.0, "connections"));
  CHECK(static_cast<double>(r.summary.connections.drained) >= at_deadline * 0.8);
  CHECK(r.summary.connections.drained > 0);
  CHECK(server_at(r, 3, 51.0, "up") == 0.0);
  CHECK(server_at(r, 3, 119.0, "connections") == 0.0);
  CHECK(r.summary.connections.dropped == 0);
  CHECK(r.summary.connections.active_at_end == 2000);
}

namespace {

// 2 servers, 2 more join at 40 s; sessions end and reconnect every ~30 s.
models::FleetConfig scale_out(models::Stickiness sticky) {
  auto cfg = testing::small_fleet();
  cfg.fleet.servers = 2;
  cfg.fleet.max_connections = 2000;
  cfg.balancer.policy = "round_robin";
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;
  cfg.balancer.sticky = sticky;
  cfg.clients.session_s = sim::Distribution::exponential(30.0);
  cfg.clients.on_session_end = models::SessionEnd::Reconnect;
  models::ScalingEvent add;
  add.at_s = 40.0;
  add.add = 2;
  cfg.scaling.push_back(add);
  return cfg;
}

double last_cv(const models::RunResult& r) { return r.fleet.column("conn_cv").back(); }

}  // namespace

TEST_CASE("scale-out: new servers take connections, and sticky sessions keep the imbalance", "[balancer][limits]") {
  const auto plain = models::Fleet(scale_out(models::Stickiness::None)).run();
  const auto sticky = models::Fleet(scale_out(models::Stickiness::Cookie)).run();
  REQUIRE(conserved(plain));
  REQUIRE(conserved(sticky));
  REQUIRE(plain.summary.total_servers == 4);
  CHECK(server_at(plain, 2, 39.0, "up") == 0.0);
  CHECK(server_at(plain, 2, 41.0, "up") == 1.0);
  CHECK(server_sum(plain, 2, 0.0, 40.0, "attempts") == 0.0);
  // Round robin without affinity spreads the reconnections evenly over four servers.
  CHECK(server_at(plain, 3, 119.0, "connections") > 350.0);
  CHECK(last_cv(plain) < 0.1);
  // With cookies every reconnecting client goes back to its old server: the new ones stay empty.
  CHECK(server_at(sticky, 3, 119.0, "connections") == 0.0);
  CHECK(last_cv(sticky) > 0.8);
}

TEST_CASE("cookie affinity sends reconnecting clients back to a dead server until the balancer notices", "[balancer][limits]") {
  auto cfg = testing::small_fleet();
  cfg.balancer.policy = "round_robin";
  cfg.balancer.health_check.mode = models::HealthCheckMode::Active;
  cfg.balancer.health_check.interval_s = 5.0;   // 10-15 s to notice
  cfg.faults.push_back(models::CrashFault::of_server(1, 60.0, std::nullopt));
  const auto plain = models::Fleet(cfg).run();
  cfg.balancer.sticky = models::Stickiness::Cookie;
  const auto sticky = models::Fleet(cfg).run();
  REQUIRE(conserved(sticky));
  // Without affinity a retry hits the dead server one time in four; with it, every retry of its
  // former clients does, until the checks take it out.
  CHECK(sticky.summary.faults[0].tries_while_undetected > 2 * plain.summary.faults[0].tries_while_undetected);
  CHECK(*sticky.summary.faults[0].reconnected_within_s > *sticky.summary.faults[0].detected_within_s);
  CHECK(sticky.summary.connections.active_at_end == 2000);
}

TEST_CASE("a tier of two balancers: one fails, its connections drop, its clients move after failover_s", "[balancer][limits]") {
  auto cfg = testing::small_fleet();
  cfg.balancer.count = 2;
  cfg.balancer.failover_s = 10.0;
  models::CrashFault f;
  f.target = models::FaultTarget::Balancer;
  f.balancer = 0;
  f.at_s = 60.0;
  cfg.faults.push_back(f);
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const auto& out = r.summary.faults.at(0);
  CHECK(out.target == "balancer");
  // DNS splits the clients about evenly.
  CHECK(out.connections_dropped > 800);
  CHECK(out.connections_dropped < 1200);
  CHECK(r.summary.balancers.at(0).routed > 800);
  CHECK(r.summary.balancers.at(1).routed > 800);
  // Until the name is withdrawn their retries reach the dead balancer and fail.
  CHECK(r.summary.connections.failed_balancer_down > out.connections_dropped);
  REQUIRE(out.reconnected_within_s.has_value());
  CHECK(*out.reconnected_within_s >= 10.0);
  CHECK(r.summary.connections.active_at_end == 2000);
}
