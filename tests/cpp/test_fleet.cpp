// Behaviour of the fleet model: storms, limits, timeouts, conservation and determinism.
#include <cmath>
#include <cstring>

#include "models/fleet.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

using namespace wsfleet;

namespace {

// The shared small fleet, with the balancer knowing of crashes at once: these tests are about the
// storm, not its detection (tests/cpp/test_balancer_health.cpp covers health checks).
models::FleetConfig small_fleet() {
  auto cfg = testing::small_fleet();
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;
  return cfg;
}

double series_sum(const sim::TimeSeries& ts, const std::string& col) {
  double s = 0;
  for (double v : ts.column(col)) s += v;
  return s;
}

}  // namespace

TEST_CASE("all clients connect when the fleet has room, and conservation holds", "[fleet]") {
  auto cfg = small_fleet();
  models::Fleet fleet(cfg);
  const auto r = fleet.run();
  const auto& c = r.summary.connections;
  CHECK(c.attempted == 2000);
  CHECK(c.established == 2000);
  CHECK(c.rejected == 0);
  CHECK(c.active_at_end == 2000);
  CHECK(r.summary.peak_connections == 2000);
  // least connections over equal servers: 500 each
  const auto& conns = r.servers.column("connections");
  for (std::size_t i = conns.size() - 4; i < conns.size(); ++i) CHECK(conns[i] == 500);
  for (const auto& chk : r.summary.conservation) CHECK(chk.ok);
  CHECK(r.summary.conservation.size() >= 8);
  // Messages: 2000 clients x 6/min over ~115 s on average is about 23,000.
  CHECK(r.summary.messages.sent > 20000);
  CHECK(r.summary.messages.sent < 26000);
  CHECK(r.summary.heartbeats.sent > 2000 * 3);
  // time series: one fleet row per second, one server row per server per second
  CHECK(r.fleet.rows() == 120);
  CHECK(r.servers.rows() == 480);
  CHECK(series_sum(r.fleet, "established") == 2000);
  CHECK(series_sum(r.fleet, "attempts") == 2000);
}

TEST_CASE("a crash drops its connections and the clients reconnect to the survivors", "[fleet][storm]") {
  auto cfg = small_fleet();
  cfg.faults.push_back(models::CrashFault::of_server(1, 60.0, std::nullopt));
  models::Fleet fleet(cfg);
  const auto r = fleet.run();
  const auto& c = r.summary.connections;
  REQUIRE(r.summary.faults.size() == 1);
  const auto& f = r.summary.faults[0];
  CHECK(f.connections_dropped == 500);
  CHECK(c.dropped == 500);
  CHECK(c.retries >= 500);
  CHECK(c.active_at_end == 2000);  // 3 servers x 1000 slots hold all 2000 clients
  REQUIRE(f.reconnected_within_s.has_value());
  // Full jitter with base 1 s: the first retry is within 1 s; with rejections, a few more rounds.
  CHECK(*f.reconnected_within_s > 0.0);
  CHECK(*f.reconnected_within_s < 30.0);
  // The crashed server holds nothing afterwards, and is down in the series.
  const auto& up = r.servers.column("up");
  const auto& conns = r.servers.column("connections");
  const std::size_t last_row_server1 = r.servers.rows() - 4 + 1;
  CHECK(up[last_row_server1] == 0.0);
  CHECK(conns[last_row_server1] == 0.0);
  CHECK(series_sum(r.fleet, "dropped") == 500);
}

TEST_CASE("a recovered server rejoins and takes new connections", "[fleet][storm]") {
  auto cfg = small_fleet();
  cfg.fleet.max_connections = 600;  // 3 survivors hold 1800 of 2000: 200 wait for the recovery
  cfg.faults.push_back(models::CrashFault::of_server(2, 30.0, 20.0));
  models::Fleet fleet(cfg);
  const auto r = fleet.run();
  CHECK(r.summary.connections.rejected > 0);
  CHECK(r.summary.connections.active_at_end == 2000);
  const auto& f = r.summary.faults[0];
  REQUIRE(f.reconnected_within_s.has_value());
  CHECK(*f.reconnected_within_s > 20.0);  // the last ones could only get in once server 2 was back
  const std::size_t last_row_server2 = r.servers.rows() - 4 + 2;
  CHECK(r.servers.column("up")[last_row_server2] == 1.0);
  CHECK(r.servers.column("connections")[last_row_server2] > 0.0);
}

TEST_CASE("a full fleet rejects, and clients give up after max_retries", "[fleet]") {
  auto cfg = small_fleet();
  cfg.fleet.max_connections = 400;  // room for 1600 of 2000
  cfg.backoff.params["max_retries"] = 3;
  models::Fleet fleet(cfg);
  const auto r = fleet.run();
  const auto& c = r.summary.connections;
  CHECK(c.active_at_end == 1600);
  CHECK(c.gave_up == 400);
  CHECK(c.rejected == 400 * 4);  // first try plus three retries each
  CHECK(c.retries == 400 * 3);
}

TEST_CASE("an overloaded CPU makes handshakes time out and messages slow", "[fleet]") {
  auto cfg = small_fleet();
  cfg.fleet.servers = 1;
  cfg.fleet.max_connections = 100000;
  cfg.clients.count = 20000;
  cfg.clients.ramp_s = 1.0;          // 20,000 handshakes in one second ...
  cfg.fleet.cpu.handshake_us = 1000; // ... of 1 ms each: 20 s of CPU work
  cfg.clients.connect_timeout_s = 5.0;
  models::Fleet fleet(cfg);
  const auto r = fleet.run();
  const auto& c = r.summary.connections;
  CHECK(c.failed > 0);
  CHECK(r.summary.cpu_peak_utilisation > 0.99);
  CHECK(r.summary.handshake_latency.max_ms <= 5000.0 + 1e-6);
  CHECK(r.summary.handshake_latency.p99_ms > 1000.0);
  for (const auto& chk : r.summary.conservation) CHECK(chk.ok);
}

TEST_CASE("sessions that end make clients leave or reconnect", "[fleet]") {
  auto cfg = small_fleet();
  cfg.clients.session_s = sim::Distribution::exponential(20.0);
  SECTION("leave") {
    cfg.clients.on_session_end = models::SessionEnd::Leave;
    models::Fleet fleet(cfg);
    const auto r = fleet.run();
    // P(session > ~110 s) = exp(-5.5) ≈ 0.4%: almost everyone has left.
    CHECK(r.summary.connections.active_at_end < 40);
    CHECK(r.summary.connections.closed > 1950);
    CHECK(r.summary.connections.attempted == 2000);
  }
  SECTION("reconnect") {
    cfg.clients.on_session_end = models::SessionEnd::Reconnect;
    models::Fleet fleet(cfg);
    const auto r = fleet.run();
    CHECK(r.summary.connections.active_at_end + r.summary.connections.pending_at_end == 2000);
    CHECK(r.summary.connections.attempted > 2000 * 4);
    CHECK(r.summary.connections.retries == 0);  // a new session is not a retry
  }
}

TEST_CASE("same seed gives the same result, and another seed or replication another result", "[fleet][determinism]") {
  auto cfg = small_fleet();
  cfg.faults.push_back(models::CrashFault::of_server(0, 50.0, 30.0));
  auto run = [](const models::FleetConfig& c) {
    models::Fleet f(c);
    return f.run();
  };
  const auto a = run(cfg);
  const auto b = run(cfg);
  CHECK(a.summary.events_processed == b.summary.events_processed);
  CHECK(a.summary.connections.attempted == b.summary.connections.attempted);
  CHECK(a.summary.message_latency.p99_ms == b.summary.message_latency.p99_ms);
  REQUIRE(a.servers.columns() == b.servers.columns());
  for (std::size_t col = 0; col < a.servers.columns().size(); ++col) {
    const auto& x = a.servers.column(col);
    const auto& y = b.servers.column(col);
    REQUIRE(x.size() == y.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      // bit for bit, NaN included
      REQUIRE(std::memcmp(&x[i], &y[i], sizeof(double)) == 0);
    }
  }
  auto other = cfg;
  other.run.seed = 6;
  // The messages are a Poisson load on each server (no events of their own): their count shows the draws.
  CHECK(a.summary.messages.sent > 1000);
  CHECK(run(other).summary.messages.sent != a.summary.messages.sent);
  auto rep = cfg;
  rep.run.replication = 1;
  CHECK(run(rep).summary.messages.sent != a.summary.messages.sent);
}

TEST_CASE("the balancer's choice shows: round robin keeps a recovered server empty, least connections fills it", "[fleet][storm]") {
  auto cfg = small_fleet();
  cfg.faults.push_back(models::CrashFault::of_server(0, 30.0, 10.0));
  cfg.run.duration_s = 90.0;
  auto last_conns_server0 = [&](const std::string& policy) {
    auto c = cfg;
    c.balancer.policy = policy;
    models::Fleet f(c);
    const auto r = f.run();
    return r.servers.column("connections")[r.servers.rows() - 4];
  };
  // Nobody reconnects after the storm, so with round robin the recovered server stays empty;
  // least connections never sends new clients there either (no new clients) — both 0 — but with
  // sessions ending and reconnecting, least connections refills it.
  cfg.clients.session_s = sim::Distribution::exponential(30.0);
  cfg.clients.on_session_end = models::SessionEnd::Reconnect;
  const double rr = last_conns_server0("round_robin");
  const double lc = last_conns_server0("least_connections");
  CHECK(lc > rr);
  CHECK(lc > 400);
}
