// The [autoscaler] component in fleet runs: a connection-heavy wave scaled out by the HPA (new
// servers get only new connections), recovery falling with a shorter provisioning delay, CPU-based
// scaling lagging a connection-heavy wave, a scale-in drain whose connections reconnect, the
// accounting, the cost and determinism.
#include <algorithm>
#include <cmath>
#include <string>

#include "models/autoscaling_policy.hpp"
#include "models/fleet.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

using namespace wsfleet;
using wsfleet::testing::conserved;

namespace {

/// 2 servers x 1000 slots, 4000 clients arriving over 40 s, an HPA on connections at 60 % of the
/// limit (600 per server: 7 servers for everyone), provisioning `boot_s`, readiness 5 s.
models::FleetConfig wave(double boot_s, models::AutoscalerMetric metric = models::AutoscalerMetric::Connections) {
  models::FleetConfig cfg = wsfleet::testing::small_fleet();
  cfg.run.duration_s = 300.0;
  cfg.fleet.servers = 2;
  cfg.fleet.max_connections = 1000;
  cfg.fleet.cost_per_hour = 1.0;
  cfg.clients.count = 4000;
  cfg.clients.ramp_s = 40.0;
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;
  cfg.autoscaler.policy = "kubernetes_hpa";
  cfg.autoscaler.metric = metric;
  const auto* info = models::find_policy(models::autoscaling_policies(), "kubernetes_hpa");
  cfg.autoscaler.params = models::resolve_params("kubernetes_hpa", info->params,
                                                 {{"target_utilization_pct", 60}, {"min_replicas", 2}, {"max_replicas", 10}});
  cfg.autoscaler.provisioning_s = sim::Distribution::constant(boot_s);
  cfg.autoscaler.readiness_delay_s = 5.0;
  return cfg;
}

/// The first sample time at which every client is connected, or -1.
double all_connected_at(const models::RunResult& r, double clients) {
  const auto& t = r.fleet.column("time_s");
  const auto& c = r.fleet.column("connections");
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (c[i] >= clients) return t[i];
  }
  return -1.0;
}

double last(const models::RunResult& r, const std::string& column) { return r.fleet.column(column).back(); }

}  // namespace

TEST_CASE("autoscaler: the HPA scales a connection wave out, the new servers get only new connections",
          "[autoscaler][fleet]") {
  models::Fleet fleet(wave(20.0));
  const auto r = fleet.run();
  REQUIRE(conserved(r));
  const auto& a = r.summary.autoscaler;
  REQUIRE(a.enabled);
  CHECK(a.decisions == 20);  // syncs at 15, 30, ..., 300 s
  CHECK(a.decisions == a.scale_ups + a.scale_downs + a.no_changes);
  CHECK(a.scale_ups >= 2);
  CHECK(a.launched >= 5);
  CHECK(a.became_ready == a.launched - a.cancelled - a.booting_at_end - a.starting_at_end);
  // Everyone is served at the end: 4000 clients at most 600 per server -> at least 7 servers.
  CHECK(last(r, "connections") == 4000);
  CHECK(a.in_service_at_end >= 7);
  CHECK(last(r, "replicas") == static_cast<double>(a.replicas_at_end));
  // Every server launched is ready 25 s after its decision (20 s boot + 5 s readiness).
  CHECK(a.mean_launch_to_ready_s == Approx(25.0));
  // The two old servers filled up during the wave; the new ones took only what came after: the
  // busiest holds well above the mean at the end.
  CHECK(last(r, "conn_max_over_mean") > 1.3);
  // The cost: 2 servers for the whole 300 s, and each launched one from its launch: between 2 x 300 s
  // and (2 + launched) x 300 s, at 1 per hour.
  CHECK(a.server_hours > 2 * 300.0 / 3600.0);
  CHECK(a.server_hours < (2.0 + static_cast<double>(a.launched)) * 300.0 / 3600.0);
  CHECK(a.cost == Approx(a.server_hours));
}

TEST_CASE("autoscaler: recovery time falls with a shorter provisioning delay", "[autoscaler][fleet]") {
  models::Fleet fast(wave(10.0)), slow(wave(60.0));
  const auto rf = fast.run();
  const auto rs = slow.run();
  REQUIRE(conserved(rf));
  REQUIRE(conserved(rs));
  const double t_fast = all_connected_at(rf, 4000), t_slow = all_connected_at(rs, 4000);
  REQUIRE(t_fast > 0);
  REQUIRE(t_slow > 0);
  CHECK(t_fast + 30.0 < t_slow);
  CHECK(rf.summary.connections.rejected < rs.summary.connections.rejected);
}

TEST_CASE("autoscaler: CPU-based scaling lags a connection-heavy wave", "[autoscaler][fleet]") {
  // Holding a connection costs almost nothing (heartbeats and a message every 10 s): the CPU stays
  // far below 60 % while the connection limits are full.
  models::Fleet by_conns(wave(20.0)), by_cpu(wave(20.0, models::AutoscalerMetric::Cpu));
  const auto rc = by_conns.run();
  const auto rp = by_cpu.run();
  REQUIRE(conserved(rp));
  CHECK(rp.summary.autoscaler.launched < rc.summary.autoscaler.launched);
  CHECK(rp.summary.connections.rejected > 2 * rc.summary.connections.rejected);
  CHECK(last(rp, "connections") < 4000);
}

TEST_CASE("autoscaler: a scale-in drains servers, their connections reconnect elsewhere", "[autoscaler][fleet]") {
  // 6 servers, 1200 clients: 20 % of the limit each; the HPA (60 % target, no scale-down window)
  // proposes ceil(0.2 / 0.6 x 6) = 2 and drains 4 servers, which close what they hold after 10 s.
  models::FleetConfig cfg = wave(20.0);
  cfg.fleet.servers = 6;
  cfg.clients.count = 1200;
  cfg.clients.ramp_s = 10.0;
  cfg.run.duration_s = 120.0;
  cfg.autoscaler.params["down_stabilization_s"] = 0;
  cfg.autoscaler.drain_timeout_s = 10.0;
  models::Fleet fleet(cfg);
  const auto r = fleet.run();
  REQUIRE(conserved(r));
  const auto& a = r.summary.autoscaler;
  CHECK(a.drains_started == 4);
  CHECK(a.drains_done == 4);
  CHECK(a.in_service_at_end == 2);
  CHECK(a.connections_closed_by_scale_in > 0);
  CHECK(r.summary.connections.closed >= a.connections_closed_by_scale_in);
  CHECK(last(r, "connections") == 1200);  // everyone reconnected to the 2 left (room for 2000)
  CHECK(a.launched == 0);
}

TEST_CASE("autoscaler: same seed, same run, off by default", "[autoscaler][fleet]") {
  models::Fleet a(wave(20.0)), b(wave(20.0));
  const auto ra = a.run();
  const auto rb = b.run();
  CHECK(ra.summary.events_processed == rb.summary.events_processed);
  CHECK(ra.fleet.column("replicas") == rb.fleet.column("replicas"));
  CHECK(ra.summary.autoscaler.cost == rb.summary.autoscaler.cost);
  // Without [autoscaler]: no component, no columns, no extra server slots.
  models::FleetConfig plain = wsfleet::testing::small_fleet();
  CHECK(plain.total_servers() == 4);
  models::Fleet off(plain);
  const auto ro = off.run();
  CHECK_FALSE(ro.summary.autoscaler.enabled);
  const auto& columns = ro.fleet.columns();
  CHECK(std::find(columns.begin(), columns.end(), "replicas") == columns.end());
}

TEST_CASE("autoscaler: a drained server's slot is launched again and takes connections", "[autoscaler][fleet]") {
  // 6 servers, 3000 clients arriving over 200 s: at 15 s the load is tiny (about 37 per server), so
  // the HPA (no scale-down window) drains 4 servers; as the clients keep coming it scales out again
  // to ceil(3000 / 600) = 5, launching into the drained slots first (servers 2, 3 and 4).
  models::FleetConfig cfg = wave(10.0);
  cfg.fleet.servers = 6;
  cfg.clients.count = 3000;
  cfg.clients.ramp_s = 200.0;
  cfg.run.duration_s = 400.0;
  cfg.autoscaler.params["down_stabilization_s"] = 0;
  cfg.autoscaler.drain_timeout_s = 5.0;
  models::Fleet fleet(cfg);
  const auto r = fleet.run();
  REQUIRE(conserved(r));
  const auto& a = r.summary.autoscaler;
  CHECK(a.drains_started == 4);
  CHECK(a.drains_done == 4);
  CHECK(a.launched >= 3);
  CHECK(last(r, "connections") == 3000);
  for (std::size_t server = 2; server <= 4; ++server) {
    INFO("server " << server);
    CHECK(wsfleet::testing::server_at(r, server, 400.0, "connections") > 0);
  }
}

TEST_CASE("autoscaler: rebalancing evens out what the scale-out left uneven", "[autoscaler][fleet]") {
  // The same wave with [fleet.rebalance]: servers above the mean close connections so that their
  // clients move to the new servers; the imbalance the scale-out leaves (1.3+ without) is gone.
  models::FleetConfig cfg = wave(20.0);
  cfg.fleet.rebalance.interval_s = 10.0;
  cfg.fleet.rebalance.tolerance = 0.1;
  models::Fleet fleet(cfg);
  const auto r = fleet.run();
  REQUIRE(conserved(r));
  CHECK(last(r, "connections") == 4000);
  CHECK(last(r, "conn_max_over_mean") < 1.15);
  CHECK(r.summary.connections.rebalanced > 0);
}

TEST_CASE("autoscaler with a rolling deploy: the rollout replaces the replicas the HPA set, then the HPA resumes",
          "[autoscaler][fleet][deploys]") {
  // The wave scales the fleet out to 7 servers by t = 150 s (4,000 clients at 600 per server). A
  // deploy at t = 200 s with maxSurge 1, maxUnavailable 0 and new servers ready after 10 s replaces
  // them one at a time (as a Deployment under an HPA: its replicas are the HPA's count): 7 new
  // servers, 7 old ones terminated, the rollout complete after 7 x 10 = 70 s. The HPA holds while
  // the rollout runs and manages the new servers after it.
  models::FleetConfig cfg = wave(20.0);
  cfg.clients.messages_per_minute = 0.0;
  cfg.deploys.push_back(wsfleet::testing::one_at_a_time_deploy(200.0, 10.0));
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const auto& a = r.summary.autoscaler;
  REQUIRE(r.summary.deploys.size() == 1);
  const auto& dep = r.summary.deploys[0];
  REQUIRE(wsfleet::testing::fleet_at(r, 199.0, "replicas") == 7.0);
  CHECK(dep.replicas == 7);
  CHECK(dep.servers_started == 7);
  CHECK(dep.servers_terminated == 7);
  CHECK(dep.duration_s.value() == Approx(70.0));
  CHECK(dep.min_available == 7);
  CHECK(dep.peak_servers == 8);
  REQUIRE(a.held.has_value());
  // 210, 225, 240, 255 and 270 s: the sync at 270 s runs before the last new server's readiness at
  // the same instant (same-time events run in the order they were scheduled: the sync at 255 s,
  // the readiness when that server started at 260 s).
  CHECK(*a.held == 5);
  CHECK(a.decisions + *a.held == 20);
  CHECK(a.adopted.value() == 7);
  CHECK(a.released.value() == 7);
  // At the end every server in service is a new one, in the autoscaler's hands.
  CHECK(wsfleet::testing::fleet_at(r, 300.0, "deploy_new") == 7.0);
  CHECK(wsfleet::testing::fleet_at(r, 300.0, "deploy_old") == 0.0);
  CHECK(a.in_service_at_end == 7);
  CHECK(last(r, "connections") == 4000);
  CHECK(dep.not_reconnected_at_end == 0);
}

TEST_CASE("autoscaler with a deploy while servers still boot: they are left to the new ReplicaSet",
          "[autoscaler][fleet][deploys]") {
  // A deploy at t = 32 s, while the servers the HPA asked for at 15 and 30 s still boot (20 s): the
  // rollout cancels them and counts them among the replicas it brings up, new.
  models::FleetConfig cfg = wave(20.0);
  cfg.clients.messages_per_minute = 0.0;
  models::DeployEvent d;
  d.at_s = 32.0;
  d.ready_after_s = 10.0;
  d.prestop_s = 0.0;
  cfg.deploys.push_back(d);
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const auto& a = r.summary.autoscaler;
  const auto& dep = r.summary.deploys[0];
  const double replicas_before = wsfleet::testing::fleet_at(r, 31.0, "replicas");
  REQUIRE(replicas_before > 2.0);  // servers were booting
  CHECK(static_cast<double>(dep.replicas) == replicas_before);
  CHECK(dep.servers_started == dep.replicas);
  CHECK(dep.servers_terminated == 2);  // only the two that were in service
  CHECK(a.cancelled >= dep.replicas - 2);
  CHECK(last(r, "connections") == 4000);
}

TEST_CASE("autoscaler: KEDA scales an idle fleet to zero and the first connection attempts wake it",
          "[autoscaler][fleet][keda]") {
  // 1,000 clients connect in the first 10 s and leave after 60 s; 1,000 more come in a wave at
  // 400 s. KEDA (minReplicaCount 0, cooldown 120 s, polling 30 s) on connections: idle after 70 s,
  // at zero once cooled down. The wave's attempts find no backend; KEDA's next poll sees them (at
  // zero no server reports: the scaler reads the attempts) and scales to 1; the HPA it created
  // then scales on the total (threshold 300 connections per replica: 4 for 1,000).
  models::FleetConfig cfg = wave(20.0);
  cfg.run.duration_s = 700.0;
  cfg.clients.count = 2000;
  cfg.clients.ramp_s = 10.0;
  cfg.clients.wave_share = 0.5;
  cfg.clients.wave_at_s = 400.0;
  cfg.clients.wave_window_s = 10.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.session_s = sim::Distribution::constant(60.0);
  cfg.clients.on_session_end = models::SessionEnd::Leave;
  cfg.backoff.params = {{"base_s", 1.0}, {"cap_s", 5.0}};
  cfg.autoscaler.policy = "keda";
  const auto* info = models::find_policy(models::autoscaling_policies(), "keda");
  cfg.autoscaler.params = models::resolve_params(
      "keda", info->params, {{"threshold", 300}, {"min_replica_count", 0}, {"max_replicas", 10}, {"cooldown_period_s", 120}});
  cfg.autoscaler.drain_timeout_s = 5.0;
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  using wsfleet::testing::fleet_at;
  CHECK(fleet_at(r, 390.0, "replicas") == 0.0);  // scaled to zero while idle
  CHECK(fleet_at(r, 390.0, "up") == 0.0);
  CHECK(r.summary.connections.no_backend > 0);   // the wave's first attempts
  // Woken by the attempts: polls fall every 30 s from 15 s (15, 45, ..., 405, 435): the first after
  // the wave starts at 400 s is at 405 s; the server is ready 25 s later.
  const auto& t = r.fleet.column("time_s");
  const auto& replicas = r.fleet.column("replicas");
  double woke = -1.0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] > 390.0 && replicas[i] > 0.0) {
      woke = t[i];
      break;
    }
  }
  CHECK(fleet_at(r, 404.0, "replicas") == 0.0);
  CHECK(woke == Approx(405.0));  // the sample at 405 s runs after the sync of that instant (scheduled first)
  CHECK(fleet_at(r, 500.0, "replicas") >= 3.0);  // the HPA then follows the total: ceil(1000 / 300) = 4
  // Everyone of the wave got a connection (and left after 60 s).
  CHECK(r.summary.connections.established == 2000);
}

TEST_CASE("autoscaler: the HPA on p99 latency scales on the servers' own 99th percentile", "[autoscaler][fleet][p99]") {
  // Single-core servers, each message 5 ms of CPU: 1,000 clients per server sending 10 a minute
  // load each of the 2 servers to 83 %; the queue's p99 is tens of ms. An HPA with an average-value
  // target of 20 ms: at its first sync (15 s) the proposal is ceil(sum of the two servers' p99 /
  // 20 ms), computed here from the servers' own time series over the same window (samples every
  // 15 s), and limited by the default scale-up rate (max(4 pods, 100 %): at most 6).
  models::FleetConfig cfg = wave(20.0);
  cfg.run.duration_s = 200.0;
  cfg.run.sample_interval_s = 15.0;
  cfg.clients.count = 2000;
  cfg.clients.ramp_s = 1.0;
  cfg.clients.messages_per_minute = 10.0;
  cfg.fleet.cpu.inbound_message_us = 5000.0;
  cfg.fleet.cpu.outbound_message_us = 0.0;
  cfg.fleet.cpu_cores = 1;
  // Sessions of 20 s on average, then a reconnect: the load spreads to the new servers.
  cfg.clients.session_s = sim::Distribution::exponential(20.0);
  cfg.clients.on_session_end = models::SessionEnd::Reconnect;
  cfg.autoscaler.metric = models::AutoscalerMetric::P99Latency;
  const auto* info = models::find_policy(models::autoscaling_policies(), "kubernetes_hpa");
  cfg.autoscaler.params = models::resolve_params(
      "kubernetes_hpa", info->params, {{"target_average_value", 20}, {"min_replicas", 2}, {"max_replicas", 10}});
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const double p0 = wsfleet::testing::server_at(r, 0, 15.0, "latency_p99_ms");
  const double p1 = wsfleet::testing::server_at(r, 1, 15.0, "latency_p99_ms");
  REQUIRE(p0 > 20.0);
  const double proposal = std::min(6.0, std::ceil((p0 + p1) / 20.0 - 1e-9));
  CHECK(wsfleet::testing::fleet_at(r, 30.0, "replicas_desired") == proposal);
  CHECK(r.summary.autoscaler.first_scale_up_s == Approx(15.0));
  // With more servers (the sessions spread the clients over them) the latency falls under the target.
  CHECK(r.summary.autoscaler.in_service_at_end > 2);
  CHECK(wsfleet::testing::fleet_at(r, 195.0, "latency_p99_ms") < 20.0);
}

TEST_CASE("autoscaler with a deploy, then a scale-in: every drained connection is accounted for",
          "[autoscaler][fleet][deploys]") {
  // The rolling deploy at 200 s of the scaled-out wave, then the clients leave (sessions of 250 s,
  // restarted by the deploy's reconnections: they leave at 450-520 s): the HPA (no scale-down
  // window) drains servers. Drained connections = those of the scale-in drains + the deploy's.
  models::FleetConfig cfg = wave(20.0);
  cfg.run.duration_s = 700.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.session_s = sim::Distribution::constant(250.0);
  cfg.clients.on_session_end = models::SessionEnd::Leave;
  cfg.autoscaler.params["down_stabilization_s"] = 0;
  cfg.autoscaler.drain_timeout_s = 5.0;
  models::DeployEvent d;
  d.at_s = 200.0;
  d.ready_after_s = 10.0;
  d.prestop_s = 0.0;
  cfg.deploys.push_back(d);
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const auto& a = r.summary.autoscaler;
  CHECK(a.drains_started > 0);
  CHECK(r.summary.connections.drained == a.connections_closed_by_scale_in + r.summary.deploys[0].connections_closed);
  CHECK(a.adopted.value() == r.summary.deploys[0].servers_started);
}
