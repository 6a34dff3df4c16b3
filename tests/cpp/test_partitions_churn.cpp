// Partitions and client churn: a site whose servers are unreachable behind answering balancers
// (type "site_partition"), mobile clients whose network drops and comes back (clients.offline_mean_s),
// and a wave of first connections (clients.wave_*).
#include <string>

#include "catch.hpp"
#include "fleet_fixtures.hpp"
#include "models/fleet.hpp"

using namespace wsfleet;
using wsfleet::testing::conservation_check;
using wsfleet::testing::conserved;
using wsfleet::testing::fault;
using wsfleet::testing::fleet_at;
using wsfleet::testing::fleet_sum;
using wsfleet::testing::two_sites;

TEST_CASE("a site partition cuts its connections, its balancers take the servers out, clients fail over", "[partition]") {
  models::FleetConfig cfg = two_sites();
  cfg.faults.push_back(fault(models::FaultTarget::SitePartition, 30.0, 60.0, "ams"));
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const models::FaultOutcome& out = r.summary.faults[0];
  CHECK(out.target == "site_partition");
  // Everyone was in Amsterdam (nearest); the partition cut all of them.
  CHECK(out.connections_dropped == 2000);
  // The servers were never down: the balancers saw failed probes (3 x 2 s) and took them out; the
  // clients' attempts meanwhile waited at the balancers for their connects to the servers, which
  // timed out after the generic balancer.connect_timeout_s (5 s, before the clients' own 10 s): each
  // one a failed try and a 504 to its client (backend_down), then they went to Frankfurt.
  std::uint64_t connect_timeouts = 0;
  for (const auto& b : r.summary.balancers) {
    REQUIRE(b.connect_timeouts.has_value());
    connect_timeouts += *b.connect_timeouts;
  }
  CHECK(connect_timeouts > 0);
  CHECK(r.summary.connections.failed_backend_down == connect_timeouts);
  CHECK(r.summary.connections.failed_timeout == 0);
  REQUIRE(out.reconnected_within_s.has_value());
  CHECK(*out.reconnected_within_s > 4.0);
  CHECK(*out.reconnected_within_s < 60.0);
  CHECK(fleet_at(r, 80.0, "connections") == 2000);
  CHECK(fleet_at(r, 80.0, "up") == 4);  // nothing crashed
  CHECK(r.summary.sites[1].active_at_end == 2000);  // they stay in Frankfurt after it heals (long-lived)
}

TEST_CASE("mobile churn: connected share = session / (session + offline), by renewal theory", "[churn]") {
  models::FleetConfig cfg = wsfleet::testing::small_fleet();
  cfg.run.duration_s = 1200.0;
  cfg.run.sample_interval_s = 10.0;
  cfg.clients.count = 4000;
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.session_s = sim::Distribution::exponential(60.0);  // the network drops every minute on average
  cfg.clients.on_session_end = models::SessionEnd::Reconnect;
  cfg.clients.vanish_share = 1.0;                                // silently: half-open on the server
  cfg.clients.offline_mean_s = 30.0;                             // offline 30 s on average
  cfg.fleet.max_connections = 4000;                             // room for the half-open ones too
  cfg.heartbeat.sender = models::HeartbeatSender::Server;        // the server pings and finds them
  cfg.heartbeat.timeout_s = 10.0;
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  // Each client alternates on (mean 60 s, plus a handshake) and off (mean 30 s): 2/3 connected.
  const auto& t = r.fleet.column("time_s");
  const auto& conns = r.fleet.column("connections");
  double sum = 0.0;
  int n = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] > 300.0) {
      sum += conns[i];
      ++n;
    }
  }
  CHECK(sum / n / 4000.0 == Approx(2.0 / 3.0).epsilon(0.03));
  CHECK(r.summary.connections.vanished > 4000 * 10);  // about 13 drops per client
  CHECK(r.summary.heartbeat.ghosts_detected > 0);     // the servers find the half-open ones
  // Off by default: the client reconnects at once after a silent drop.
  cfg.clients.offline_mean_s = 0.0;
  const models::RunResult at_once = models::Fleet(cfg).run();
  CHECK(fleet_at(at_once, 1200.0, "connections") > 3900);
}

TEST_CASE("a wave brings a share of the clients within its window", "[churn]") {
  models::FleetConfig cfg = wsfleet::testing::small_fleet();
  cfg.clients.count = 10000;
  cfg.fleet.max_connections = 5000;
  cfg.clients.wave_share = 0.3;
  cfg.clients.wave_at_s = 60.0;
  cfg.clients.wave_window_s = 10.0;
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const double wave = fleet_sum(r, 60.0, 70.0, "attempts");
  CHECK(wave == Approx(3000.0).margin(150.0));               // binomial(10000, 0.3): sd 46
  CHECK(fleet_sum(r, 10.0, 60.0, "attempts") == 0.0);        // the ramp's clients are all in by 10 s
  CHECK(fleet_at(r, 59.0, "connections") == Approx(7000.0).margin(150.0));
  CHECK(fleet_at(r, 80.0, "connections") == 10000.0);
  cfg.clients.wave_share = 0.0;
  CHECK(fleet_sum(models::Fleet(cfg).run(), 60.0, 70.0, "attempts") == 0.0);
}

namespace {

/// One client, in region eu: 5 ms from ams (2 servers), 15 ms from fra (1 server). No health checks
/// and no passive marking, so ams's balancer keeps sending it to ams's servers while they are cut off
/// (from 10 s on). The client retries 1 s after every failure (constant backoff) and gives an attempt
/// 30 s (clients.connect_timeout_s).
models::FleetConfig one_client_partition() {
  models::FleetConfig cfg = two_sites(2, 1);
  cfg.run.duration_s = 57.0;
  cfg.fleet.servers = 3;
  cfg.clients.count = 1;
  cfg.clients.ramp_s = 1.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.connect_timeout_s = 30.0;
  cfg.backoff.policy = "constant";
  cfg.backoff.params = {{"delay_s", 1.0}};
  cfg.balancer.policy = "round_robin";
  cfg.balancer.tries = 2;
  cfg.balancer.health_check.mode = models::HealthCheckMode::None;
  cfg.faults.push_back(fault(models::FaultTarget::SitePartition, 10.0, std::nullopt, "ams"));
  return cfg;
}

std::uint64_t connect_timeouts(const models::RunResult& r) {
  std::uint64_t n = 0;
  for (const auto& b : r.summary.balancers) n += b.connect_timeouts.value_or(0);
  return n;
}

}  // namespace

TEST_CASE("a partitioned server's connect times out at the balancer, which frees its slot and tries the next",
          "[partition][connect]") {
  SECTION("generic: 5 s per try, 2 tries, then a 504 to the client") {
    const models::RunResult r = models::Fleet(one_client_partition()).run();
    REQUIRE(conserved(r));
    // Cut at 10 s; the client tries again at 11 s: the balancer's connect to ams-0 gets no answer
    // until 16 s, to ams-1 until 21 s (the slot held meanwhile is freed at each timeout), then the
    // client gets its error (backend_down) and retries at 22 s: failures at 21, 32, 43 and 54 s; the
    // attempt of 55 s still waits at the end (its first timeout would be at 60 s).
    CHECK(r.summary.faults.at(0).connections_dropped == 1);
    CHECK(r.summary.connections.attempted == 6);
    CHECK(r.summary.connections.established == 1);
    CHECK(r.summary.connections.failed_backend_down == 4);
    CHECK(r.summary.connections.failed_timeout == 0);
    CHECK(connect_timeouts(r) == 8);
    CHECK(r.summary.connections.pending_at_end == 1);
    const models::ConservationCheck* held = conservation_check(r, "balancer connects");
    REQUIRE(held != nullptr);
    CHECK(held->values == "9 = 8 + 0 + 0 + 0 + 1");
  }
  SECTION("NGINX: proxy_connect_timeout 60 s, longer than the client's 30 s: the client gives up first") {
    models::FleetConfig cfg = one_client_partition();
    cfg.balancer.policy = "nginx_round_robin";
    cfg.balancer.connect_timeout_s = 60.0;
    const models::RunResult r = models::Fleet(cfg).run();
    REQUIRE(conserved(r));
    // 11 s: waits at the balancer; 41 s: the client's timeout (failed_by.timeout), the balancer frees
    // the slot at once; 42 s: the next attempt, still waiting at the end.
    CHECK(r.summary.connections.failed_timeout == 1);
    CHECK(r.summary.connections.failed_backend_down == 0);
    CHECK(connect_timeouts(r) == 0);
    const models::ConservationCheck* held = conservation_check(r, "balancer connects");
    REQUIRE(held != nullptr);
    CHECK(held->values == "2 = 0 + 0 + 1 + 0 + 1");
  }
  SECTION("L4 forwarding (connect_timeout_s = 0): the client's own timeout, as IPVS") {
    models::FleetConfig cfg = one_client_partition();
    cfg.balancer.connect_timeout_s = 0.0;
    const models::RunResult r = models::Fleet(cfg).run();
    REQUIRE(conserved(r));
    CHECK(r.summary.connections.failed_timeout == 1);  // 11 s + 30 s
    CHECK(r.summary.connections.failed_backend_down == 0);
    CHECK(connect_timeouts(r) == 0);
  }
  SECTION("HAProxy: timeout connect 5 s, 3 retries on the same server at once, then a 503") {
    models::FleetConfig cfg = one_client_partition();
    cfg.balancer.policy = "haproxy_roundrobin";
    cfg.balancer.params = {{"timeout_connect_s", 5.0}};
    const models::RunResult r = models::Fleet(cfg).run();
    REQUIRE(conserved(r));
    // 11 s: 4 connects of 5 s each (the first and 3 retries, no turn-around after a timeout): the
    // error at 31 s; 32 s: again, the error at 52 s; 53 s: waits at the end.
    CHECK(r.summary.connections.failed_backend_down == 2);
    CHECK(r.summary.connections.failed_timeout == 0);
    CHECK(connect_timeouts(r) == 8);
  }
}

namespace {

/// The client's attempt of 11 s, waiting at the balancer for its connect to ams-0, once the partition
/// (from 10 s) heals `heal_s` later; the run ends at `end_s`.
models::RunResult healing_partition(const std::string& policy, double connect_timeout_s, double heal_s, double end_s) {
  models::FleetConfig cfg = one_client_partition();
  cfg.balancer.policy = policy;
  cfg.balancer.connect_timeout_s = connect_timeout_s;
  cfg.faults.at(0).recover_after_s = heal_s;
  cfg.run.duration_s = end_s;
  return models::Fleet(cfg).run();
}

std::uint64_t connect_completions(const models::RunResult& r) {
  std::uint64_t n = 0;
  for (const auto& b : r.summary.balancers) n += b.connect_completions.value_or(0);
  return n;
}

}  // namespace

TEST_CASE("a partition that heals while the balancer connects: the next SYN retransmission gets through",
          "[partition][connect]") {
  // The balancer's connect() starts at 11 s; Linux retransmits its SYN at 11 + 1, 3, 7, 15, 31 s
  // (12, 14, 18, 26, 42 s), each lost while the partition lasts.
  SECTION("NGINX (60 s): healed at 20 s, the SYN of 26 s is answered, not one before") {
    const models::RunResult before = healing_partition("nginx_round_robin", 60.0, 10.0, 25.999);
    REQUIRE(conserved(before));
    CHECK(connect_completions(before) == 0);
    CHECK(before.summary.connections.established == 1);  // the first connection only
    CHECK(before.summary.connections.pending_at_end == 1);
    const models::RunResult at = healing_partition("nginx_round_robin", 60.0, 10.0, 26.0);
    REQUIRE(conserved(at));
    CHECK(connect_completions(at) == 1);  // at 26 s exactly; its handshake is under way at the end
    CHECK(at.summary.connections.pending_at_end == 1);
    const models::RunResult after = healing_partition("nginx_round_robin", 60.0, 10.0, 40.0);
    REQUIRE(conserved(after));
    CHECK(connect_completions(after) == 1);
    CHECK(after.summary.connections.attempted == 2);
    CHECK(after.summary.connections.established == 2);  // the same attempt, on ams-0
    CHECK(after.summary.connections.failed_timeout == 0);
    CHECK(connect_timeouts(after) == 0);
    CHECK(after.summary.connections.active_at_end == 1);
    CHECK(after.summary.sites[0].active_at_end == 1);
    const models::ConservationCheck* held = conservation_check(after, "balancer connects");
    REQUIRE(held != nullptr);
    CHECK(held->values == "1 = 0 + 1 + 0 + 0 + 0");
    // Reconnected 16 s after the cut (at 26 s) plus the handshake: under a second more.
    REQUIRE(after.summary.faults[0].reconnected_within_s.has_value());
    CHECK(*after.summary.faults[0].reconnected_within_s >= 16.0);
    CHECK(*after.summary.faults[0].reconnected_within_s < 17.0);
  }
  SECTION("generic (5 s): healed at 13.5 s, the SYN of 14 s is answered") {
    const models::RunResult before = healing_partition("round_robin", 5.0, 3.5, 13.999);
    REQUIRE(conserved(before));
    CHECK(connect_completions(before) == 0);
    const models::RunResult after = healing_partition("round_robin", 5.0, 3.5, 30.0);
    REQUIRE(conserved(after));
    CHECK(connect_completions(after) == 1);
    CHECK(connect_timeouts(after) == 0);
    CHECK(after.summary.connections.established == 2);
    CHECK(after.summary.connections.failed_backend_down == 0);
    REQUIRE(after.summary.faults[0].reconnected_within_s.has_value());
    CHECK(*after.summary.faults[0].reconnected_within_s >= 4.0);
    CHECK(*after.summary.faults[0].reconnected_within_s < 5.0);
  }
  SECTION("generic (5 s): healed at 14.5 s, no SYN is left before the timeout of 16 s") {
    // The next would go at 18 s: the connect times out at 16 s (a failed try) and the balancer's next
    // try, ams-1, now answers at once.
    const models::RunResult r = healing_partition("round_robin", 5.0, 4.5, 30.0);
    REQUIRE(conserved(r));
    CHECK(connect_completions(r) == 0);
    CHECK(connect_timeouts(r) == 1);
    CHECK(r.summary.connections.established == 2);
    CHECK(r.summary.connections.failed_backend_down == 0);
    REQUIRE(r.summary.faults[0].reconnected_within_s.has_value());
    CHECK(*r.summary.faults[0].reconnected_within_s >= 6.0);
    CHECK(*r.summary.faults[0].reconnected_within_s < 7.0);
  }
}
