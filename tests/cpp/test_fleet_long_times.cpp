// Scenario durations far longer than any run (the loader accepts them: recover_after_s = 1e300 means
// "not within this run") must run like "never", not throw from the seconds-to-nanoseconds conversion.
#include <cmath>
#include <limits>

#include "models/fleet.hpp"
#include "tests/cpp/catch.hpp"

using namespace wsfleet;

namespace {

models::FleetConfig tiny_fleet() {
  models::FleetConfig cfg;
  cfg.run.duration_s = 30.0;
  cfg.run.sample_interval_s = 1.0;
  cfg.fleet.servers = 3;
  cfg.fleet.max_connections = 1000;
  cfg.clients.count = 300;
  cfg.clients.ramp_s = 5.0;
  cfg.clients.messages_per_minute = 6.0;
  cfg.clients.heartbeat_interval_s = 5.0;
  cfg.balancer.policy = "least_connections";
  cfg.backoff.policy = "full_jitter";
  cfg.backoff.params = {{"base_s", 0.5}, {"cap_s", 5.0}};
  return cfg;
}

models::RunResult run(const models::FleetConfig& cfg) {
  models::Fleet fleet(cfg);
  auto result = fleet.run();
  for (const auto& check : result.summary.conservation) CHECK(check.ok);
  return result;
}

}  // namespace

TEST_CASE("a recovery delay beyond the run means the server stays down", "[fleet][limits]") {
  for (const double delay : {1e10, 1e300, std::numeric_limits<double>::max()}) {
    INFO(delay);
    auto cfg = tiny_fleet();
    cfg.faults.push_back(models::CrashFault::of_server(1, 10.0, delay));
    const auto r = run(cfg);
    REQUIRE(r.summary.faults.size() == 1);
    CHECK(r.summary.faults[0].connections_dropped == 100);
    CHECK(r.fleet.column("up").back() == 2.0);  // never came back
    CHECK(r.summary.connections.active_at_end == 300);
  }
}

TEST_CASE("a ramp longer than the run: clients arriving after the end never connect", "[fleet][limits]") {
  for (const double ramp : {1e10, 1e300}) {
    INFO(ramp);
    auto cfg = tiny_fleet();
    cfg.clients.ramp_s = ramp;
    const auto r = run(cfg);
    CHECK(r.summary.connections.attempted == 0);
    CHECK(r.summary.connections.active_at_end == 0);
    CHECK(r.fleet.rows() == 30);
  }
}

TEST_CASE("huge heartbeat intervals, timeouts, session lengths and message gaps run as never", "[fleet][limits]") {
  auto cfg = tiny_fleet();
  SECTION("heartbeat interval") {
    cfg.clients.heartbeat_interval_s = 1e300;
    const auto r = run(cfg);
    CHECK(r.summary.heartbeats.sent == 0);
    CHECK(r.summary.connections.established == 300);
  }
  SECTION("connect timeout") {
    cfg.clients.connect_timeout_s = 1e300;
    const auto r = run(cfg);
    CHECK(r.summary.connections.failed == 0);
    CHECK(r.summary.connections.established == 300);
  }
  SECTION("constant session between the old 9e9 s conversion limit and 1e10 s") {
    cfg.clients.session_s = sim::Distribution::constant(9.5e9);
    const auto r = run(cfg);
    CHECK(r.summary.connections.closed == 0);
    CHECK(r.summary.connections.active_at_end == 300);
  }
  SECTION("exponential session with an enormous mean") {
    cfg.clients.session_s = sim::Distribution::exponential(1e300);
    const auto r = run(cfg);
    CHECK(r.summary.connections.closed == 0);
  }
  SECTION("a message rate so low that the gap between messages exceeds the clock's range") {
    cfg.clients.messages_per_minute = 1e-300;
    const auto r = run(cfg);
    CHECK(r.summary.messages.sent == 0);
    CHECK(r.summary.connections.established == 300);
  }
}

TEST_CASE("saturating long durations does not change ordinary runs", "[fleet][limits][determinism]") {
  // The same run with and without a far-future recovery is identical up to the recovery.
  auto cfg = tiny_fleet();
  cfg.faults.push_back(models::CrashFault::of_server(0, 10.0, std::nullopt));
  const auto never = run(cfg);
  cfg.faults[0].recover_after_s = 1e300;
  const auto far = run(cfg);
  CHECK(never.summary.events_processed == far.summary.events_processed);
  CHECK(never.summary.connections.attempted == far.summary.connections.attempted);
  CHECK(never.fleet.column("connections") == far.fleet.column("connections"));
}
