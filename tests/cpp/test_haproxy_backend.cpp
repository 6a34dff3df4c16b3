// HAProxy's connection handling around the balancing algorithm (the haproxy_* presets): the maxconn
// queue and `timeout queue`, `retries` with the turn-around, `option redispatch`. Sequences computed by
// hand from doc/configuration.txt, src/backend.c back_handle_st_cer() and stream_choose_redispatch().
#include <optional>
#include <string>

#include "catch.hpp"
#include "fleet_fixtures.hpp"
#include "models/balancer/haproxy_backend.hpp"
#include "models/balancing_policy.hpp"
#include "models/fleet.hpp"
#include "models/load_balancer.hpp"
#include "sim/random.hpp"

using namespace wsfleet;
using models::HaproxyBackend;
using wsfleet::testing::conserved;
using wsfleet::testing::fleet_sum;

namespace {

constexpr sim::SimTime kS = sim::kNanosPerSecond;

HaproxyBackend rules(const std::string& policy, const models::Params& params = {}) {
  const auto b = HaproxyBackend::of(policy, params);
  REQUIRE(b.has_value());
  return *b;
}

}  // namespace

TEST_CASE("HAProxy backend rules: defaults, turn-around and when a retry redispatches", "[haproxy]") {
  CHECK_FALSE(HaproxyBackend::of("nginx_least_conn", {}).has_value());
  CHECK_FALSE(HaproxyBackend::of("round_robin", {}).has_value());
  const HaproxyBackend d = rules("haproxy_roundrobin");
  CHECK(d.retries == 3);  // CONN_RETRIES
  CHECK_FALSE(d.redispatch);
  CHECK(d.timeout_connect == 5 * kS);
  CHECK(d.timeout_queue == 5 * kS);  // unset: timeout connect
  CHECK(d.turnaround() == kS);       // min(timeout connect, 1 s)
  CHECK(rules("haproxy_roundrobin", {{"timeout_connect_s", 0.25}}).turnaround() == kS / 4);
  CHECK(rules("haproxy_roundrobin", {{"timeout_queue_s", 2.0}}).timeout_queue == 2 * kS);

  // Without option redispatch every retry is on the same server after the turn-around.
  for (std::uint32_t k = 1; k <= 3; ++k) {
    const auto step = d.next(k, true, 4, false);
    CHECK_FALSE(step.redispatch);
    CHECK(step.wait == kS);
  }
  // With it, a non-hash algorithm with more than one active server redispatches every retry at once...
  const HaproxyBackend rr = rules("haproxy_roundrobin", {{"redispatch", 1.0}});
  for (std::uint32_t k = 1; k <= 3; ++k) {
    CHECK(rr.next(k, true, 2, false).redispatch);
    CHECK(rr.next(k, true, 2, false).wait == 0);
  }
  // ... but not a stream directed by persistence: only on the last retry (3 % 3 == 0).
  CHECK_FALSE(rr.next(1, true, 2, true).redispatch);
  CHECK_FALSE(rr.next(2, true, 2, true).redispatch);
  CHECK(rr.next(3, true, 2, true).redispatch);
  // One active server: the last retry redispatches, and waits the turn-around (srv_act <= 1).
  CHECK_FALSE(rr.next(1, true, 1, false).redispatch);
  CHECK(rr.next(3, true, 1, false).redispatch);
  CHECK(rr.next(3, true, 1, false).wait == kS);
  // A hash algorithm (balance source): same server, then the last retry elsewhere at once; a server
  // the checks took down is left at once.
  const HaproxyBackend source = rules("haproxy_source", {{"redispatch", 1.0}});
  CHECK(source.hash_based);
  CHECK_FALSE(source.next(1, true, 3, false).redispatch);
  CHECK(source.next(1, true, 3, false).wait == kS);
  CHECK_FALSE(source.next(2, true, 3, false).redispatch);
  CHECK(source.next(3, true, 3, false).redispatch);
  CHECK(source.next(3, true, 3, false).wait == 0);
  CHECK(source.next(1, false, 3, false).redispatch);
  // retries 5: the last retry is the 5th.
  const HaproxyBackend five = rules("haproxy_source", {{"redispatch", 1.0}, {"retries", 5.0}});
  CHECK_FALSE(five.next(3, true, 3, false).redispatch);
  CHECK(five.next(5, true, 3, false).redispatch);
}

TEST_CASE("HAProxy presets take the backend parameters and other policies do not", "[haproxy]") {
  for (const char* name : {"haproxy_roundrobin", "haproxy_static_rr", "haproxy_leastconn", "haproxy_first", "haproxy_source",
                           "haproxy_source_consistent", "haproxy_random"}) {
    INFO(name);
    CHECK_NOTHROW(models::make_balancing_policy(name, {{"retries", 0.0}, {"redispatch", 1.0}, {"timeout_queue_s", 30.0}}));
    CHECK_THROWS_AS(models::make_balancing_policy(name, {{"redispatch", 2.0}}), models::ParamError);
  }
  CHECK_THROWS_AS(models::make_balancing_policy("nginx_least_conn", {{"retries", 3.0}}), models::ParamError);
}

namespace {

/// One server behind an HAProxy balancer with maxconn 2; three clients arrive together at t = 1 s,
/// stay 5 s and leave; a refused client retries 10 s later.
models::FleetConfig maxconn_two(const models::Params& params) {
  models::FleetConfig cfg;
  cfg.name = "haproxy maxconn";
  cfg.run.duration_s = 30.0;
  cfg.run.seed = 4;
  cfg.fleet.servers = 1;
  cfg.clients.count = 3;
  cfg.clients.wave_share = 1.0;
  cfg.clients.wave_at_s = 1.0;
  cfg.clients.wave_window_s = 0.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.clients.session_s = sim::Distribution::constant(5.0);
  cfg.clients.on_session_end = models::SessionEnd::Leave;
  cfg.balancer.policy = "haproxy_roundrobin";
  cfg.balancer.params = params;
  cfg.balancer.max_connections_per_backend = 2;
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;
  cfg.backoff.policy = "constant";
  cfg.backoff.params = {{"delay_s", 10.0}};
  return cfg;
}

}  // namespace

TEST_CASE("HAProxy: a connection over maxconn waits in the queue for a freed slot", "[haproxy][fleet]") {
  // Two handshakes at 1.000 s (1 ms of CPU each: done 1.001, 1.002), sessions end at 6.001 and 6.002;
  // the third waits from 1 s until the first slot frees at 6.001 s, then its 1 ms handshake: 5,002 ms.
  const auto r = models::Fleet(maxconn_two({{"timeout_queue_s", 10.0}})).run();
  REQUIRE(conserved(r));
  CHECK(r.summary.connections.attempted == 3);
  CHECK(r.summary.connections.established == 3);
  CHECK(r.summary.connections.rejected == 0);
  CHECK(r.summary.handshake_latency.max_ms == Approx(5002.0).margin(0.5));
  CHECK(r.summary.handshake_latency.p50_ms < 3.0);
}

TEST_CASE("HAProxy: timeout queue answers a waiting connection with a 503", "[haproxy][fleet]") {
  // timeout queue 2.5 s: the third client gets its 503 at 3.5 s (no_backend), retries at 13.5 s and
  // gets a free slot (the others left at 6 s).
  const auto r = models::Fleet(maxconn_two({{"timeout_queue_s", 2.5}})).run();
  REQUIRE(conserved(r));
  CHECK(r.summary.connections.attempted == 4);
  CHECK(r.summary.connections.established == 3);
  CHECK(r.summary.connections.no_backend == 1);
  CHECK(fleet_sum(r, 2.0, 3.0, "rejected") == 0.0);
  CHECK(fleet_sum(r, 3.0, 4.0, "rejected") == 1.0);
  CHECK(r.summary.handshake_latency.max_ms < 3.0);
  // timeout_queue_s = 0 is timeout_connect_s: 1.5 s here, the 503 at 2.5 s.
  const auto c = models::Fleet(maxconn_two({{"timeout_connect_s", 1.5}})).run();
  REQUIRE(conserved(c));
  CHECK(c.summary.connections.no_backend == 1);
  CHECK(fleet_sum(c, 2.0, 3.0, "rejected") == 1.0);  // at 2.5 s
  // A policy that is not HAProxy's refuses at once (at 1 s), and the retry comes at 11 s.
  auto plain = maxconn_two({});
  plain.balancer.policy = "round_robin";
  const auto p = models::Fleet(plain).run();
  REQUIRE(conserved(p));
  CHECK(p.summary.connections.no_backend == 1);
  CHECK(fleet_sum(p, 0.0, 2.0, "rejected") == 1.0);  // at 1 s (the sample at 1 s may come first)
}

TEST_CASE("HAProxy: a client whose connect timeout ends first gives up while queued", "[haproxy][fleet]") {
  // Its own timeout (2.5 s) ends at 3.5 s, before the slot frees (6 s) and before timeout queue (10 s).
  auto cfg = maxconn_two({{"timeout_queue_s", 10.0}});
  cfg.clients.connect_timeout_s = 2.5;
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  CHECK(r.summary.connections.failed_timeout == 1);
  CHECK(r.summary.connections.no_backend == 0);
  CHECK(fleet_sum(r, 2.0, 3.0, "failed") == 0.0);
  CHECK(fleet_sum(r, 3.0, 4.0, "failed") == 1.0);
  CHECK(r.summary.connections.established == 3);  // it retried at 13.5 s
  CHECK(r.summary.connections.attempted == 4);
}

namespace {

/// Two servers behind HAProxy roundrobin without health checks; the server the first pick goes to
/// has crashed at 0.5 s; one client arrives at 1.5 s; a refused client waits 100 s.
models::FleetConfig crashed_first_pick(const models::Params& params) {
  models::FleetConfig cfg;
  cfg.name = "haproxy retries";
  cfg.run.duration_s = 20.0;
  cfg.run.seed = 6;
  cfg.fleet.servers = 2;
  cfg.clients.count = 1;
  cfg.clients.wave_share = 1.0;
  cfg.clients.wave_at_s = 1.5;
  cfg.clients.wave_window_s = 0.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.balancer.policy = "haproxy_roundrobin";
  cfg.balancer.params = params;
  cfg.balancer.health_check.mode = models::HealthCheckMode::None;
  cfg.balancer.passive.max_fails = 0;
  cfg.backoff.policy = "constant";
  cfg.backoff.params = {{"delay_s", 100.0}};
  // The balancer's first pick (roundrobin does not draw).
  models::LoadBalancer lb(models::make_balancing_policy("haproxy_roundrobin", {}), {1.0, 1.0}, sim::Rng(1));
  const int first = lb.pick(sim::mix64(0));
  REQUIRE(first >= 0);
  cfg.faults.push_back(models::CrashFault::of_server(static_cast<std::uint32_t>(first), 0.5));
  return cfg;
}

}  // namespace

TEST_CASE("HAProxy: retries go to the same server after the turn-around, then the client gets the error",
          "[haproxy][fleet]") {
  // Tries at 1.5, 2.5, 3.5 and 4.5 s (retries 3, turn-around min(5 s, 1 s)); the error reaches the
  // client at 4.5 s.
  const auto r = models::Fleet(crashed_first_pick({})).run();
  REQUIRE(conserved(r));
  CHECK(r.summary.connections.attempted == 1);
  CHECK(r.summary.connections.failed_backend_down == 1);
  CHECK(r.summary.balancers.at(0).failed_tries == 4);
  CHECK(fleet_sum(r, 0.0, 4.0, "failed") == 0.0);
  CHECK(fleet_sum(r, 4.0, 5.0, "failed") == 1.0);
  // timeout connect 0.25 s: the turn-around is 0.25 s, the error at 2.25 s.
  const auto q = models::Fleet(crashed_first_pick({{"timeout_connect_s", 0.25}})).run();
  REQUIRE(conserved(q));
  CHECK(q.summary.balancers.at(0).failed_tries == 4);
  CHECK(fleet_sum(q, 2.0, 3.0, "failed") == 1.0);
  // retries 0: the first failure is the client's, at once.
  const auto z = models::Fleet(crashed_first_pick({{"retries", 0.0}})).run();
  REQUIRE(conserved(z));
  CHECK(z.summary.balancers.at(0).failed_tries == 1);
  CHECK(fleet_sum(z, 1.0, 2.0, "failed") == 1.0);
}

TEST_CASE("HAProxy: option redispatch sends the retry to the other server at once", "[haproxy][fleet]") {
  const auto r = models::Fleet(crashed_first_pick({{"redispatch", 1.0}})).run();
  REQUIRE(conserved(r));
  CHECK(r.summary.connections.attempted == 1);
  CHECK(r.summary.connections.established == 1);
  CHECK(r.summary.connections.failed == 0);
  CHECK(r.summary.balancers.at(0).failed_tries == 1);
  CHECK(r.summary.handshake_latency.max_ms < 5.0);  // no turn-around
}
