// The summary's mean CPU utilisation divides the busy core-time by the cores of the servers that
// were part of the fleet, for the time they were: a slot a [[scaling]] add fills halfway counts
// half a run, a removed server counts until it left. Hand-computed from deterministic CPU costs.
#include "models/fleet.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

using Catch::Matchers::WithinRel;
using namespace wsfleet;

namespace {

/// `servers` servers of 2 cores, 100 s; 10 clients connect in the first 10 s and stay, with no
/// messages and no heartbeats: the only CPU work is 10 handshakes of exactly 1 ms (deterministic
/// service time), 0.01 core-seconds, all on servers present from the start.
models::FleetConfig quiet_fleet(std::uint32_t servers) {
  models::FleetConfig cfg;
  cfg.name = "quiet";
  cfg.run.duration_s = 100.0;
  cfg.run.sample_interval_s = 5.0;
  cfg.run.seed = 3;
  cfg.fleet.servers = servers;
  cfg.fleet.cpu_cores = 2;
  cfg.fleet.cpu.handshake_us = 1000.0;
  cfg.clients.count = 10;
  cfg.clients.ramp_s = 10.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.balancer.policy = "round_robin";
  return cfg;
}

}  // namespace

TEST_CASE("mean CPU utilisation counts a server added halfway for half the run", "[summary][cpu]") {
  models::FleetConfig cfg = quiet_fleet(1);
  models::ScalingEvent add;
  add.at_s = 50.0;
  add.add = 1;
  cfg.scaling.push_back(add);
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(r.summary.connections.established == 10);
  REQUIRE(r.summary.total_servers == 2);
  // Capacity: server 0 for 100 s and server 1 for 50 s, 2 cores each = 300 core-seconds (all
  // slots for the whole run would be 400).
  CHECK_THAT(r.summary.cpu_capacity_core_seconds, WithinRel(300.0, 1e-12));
  CHECK_THAT(r.summary.cpu_mean_utilisation, WithinRel(0.01 / 300.0, 1e-9));
}

TEST_CASE("mean CPU utilisation counts a removed server until it left", "[summary][cpu]") {
  models::FleetConfig cfg = quiet_fleet(2);
  models::ScalingEvent remove;
  remove.at_s = 40.0;
  remove.remove = 1;
  remove.drain_timeout_s = 20.0;  // gone at 60 s
  cfg.scaling.push_back(remove);
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(r.summary.connections.established >= 10);
  // Server 1 leaves at 60 s: (100 + 60) x 2 cores = 320 core-seconds.
  CHECK_THAT(r.summary.cpu_capacity_core_seconds, WithinRel(320.0, 1e-12));
  // Its 5 clients reconnect to server 0 after the drain: 5 more handshakes of 1 ms.
  const auto handshakes = static_cast<double>(r.summary.connections.established);
  CHECK_THAT(r.summary.cpu_mean_utilisation, WithinRel(handshakes * 0.001 / 320.0, 1e-9));
}

TEST_CASE("mean CPU utilisation of a fleet present the whole run is busy over servers x cores x time", "[summary][cpu]") {
  const models::RunResult r = models::Fleet(quiet_fleet(3)).run();
  CHECK_THAT(r.summary.cpu_capacity_core_seconds, WithinRel(600.0, 1e-12));
  CHECK_THAT(r.summary.cpu_mean_utilisation, WithinRel(0.01 / 600.0, 1e-9));
}

TEST_CASE("the fleet's CPU utilisation series is the mean over the servers in the fleet, not every slot", "[summary][cpu]") {
  // One server with 10 clients pinging every second at 10 ms of CPU each: 0.1 busy core-second per
  // second on 2 cores, 5 % in every 5 s interval once all are connected (a multiple of the period).
  // A second server joins at 50 s and takes no client (nobody reconnects): the fleet's mean is
  // 5 % before it (over one server; over both slots it would read 2.5 %) and 2.5 % after.
  models::FleetConfig cfg = quiet_fleet(1);
  cfg.clients.heartbeat_interval_s = 1.0;
  cfg.fleet.cpu.heartbeat_us = 10'000.0;
  models::ScalingEvent add;
  add.at_s = 50.0;
  add.add = 1;
  cfg.scaling.push_back(add);
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(r.summary.connections.established == 10);
  CHECK_THAT(testing::fleet_at(r, 30.0, "cpu_utilisation"), WithinRel(0.05, 1e-9));
  CHECK_THAT(testing::fleet_at(r, 45.0, "cpu_utilisation"), WithinRel(0.05, 1e-9));
  CHECK_THAT(testing::fleet_at(r, 80.0, "cpu_utilisation"), WithinRel(0.025, 1e-9));
}
