// Channel joins of the phoenix preset (models/pubsub/channel_joins.hpp): one join per channel on every
// connection, each a job on the server's CPU; a join without a reply within the socket's timeout or
// refused by a server shedding load is sent again after phoenix.js's rejoinAfterMs: 1, 2, 5, then 10 s.
// The sequences below are computed by hand from those rules.
#include <string>

#include "experiments/result_writer.hpp"
#include "experiments/scenario_loader.hpp"
#include "models/backoff_policy.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

using namespace wsfleet;

namespace {

/// One server with one core, one client connecting at time 0 (handshake 1 ms), no heartbeats nor
/// messages; the phoenix preset; [pubsub] with `channels` channels, all of which the client joins.
models::FleetConfig one_client(std::uint32_t channels, double join_us) {
  models::FleetConfig cfg;
  cfg.run.duration_s = 40.0;
  cfg.run.sample_interval_s = 1.0;
  cfg.fleet.servers = 1;
  cfg.fleet.max_connections = 10;
  cfg.fleet.cpu.handshake_us = 1000.0;
  cfg.clients.count = 1;
  cfg.clients.ramp_s = 0.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.balancer.policy = "round_robin";
  cfg.backoff.policy = "phoenix";
  cfg.pubsub.channels = channels;
  cfg.pubsub.subscriptions = channels;
  cfg.pubsub.join_us = join_us;
  return cfg;
}

models::RunResult run(const models::FleetConfig& cfg) {
  models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  return r;
}

/// Busy core-seconds of every server over the whole run, from the per-interval utilisation.
double busy_core_s(const models::RunResult& r, const models::FleetConfig& cfg) {
  const auto& util = r.servers.column("cpu_utilisation");
  double busy = 0.0;
  for (double u : util) busy += u * cfg.run.sample_interval_s * cfg.fleet.cpu_cores;
  return busy;
}

}  // namespace

TEST_CASE("the phoenix preset's channel joins follow phoenix.js's defaults", "[channel_joins]") {
  const auto policy = models::make_backoff_policy("phoenix", {});
  const auto r = policy->channel_rejoin();
  REQUIRE(r.has_value());
  CHECK(r->join_timeout == sim::from_seconds(10.0));  // DEFAULT_TIMEOUT, the push's timeout
  CHECK(r->delay(1) == sim::from_seconds(1.0));       // rejoinAfterMs: [1000, 2000, 5000][tries - 1] || 10000
  CHECK(r->delay(2) == sim::from_seconds(2.0));
  CHECK(r->delay(3) == sim::from_seconds(5.0));
  CHECK(r->delay(4) == sim::from_seconds(10.0));
  CHECK(r->delay(50) == sim::from_seconds(10.0));
  CHECK_FALSE(models::make_backoff_policy("phoenix", {{"rejoin_channels", 0.0}})->channel_rejoin().has_value());
  CHECK(models::make_backoff_policy("phoenix", {{"timeout_s", 0.5}})->channel_rejoin()->join_timeout == sim::from_seconds(0.5));
  // Other libraries send no joins of their own.
  CHECK_FALSE(models::make_backoff_policy("socketio", {})->channel_rejoin().has_value());
  CHECK_FALSE(models::make_backoff_policy("full_jitter", {})->channel_rejoin().has_value());
}

TEST_CASE("every channel joins once per connection and each join is work on the server", "[channel_joins]") {
  // 3 channels, 2 ms per join: the handshake (1 ms) and three joins (6 ms) are all the work of the run.
  models::FleetConfig cfg = one_client(3, 2000.0);
  const models::RunResult r = run(cfg);
  const models::ChannelJoinOutcome& j = r.summary.pubsub.joins;
  REQUIRE(j.enabled);
  CHECK(j.attempted == 3);
  CHECK(j.on_open == 3);
  CHECK(j.succeeded == 3);
  CHECK(j.retried == 0);
  CHECK(j.joined_at_end == 3);
  CHECK(busy_core_s(r, cfg) == Approx(0.007).margin(1e-9));
  // Without joins (the library option off), only the handshake.
  cfg.backoff.params = {{"rejoin_channels", 0.0}};
  const models::RunResult off = run(cfg);
  CHECK_FALSE(off.summary.pubsub.joins.enabled);
  CHECK(busy_core_s(off, cfg) == Approx(0.001).margin(1e-9));
  // summary.json carries the counts only when the library joins.
  CHECK(experiments::summary_json_text(r.summary).find("\"channel_joins\"") != std::string::npos);
  CHECK(experiments::summary_json_text(off.summary).find("\"channel_joins\"") == std::string::npos);
}

TEST_CASE("a join without a reply within the timeout is sent again after 1, 2, 5, then 10 s", "[channel_joins]") {
  // One channel, a join takes 0.6 s of CPU, the socket's timeout is 0.5 s: every join times out.
  // The socket opens at o = 1 ms (the handshake). Join n is sent at s_n, times out at s_n + 0.5 (a leave,
  // 50 us, is queued behind it) and is sent again rejoinAfterMs(n) later:
  //   s_1 = o, s_2 = o + 1.5, s_3 = o + 4.0, s_4 = o + 9.5, s_5 = o + 20.0, s_6 = o + 30.5, then o + 41 > 40 s.
  // The CPU is idle at each s_n (the previous join and its leave ended by s_n - 0.4), so no wait adds up.
  models::FleetConfig cfg = one_client(1, 600000.0);
  cfg.backoff.params = {{"timeout_s", 0.5}};
  const models::RunResult r = run(cfg);
  const models::ChannelJoinOutcome& j = r.summary.pubsub.joins;
  CHECK(j.attempted == 6);
  CHECK(j.on_open == 1);
  CHECK(j.retried == 5);
  CHECK(j.timed_out == 6);  // the sixth times out at o + 31.0
  CHECK(j.leaves == 6);
  CHECK(j.succeeded == 0);
  CHECK(j.in_flight_at_end == 0);
  CHECK(j.waiting_at_end == 1);
  // The server did every join in full and every leave: 1 ms + 6 x 0.6 s + 6 x 50 us.
  CHECK(busy_core_s(r, cfg) == Approx(0.001 + 6 * 0.6 + 6 * 50e-6).margin(1e-9));

  // With the default 10 s timeout the same joins succeed at once.
  cfg.backoff.params.clear();
  const models::RunResult ok = run(cfg);
  CHECK(ok.summary.pubsub.joins.attempted == 1);
  CHECK(ok.summary.pubsub.joins.succeeded == 1);
}

TEST_CASE("a server shedding load refuses joins and the client rejoins on the schedule", "[channel_joins]") {
  // 3 channels, 0.3 s per join; the server refuses above a 250 ms backlog (a refusal costs 20 us).
  // At o: join A is taken (no backlog), B and C find 0.3 s and 0.30002 s queued: refused, answered at
  // o + 0.30002 and o + 0.30004. Each rejoins 1 s later: B at o + 1.30002 finds an idle CPU and is
  // taken (done o + 1.60002); C at o + 1.30004 finds 0.29998 s queued: refused again (answered at
  // o + 1.60004), rejoins 2 s later at o + 3.60004, idle: taken. 6 joins, 3 refused, 3 joined.
  models::FleetConfig cfg = one_client(3, 300000.0);
  cfg.fleet.admission.reject_above_backlog_ms = 250.0;
  cfg.fleet.admission.reject_us = 20.0;
  const models::RunResult r = run(cfg);
  const models::ChannelJoinOutcome& j = r.summary.pubsub.joins;
  CHECK(j.attempted == 6);
  CHECK(j.refused == 3);
  CHECK(j.succeeded == 3);
  CHECK(j.retried == 3);
  CHECK(j.joined_at_end == 3);
  CHECK(busy_core_s(r, cfg) == Approx(0.001 + 3 * 0.3 + 3 * 20e-6).margin(1e-9));
}

TEST_CASE("after a crash the reconnecting clients' joins are work on the surviving servers", "[channel_joins]") {
  // 2 servers, 400 clients on 10 channels each, 200 us per join; server 0 crashes at 20 s and its 200
  // clients reconnect to server 1: 2000 joins there on top of 200 handshakes.
  models::FleetConfig cfg;
  cfg.run.duration_s = 40.0;
  cfg.run.sample_interval_s = 1.0;
  cfg.fleet.servers = 2;
  cfg.fleet.max_connections = 1000;
  cfg.fleet.cpu.handshake_us = 1000.0;
  cfg.clients.count = 400;
  cfg.clients.ramp_s = 5.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.balancer.policy = "round_robin";
  cfg.backoff.policy = "phoenix";
  cfg.pubsub.channels = 10;
  cfg.pubsub.subscriptions = 10;
  cfg.pubsub.join_us = 200.0;
  cfg.faults.push_back(models::CrashFault::of_server(0, 20.0));
  const models::RunResult r = run(cfg);
  const models::ChannelJoinOutcome& j = r.summary.pubsub.joins;
  const std::uint64_t established = r.summary.connections.established;
  CHECK(established == 600);  // 400 first connections, 200 again after the crash
  CHECK(j.attempted == established * 10);
  CHECK(j.succeeded == j.attempted);
  CHECK(j.joined_at_end == 4000);
  cfg.backoff.params = {{"rejoin_channels", 0.0}};
  const models::RunResult off = run(cfg);
  REQUIRE(off.summary.connections.established == 600);
  // Server 1 in the second after the crash: n reconnections (most of the 200: a few first try the
  // dead server again), each a handshake (1 ms) and, with joins, 10 joins (2 ms): three times the CPU.
  const double n = testing::server_at(r, 1, 21.0, "established");
  CHECK(n == testing::server_at(off, 1, 21.0, "established"));
  CHECK(n >= 190.0);
  const double with = testing::server_at(r, 1, 21.0, "cpu_utilisation");
  const double without = testing::server_at(off, 1, 21.0, "cpu_utilisation");
  CHECK(without == Approx(n * 0.001).margin(1e-9));
  CHECK(with == Approx(n * 0.003).margin(1e-9));
  // Over the run, the joins are exactly the extra work (server 0's queue was empty when it crashed).
  CHECK(busy_core_s(r, cfg) - busy_core_s(off, cfg) == Approx(6000 * 200e-6).margin(1e-9));
}
