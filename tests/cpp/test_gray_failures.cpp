// Gray failures ([[faults]] slow_server, handshake_blackhole, health_flap, link_degrade): the server
// or link stays in service, degraded; each is checked against what it must do by construction.
#include <string>

#include "catch.hpp"
#include "experiments/scenario_error.hpp"
#include "experiments/scenario_loader.hpp"
#include "fleet_fixtures.hpp"
#include "scenario_fixtures.hpp"
#include "models/fleet.hpp"

using namespace wsfleet;
using wsfleet::testing::conserved;
using wsfleet::testing::server_at;
using wsfleet::testing::server_sum;

namespace {

models::CrashFault gray(models::FaultTarget target, std::uint32_t server, double at_s, double recover_after_s) {
  models::CrashFault f = models::CrashFault::of_server(server, at_s, recover_after_s);
  f.target = target;
  return f;
}

using wsfleet::testing::fleet_at;

}  // namespace

TEST_CASE("a slow server loses 1 - 1/factor of its CPU and its messages wait", "[gray]") {
  models::FleetConfig cfg = wsfleet::testing::small_fleet();
  cfg.clients.messages_per_minute = 30.0;
  models::CrashFault f = gray(models::FaultTarget::SlowServer, 1, 40.0, 40.0);
  f.factor = 4.0;
  cfg.faults.push_back(f);
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  // 7.5 ms of every 10 ms slice, on top of the server's own (light) work.
  const double busy = server_at(r, 1, 60.0, "cpu_utilisation");
  CHECK(busy >= 0.75);
  CHECK(busy < 0.80);
  CHECK(server_at(r, 0, 60.0, "cpu_utilisation") < 0.05);
  CHECK(server_at(r, 1, 100.0, "cpu_utilisation") < 0.05);  // recovered at 80 s
  // A message arriving at a uniform time waits for the rest of the slice 3/4 of the time: mean
  // 0.75 x 3.75 ms = 2.8 ms; the p99 waits most of a slice.
  CHECK(server_at(r, 1, 60.0, "latency_p99_ms") > 6.0);
  CHECK(server_at(r, 0, 60.0, "latency_p99_ms") < 1.0);
  CHECK(r.summary.connections.active_at_end == 2000);  // nothing is cut: it is gray
}

TEST_CASE("a handshake blackhole accepts connections that then time out, and its open connections carry on", "[gray]") {
  models::FleetConfig cfg = wsfleet::testing::small_fleet();
  cfg.clients.connect_timeout_s = 5.0;
  cfg.faults.push_back(gray(models::FaultTarget::HandshakeBlackhole, 0, 30.0, 40.0));
  cfg.faults.push_back(models::CrashFault::of_server(1, 35.0, 10.0));  // its clients must reconnect somewhere
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  CHECK(server_sum(r, 0, 30.0, 70.0, "established") == 0.0);
  CHECK(server_sum(r, 0, 30.0, 70.0, "failed") > 0.0);       // handshakes it took and never finished
  CHECK(r.summary.connections.failed_timeout > 0);
  CHECK(server_at(r, 0, 69.0, "connections") > 400.0);      // the connections it had stay open
  CHECK(r.summary.connections.active_at_end == 2000);       // everyone is back after it recovers at 70 s
  // Off: the same run without the blackhole has no timeout at all.
  cfg.faults.erase(cfg.faults.begin());
  CHECK(models::Fleet(cfg).run().summary.connections.failed_timeout == 0);
}

TEST_CASE("a flapping health endpoint is seen only when it fails longer than fall x interval", "[gray]") {
  // Probes every 2 s, down after 3 failures (4-6 s of failing), up after 2 passes.
  models::FleetConfig cfg = wsfleet::testing::small_fleet();
  models::CrashFault f = gray(models::FaultTarget::HealthFlap, 2, 30.0, 60.0);
  f.period_s = 20.0;  // fails 10 s of every 20 s: taken out every period
  cfg.faults.push_back(f);
  models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  CHECK(r.summary.balancers[0].marked_down == 3);  // periods starting at 30, 50 and 70 s
  CHECK(r.summary.connections.active_at_end == 2000);
  cfg.faults[0].period_s = 2.0;  // fails 1 s of every 2 s: never 3 failed probes in a row
  r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  CHECK(r.summary.balancers[0].marked_down == 0);
}

TEST_CASE("a degraded link adds its latency to the messages and handshakes through it", "[gray]") {
  models::FleetConfig cfg = wsfleet::testing::small_fleet();
  cfg.topology.links = {{"eu", "ams", 5.0}};
  cfg.topology.sites = {{"ams", 4}};
  cfg.topology.regions = {{"eu", 1.0}};
  cfg.clients.messages_per_minute = 30.0;
  cfg.balancer.policy = "round_robin";
  models::CrashFault f;
  f.target = models::FaultTarget::LinkDegrade;
  f.site = "ams";
  f.latency_ms = 100.0;
  f.at_s = 40.0;
  f.recover_after_s = 40.0;
  cfg.faults.push_back(f);
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  CHECK(fleet_at(r, 35.0, "latency_p50_ms") == Approx(5.0).epsilon(0.02));
  CHECK(fleet_at(r, 60.0, "latency_p50_ms") == Approx(105.0).epsilon(0.02));
  CHECK(fleet_at(r, 100.0, "latency_p50_ms") == Approx(5.0).epsilon(0.02));  // restored exactly
}

TEST_CASE("gray-failure keys load, belong to their kind and fail clearly", "[gray]") {
  const std::string base = "[fleet]\nservers = 4\n[clients]\ncount = 10\n";
  const models::FleetConfig cfg = experiments::load_scenario_string(
      base + "[[faults]]\ntype = \"slow_server\"\nserver = 1\nfactor = 3\nat_s = 5\n"
             "[[faults]]\ntype = \"health_flap\"\nserver = 2\nperiod_s = 8\nat_s = 5\n",
      "t.toml");
  REQUIRE(cfg.faults.size() == 2);
  CHECK(cfg.faults[0].target == models::FaultTarget::SlowServer);
  CHECK(cfg.faults[0].factor == 3.0);
  CHECK(cfg.faults[1].period_s == 8.0);
  auto error_of = [&](const std::string& extra) { return testing::error_message(base + extra); };
  CHECK_THAT(error_of("[[faults]]\ntype = \"slow_server\"\nserver = 1\nfactor = 1\n"),
             Catch::Matchers::Contains("faults.0.factor") && Catch::Matchers::Contains("> 1"));
  CHECK_THAT(error_of("[[faults]]\ntype = \"crash\"\nserver = 1\nfactor = 2\n"),
             Catch::Matchers::Contains("faults.0.factor is for type = \"slow_server\", not \"crash\""));
  CHECK_THAT(error_of("[[faults]]\ntype = \"link_degrade\"\nsite = \"x\"\n"), Catch::Matchers::Contains("needs [[topology.sites]]"));
}
