// How a balancer learns that a backend died or came back: active health checks (fall/rise), the
// oracle, passive failure detection (NGINX max_fails/fail_timeout), and what happens meanwhile.
#include "models/balancer/health_state.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

using namespace wsfleet;
using testing::conserved;
using testing::server_sum;

TEST_CASE("health state: fall consecutive failures mark down, rise consecutive passes mark up", "[balancer][health]") {
  models::HealthState h;
  REQUIRE(h.up());
  CHECK_FALSE(h.record(false, 3, 2));
  CHECK_FALSE(h.record(false, 3, 2));
  CHECK_FALSE(h.record(true, 3, 2));  // a pass in between resets the streak
  CHECK_FALSE(h.record(false, 3, 2));
  CHECK_FALSE(h.record(false, 3, 2));
  CHECK(h.record(false, 3, 2));
  CHECK_FALSE(h.up());
  CHECK_FALSE(h.record(false, 3, 2));
  CHECK_FALSE(h.record(true, 3, 2));
  CHECK(h.record(true, 3, 2));
  CHECK(h.up());
}

namespace {

models::FleetConfig crash_fleet(models::HealthCheckMode mode) {
  auto cfg = testing::small_fleet();
  cfg.balancer.policy = "round_robin";
  cfg.balancer.health_check.mode = mode;
  cfg.balancer.health_check.interval_s = 2.0;
  cfg.balancer.health_check.timeout_s = 1.0;
  cfg.balancer.health_check.fall = 3;
  cfg.balancer.health_check.rise = 2;
  cfg.faults.push_back(models::CrashFault::of_server(1, 60.0, std::nullopt));
  return cfg;
}

}  // namespace

TEST_CASE("active checks notice a crash after fall probes: between (fall-1) and fall intervals", "[balancer][health]") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    auto cfg = crash_fleet(models::HealthCheckMode::Active);
    cfg.run.seed = seed;
    const auto r = models::Fleet(cfg).run();
    REQUIRE(conserved(r));
    const auto& f = r.summary.faults.at(0);
    REQUIRE(f.detected_within_s.has_value());
    CHECK(*f.detected_within_s > 4.0);
    CHECK(*f.detected_within_s <= 6.0);
    // Meanwhile round robin keeps sending a quarter of the reconnecting clients to the dead server.
    CHECK(f.tries_while_undetected > 0);
    CHECK(r.summary.connections.failed_backend_down == f.tries_while_undetected);
    CHECK(r.summary.balancers.at(0).marked_down == 1);
    CHECK(r.summary.connections.active_at_end == 2000);
  }
}

TEST_CASE("the oracle removes a crashed server at once: no tries reach it", "[balancer][health]") {
  const auto r = models::Fleet(crash_fleet(models::HealthCheckMode::Instant)).run();
  const auto& f = r.summary.faults.at(0);
  REQUIRE(f.detected_within_s.has_value());
  CHECK(*f.detected_within_s == 0.0);
  CHECK(f.tries_while_undetected == 0);
  CHECK(r.summary.connections.failed_backend_down == 0);
  CHECK(conserved(r));
}

TEST_CASE("slower detection means a longer storm", "[balancer][health]") {
  const auto instant = models::Fleet(crash_fleet(models::HealthCheckMode::Instant)).run();
  auto slow_cfg = crash_fleet(models::HealthCheckMode::Active);
  slow_cfg.balancer.health_check.interval_s = 10.0;  // 20-30 s to notice
  const auto slow = models::Fleet(slow_cfg).run();
  REQUIRE(instant.summary.faults[0].reconnected_within_s.has_value());
  REQUIRE(slow.summary.faults[0].reconnected_within_s.has_value());
  CHECK(*slow.summary.faults[0].detected_within_s > 20.0);
  CHECK(slow.summary.connections.retries > instant.summary.connections.retries);
  CHECK(*slow.summary.faults[0].reconnected_within_s > *instant.summary.faults[0].reconnected_within_s);
}

TEST_CASE("least connections without detection pours clients into the dead, empty server", "[balancer][health]") {
  auto cfg = crash_fleet(models::HealthCheckMode::Active);
  cfg.balancer.policy = "least_connections";
  const auto lc = models::Fleet(cfg).run();
  cfg.balancer.policy = "round_robin";
  const auto rr = models::Fleet(cfg).run();
  // The dead server has no connections, so least connections picks it for every retry until the
  // checks catch up; round robin sends it only its quarter.
  CHECK(lc.summary.faults[0].tries_while_undetected > 2 * rr.summary.faults[0].tries_while_undetected);
}

TEST_CASE("a recovered server needs rise passed probes before it gets traffic again", "[balancer][health]") {
  auto cfg = crash_fleet(models::HealthCheckMode::Active);
  cfg.faults[0].recover_after_s = 20.0;  // back at 80 s
  cfg.clients.session_s = sim::Distribution::exponential(20.0);
  cfg.clients.on_session_end = models::SessionEnd::Reconnect;
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  // Probes every 2 s, rise 2: it is back in the pool between 82 and 84 s.
  CHECK(server_sum(r, 1, 66.0, 81.0, "established") == 0.0);
  CHECK(server_sum(r, 1, 84.0, 90.0, "established") > 0.0);
}

TEST_CASE("without checks or passive detection a dead server is never taken out", "[balancer][health]") {
  auto cfg = crash_fleet(models::HealthCheckMode::None);
  cfg.balancer.passive.max_fails = 0;
  const auto r = models::Fleet(cfg).run();
  const auto& f = r.summary.faults.at(0);
  CHECK_FALSE(f.detected_within_s.has_value());
  // Each round of retries sends a quarter of the 500 dropped clients to it again: 500/4 + 500/16 + ...
  CHECK(f.tries_while_undetected > 120);
  CHECK(f.tries_while_undetected < 220);
  CHECK(conserved(r));
}

TEST_CASE("passive detection (NGINX max_fails=1 fail_timeout=10s): out at the first failure, retried every 10 s", "[balancer][health]") {
  auto cfg = crash_fleet(models::HealthCheckMode::None);
  cfg.balancer.passive.max_fails = 1;
  cfg.balancer.passive.fail_timeout_s = 10.0;
  cfg.clients.session_s = sim::Distribution::exponential(20.0);  // 100 new connections a second
  cfg.clients.on_session_end = models::SessionEnd::Reconnect;
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const auto& f = r.summary.faults.at(0);
  REQUIRE(f.detected_within_s.has_value());
  CHECK(*f.detected_within_s < 1.0);  // the first dropped client retries within 1 s (full jitter base 1 s)
  // After each fail_timeout the dead server gets one more try, which fails and takes it out again:
  // about one failed try per 10 s for the remaining 60 s.
  CHECK(f.tries_while_undetected >= 5);
  CHECK(f.tries_while_undetected <= 12);
  CHECK(r.summary.balancers.at(0).marked_down == f.tries_while_undetected);
}

TEST_CASE("max_fails=3 needs three failures within fail_timeout", "[balancer][health]") {
  auto cfg = crash_fleet(models::HealthCheckMode::None);
  cfg.balancer.passive.max_fails = 3;
  cfg.balancer.passive.fail_timeout_s = 10.0;
  const auto r = models::Fleet(cfg).run();
  const auto& f = r.summary.faults.at(0);
  CHECK(f.tries_while_undetected >= 3);
  CHECK(r.summary.balancers.at(0).marked_down >= 1);
}

TEST_CASE("trying the next backend hides an undetected crash from clients (proxy_next_upstream)", "[balancer][health]") {
  auto cfg = crash_fleet(models::HealthCheckMode::None);
  cfg.balancer.passive.max_fails = 0;
  cfg.balancer.tries = 0;  // every backend may be tried
  const auto r = models::Fleet(cfg).run();
  CHECK(r.summary.connections.failed_backend_down == 0);
  CHECK(r.summary.balancers.at(0).failed_tries > 0);
  CHECK(r.summary.connections.active_at_end == 2000);
  CHECK(conserved(r));
}

TEST_CASE("an overloaded server fails its probes and is taken out although it is running", "[balancer][health]") {
  auto cfg = testing::small_fleet();
  cfg.balancer.policy = "round_robin";
  cfg.fleet.servers = 2;
  cfg.fleet.max_connections = 2000;
  cfg.clients.messages_per_minute = 60.0;          // 1000 messages/s per server
  cfg.fleet.cpu.inbound_message_us = 1500.0;       // 1.5 s of work per second: the backlog grows
  cfg.balancer.health_check.timeout_s = 1.0;
  cfg.clients.session_s = sim::Distribution::exponential(20.0);
  cfg.clients.on_session_end = models::SessionEnd::Reconnect;
  const auto r = models::Fleet(cfg).run();
  CHECK(r.summary.faults.empty());
  CHECK(r.summary.balancers.at(0).marked_down >= 2);
  CHECK(r.summary.connections.no_backend > 0);  // both out: "no live upstreams"
  CHECK(conserved(r));
}
