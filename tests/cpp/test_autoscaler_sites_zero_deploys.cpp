// The autoscaler per site: KEDA's and the HPA's scale to zero, rollouts over autoscaled sites, and
// faults naming servers (split from test_autoscaler_sites.cpp).
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "experiments/scenario_error.hpp"
#include "experiments/scenario_loader.hpp"
#include "models/autoscaling_policy.hpp"
#include "models/fleet.hpp"
#include "catch.hpp"
#include "fleet_fixtures.hpp"
#include "scenario_fixtures.hpp"
#include "autoscaler_site_fixtures.hpp"
#include "models/topology.hpp"

using namespace wsfleet;
using wsfleet::testing::conserved;
using wsfleet::testing::hpa_params;
using wsfleet::testing::kTwoSites;
using wsfleet::testing::site;
using wsfleet::testing::error_message;
using wsfleet::testing::server_at;

namespace {

models::Params keda_params(double min, double max) {
  const auto* info = models::find_policy(models::autoscaling_policies(), "keda");
  return models::resolve_params("keda", info->params,
                                {{"threshold", 100}, {"cooldown_period_s", 60}, {"min_replica_count", min}, {"max_replicas", max}});
}

/// Two sites of one server each: "a" (slots [1, 9)) and "b" (its server 9, slots [10, 18)). Every client
/// is in region "rb", 5 ms from b and 20 ms from a. KEDA per site on connections (threshold 100 per
/// replica, cooldown 60 s, polls every 30 s, its HPA every 15 s); a keeps at least 1, b may go to 0.
/// No client connects before a wave of all 300 at 200-210 s; each session lasts 55 s, then the client
/// connects again at once. Servers boot in 20 s, ready 5 s later.
models::FleetConfig keda_sites() {
  models::FleetConfig cfg = wsfleet::testing::small_fleet();
  cfg.run.duration_s = 300.0;
  cfg.fleet.servers = 2;
  cfg.fleet.max_connections = 1000;
  cfg.clients.count = 300;
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.wave_share = 1.0;
  cfg.clients.wave_at_s = 200.0;
  cfg.clients.wave_window_s = 10.0;
  cfg.clients.session_s = sim::Distribution::constant(55.0);
  cfg.clients.on_session_end = models::SessionEnd::Reconnect;
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;
  cfg.topology.links = {{"rb", "b", 5.0}, {"rb", "a", 20.0}};
  cfg.topology.sites = {{"a", 1}, {"b", 1}};
  cfg.topology.regions = {{"rb", 1.0}};
  cfg.autoscaler.policy = "keda";
  cfg.autoscaler.metric = models::AutoscalerMetric::Connections;
  cfg.autoscaler.params = keda_params(1, 4);
  cfg.autoscaler.sites = {{"b", 0.0, std::nullopt}};
  cfg.autoscaler.provisioning_s = sim::Distribution::constant(20.0);
  cfg.autoscaler.readiness_delay_s = 5.0;
  return cfg;
}

}  // namespace

TEST_CASE("autoscaler per site: KEDA takes an idle site to zero, its clients go elsewhere, its own demand wakes it",
          "[autoscaler][sites][zero]") {
  const models::FleetConfig cfg = keda_sites();
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const auto& b = site(r, "b");
  // b's polls: 15 s (the first counts as active), 45 s (idle), 75 s: idle since the last active poll
  // (15 s) for the 60 s cooldown, min_replica_count 0 -> 0: its server 9 is drained at 75 s (gone at
  // 105 s, the 30 s drain timeout).
  CHECK(server_at(r, 9, 74.0, "present") == 1.0);
  CHECK(server_at(r, 9, 105.0, "present") == 0.0);
  // The wave (200-210 s): b has no server in its balancers, so the front door sends its clients to
  // the next site, a, whose one server takes all 300 (none refused, none failed).
  CHECK(server_at(r, 0, 215.0, "connections") == 300.0);
  for (std::size_t s = 9; s < 18; ++s) CHECK(server_at(r, s, 249.0, "connections") <= 0.0);  // b: nothing
  CHECK(r.summary.connections.rejected == 0);
  CHECK(r.summary.connections.failed == 0);
  // b's scaler reads its own demand from outside: the 300 attempts of its clients (sync at 210 s,
  // summed up to the next poll, 225 s, when b is at zero) > activation_threshold 0 -> active ->
  // max(min_replica_count, 1) = 1, launched at 225 s into b's first free slot (its own server 9,
  // gone since 105 s), ready at 250 s.
  CHECK(server_at(r, 9, 249.0, "present") == 0.0);
  CHECK(server_at(r, 9, 250.0, "present") == 1.0);
  // The sessions end from 255 s; the clients connect again, now to b (nearest, a server in service).
  CHECK(server_at(r, 9, 268.0, "connections") == 300.0);
  CHECK(server_at(r, 0, 268.0, "connections") == 0.0);
  // 270 s: its HPA sees 300 / 100 per replica -> 3 (within 4 pods or 100 % per 15 s): 2 more at 270 s
  // (slots 10 and 11), ready at 295 s. The 285 s poll is active (300 > 0): no return to zero.
  CHECK(server_at(r, 10, 294.0, "present") == 0.0);
  CHECK(server_at(r, 10, 295.0, "present") == 1.0);
  CHECK(server_at(r, 11, 295.0, "present") == 1.0);
  CHECK(server_at(r, 12, 300.0, "present") == 0.0);
  CHECK(b.min_replicas == 0);
  CHECK(b.decisions == 20);  // 15, 30, ..., 300 s
  CHECK(b.scale_downs == 1);
  CHECK(b.scale_ups == 2);
  CHECK(b.no_changes == 17);
  CHECK(b.launched == 3);
  CHECK(b.drains_started == 1);
  CHECK(b.lowest_replicas == 0);
  CHECK(b.peak_replicas == 3);
  CHECK(b.replicas_at_end == 3);
  CHECK(b.in_service_at_end == 3);
  // a never went below its minimum of 1.
  CHECK(site(r, "a").lowest_replicas == 1);
  CHECK(r.summary.connections.active_at_end == 300);
  // Same seed, same run.
  const models::RunResult again = models::Fleet(cfg).run();
  CHECK(again.servers.column("connections") == r.servers.column("connections"));
}

TEST_CASE("autoscaler per site: one Deployment over the sites replaces each site's replicas in that site",
          "[autoscaler][sites][deploys]") {
  // Two sites of 2 servers, near [0, 10) and far [10, 20) (8 slots each: 2 x max 4); 200 clients
  // nearest each site (10 % of the limit: each HPA holds its minimum 2). A rolling deploy at 60 s with
  // maxSurge 1, maxUnavailable 0, new servers ready after 5 s, as one Deployment (per_site = false).
  models::FleetConfig cfg = wsfleet::testing::small_fleet();
  cfg.run.duration_s = 100.0;
  cfg.fleet.servers = 4;
  cfg.clients.count = 400;
  cfg.clients.messages_per_minute = 0.0;
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;
  cfg.topology.links = {{"here", "near", 5.0}, {"there", "far", 5.0}, {"near", "far", 40.0}};
  cfg.topology.sites = {{"near", 2}, {"far", 2}};
  cfg.topology.regions = {{"here", 0.5}, {"there", 0.5}};
  cfg.autoscaler.policy = "kubernetes_hpa";
  cfg.autoscaler.metric = models::AutoscalerMetric::Connections;
  cfg.autoscaler.params = hpa_params(2, 4);
  models::DeployEvent d = wsfleet::testing::one_at_a_time_deploy(60.0, 5.0);
  d.per_site = false;
  cfg.deploys.push_back(d);
  CHECK(cfg.total_servers() == 20);  // the sites' slots take the new servers: no set reserved per deploy
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  // By hand (Deployment rolling arithmetic, 4 replicas, at most 5 servers, 4 available): 60 s: a new
  // server in the site missing most (near: its first free slot, 2); 65 s: 2 available -> near is one
  // over: its newest old server (1) goes, and a new one starts where most is missing (far: slot 12);
  // 70 s: 12 available -> far's newest old (11) goes, near gets a new one (its first free slot: 1,
  // free again); 75 s: near's old 0 goes, far gets 11; 80 s: far's old 10 goes. Complete at 80 s.
  auto present = [&](std::size_t s, double t) { return server_at(r, s, t, "present"); };
  CHECK(present(2, 60.0) == 0.0);  // starting: not in the balancers yet
  CHECK(present(2, 65.0) == 1.0);
  CHECK(present(1, 65.0) == 0.0);
  CHECK(present(12, 65.0) == 0.0);
  CHECK(present(12, 70.0) == 1.0);
  CHECK(present(11, 70.0) == 0.0);
  CHECK(present(1, 70.0) == 0.0);
  CHECK(present(1, 75.0) == 1.0);
  CHECK(present(0, 75.0) == 0.0);
  CHECK(present(11, 80.0) == 1.0);
  CHECK(present(10, 80.0) == 0.0);
  for (std::size_t s : {0, 10}) CHECK(present(s, 100.0) == 0.0);
  for (std::size_t s : {1, 2, 11, 12}) CHECK(present(s, 100.0) == 1.0);
  for (std::size_t s : {3, 4, 5, 6, 7, 8, 9, 13, 14, 15, 16, 17, 18, 19}) CHECK(present(s, 100.0) == 0.0);
  // Never more than one server over the 4 replicas, and each site within one of its 2 throughout.
  for (double t = 60.0; t <= 100.0; t += 1.0) {
    double near = 0.0, far = 0.0;
    for (std::size_t s = 0; s < 10; ++s) near += present(s, t);
    for (std::size_t s = 10; s < 20; ++s) far += present(s, t);
    CHECK(near + far <= 4.0);  // present = in the balancers: starting ones are not yet
    CHECK(near >= 1.0);
    CHECK(far >= 1.0);
  }
  REQUIRE(r.summary.deploys.size() == 1);
  CHECK(r.summary.deploys[0].servers_started == 4);
  CHECK(r.summary.deploys[0].servers_terminated == 4);
  CHECK(r.summary.deploys[0].duration_s == 20.0);
  // Each site kept its 2 replicas; its autoscaler held during the rollout, then manages the new ones.
  CHECK(site(r, "near").replicas_at_end == 2);
  CHECK(site(r, "far").replicas_at_end == 2);
  CHECK(site(r, "near").in_service_at_end == 2);
  const auto& a = r.summary.autoscaler;
  REQUIRE(a.held.has_value());
  CHECK(*a.held >= 1);
  CHECK(*a.adopted == 4);
  CHECK(*a.released == 4);
  CHECK(r.summary.connections.active_at_end == 400);
}

namespace {

/// Sites a (3 servers) and b (5), each under its own HPA held at its size (min = max), a [0, 9) and
/// b [9, 24) (2 x max slots after its own); 80 clients, half nearest each site. A rolling deploy at
/// 60 s with the defaults maxSurge 25 %, maxUnavailable 25 %, new servers ready after 5 s.
models::FleetConfig sites_3_and_5(std::optional<bool> per_site) {
  models::FleetConfig cfg = wsfleet::testing::small_fleet();
  cfg.run.duration_s = 100.0;
  cfg.fleet.servers = 8;
  cfg.clients.count = 80;
  cfg.clients.messages_per_minute = 0.0;
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;
  cfg.topology.links = {{"here", "a", 5.0}, {"there", "b", 5.0}, {"a", "b", 40.0}};
  cfg.topology.sites = {{"a", 3}, {"b", 5}};
  cfg.topology.regions = {{"here", 0.5}, {"there", 0.5}};
  cfg.autoscaler.policy = "kubernetes_hpa";
  cfg.autoscaler.metric = models::AutoscalerMetric::Connections;
  cfg.autoscaler.params = hpa_params(1, 8);
  cfg.autoscaler.sites = {{"a", 3.0, 3.0}, {"b", 5.0, 5.0}};
  models::DeployEvent d;
  d.at_s = 60.0;
  d.ready_after_s = 5.0;
  d.prestop_s = 0.0;
  d.per_site = per_site;
  cfg.deploys.push_back(d);
  return cfg;
}

/// Servers of [first, end) in the balancers at `t`.
double present_in(const models::RunResult& r, std::size_t first, std::size_t end, double t) {
  double n = 0.0;
  for (std::size_t s = first; s < end; ++s) n += server_at(r, s, t, "present");
  return n;
}

}  // namespace

TEST_CASE("autoscaler per site: a rollout is one Deployment per site, each with its own rounding",
          "[autoscaler][sites][deploys]") {
  const models::FleetConfig cfg = sites_3_and_5(std::nullopt);  // "auto": per site, as each site has its HPA
  const models::Topology topo(cfg.topology, cfg.total_servers(), cfg.autoscaler_site_slots());
  REQUIRE(topo.first_server(1) == 9);
  REQUIRE(topo.first_server(2) == 24);
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  REQUIRE(r.summary.deploys.size() == 1);
  const models::DeployOutcome& d = r.summary.deploys[0];
  CHECK(d.per_site);
  // ResolveFenceposts per site: a: surge ceil(0.75) = 1, unavailable floor(0.75) = 0; b: ceil(1.25) = 2,
  // floor(1.25) = 1. The fleet as a whole may have 3 over and 1 below its 8.
  REQUIRE(d.sites.size() == 2);
  CHECK(d.sites[0].site == "a");
  CHECK(d.sites[0].replicas == 3);
  CHECK(d.sites[0].max_surge == 1);
  CHECK(d.sites[0].max_unavailable == 0);
  CHECK(d.sites[1].site == "b");
  CHECK(d.sites[1].replicas == 5);
  CHECK(d.sites[1].max_surge == 2);
  CHECK(d.sites[1].max_unavailable == 1);
  CHECK(d.replicas == 8);
  CHECK(d.max_surge == 3);
  CHECK(d.max_unavailable == 1);
  // By hand (rolling.go, both sites at once; a new server is in the balancers when ready, 5 s later):
  // a (at most 4, at least 3 available): 60 s: 1 new; 65 s: it is available, an old one goes, 1 new;
  // 70 s: the same; 75 s: the last old one goes: complete.
  // b (at most 7, at least 4): 60 s: 2 new, 1 old goes (5 > 4 available), 1 more new; 65 s: the
  // 3 new are available one by one: each lets an old one go and the first two start one more
  // (1 old + 3 new left); 70 s: the last 2 are available, the last old one goes: complete.
  CHECK(present_in(r, 0, 9, 62.0) == 3.0);   // 3 old
  CHECK(present_in(r, 9, 24, 62.0) == 4.0);  // 4 old
  CHECK(present_in(r, 0, 9, 67.0) == 3.0);   // 2 old + 1 new
  CHECK(present_in(r, 9, 24, 67.0) == 4.0);  // 1 old + 3 new
  CHECK(present_in(r, 0, 9, 72.0) == 3.0);   // 1 old + 2 new
  CHECK(present_in(r, 9, 24, 72.0) == 5.0);  // 5 new
  CHECK(present_in(r, 0, 9, 77.0) == 3.0);   // 3 new
  // Each site's new servers took its own slots only (a freed old slot is taken again).
  CHECK(present_in(r, 0, 9, 100.0) == 3.0);
  CHECK(present_in(r, 9, 24, 100.0) == 5.0);
  REQUIRE(d.duration_s.has_value());
  CHECK(*d.duration_s == 15.0);  // a's 3 steps of 5 s
  CHECK(d.min_available == 7);   // 3 + 4 at 60 s
  CHECK(d.servers_started == 8);
  CHECK(d.servers_terminated == 8);
  CHECK(site(r, "a").replicas_at_end == 3);
  CHECK(site(r, "b").replicas_at_end == 5);
  CHECK(r.summary.connections.active_at_end == 80);
}

TEST_CASE("autoscaler per site: per_site = false rounds over the whole fleet", "[autoscaler][sites][deploys]") {
  const models::RunResult r = models::Fleet(sites_3_and_5(false)).run();
  REQUIRE(conserved(r));
  const models::DeployOutcome& d = r.summary.deploys.at(0);
  CHECK_FALSE(d.per_site);
  CHECK(d.sites.empty());
  // Of the 8 replicas: surge ceil(2) = 2, unavailable floor(2) = 2.
  CHECK(d.max_surge == 2);
  CHECK(d.max_unavailable == 2);
  // 60 s: 2 new go to b (most missing), then 2 old ones go, both b's (most over its count): b is down
  // to 3 of its 5 while a keeps its 3; 2 more new start (a, then b).
  CHECK(present_in(r, 0, 9, 62.0) == 3.0);
  CHECK(present_in(r, 9, 24, 62.0) == 3.0);
  CHECK(d.min_available == 6);
  CHECK(d.servers_started == 8);
  CHECK(site(r, "a").replicas_at_end == 3);
  CHECK(site(r, "b").replicas_at_end == 5);
  CHECK(r.summary.connections.active_at_end == 80);
}

TEST_CASE("autoscaler per site: a fault naming a server hits that server in its site", "[autoscaler][sites][faults]") {
  // The scenario's servers 0, 1 are near's, 2, 3 far's; with the sites' slots the run's indices are
  // near [0, 10) and far [10, 20): the scenario's server 2 is the run's server 10.
  models::FleetConfig cfg = wsfleet::testing::small_fleet();
  cfg.run.duration_s = 60.0;
  cfg.fleet.servers = 4;
  cfg.clients.count = 400;
  cfg.clients.messages_per_minute = 0.0;
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;
  cfg.topology.links = {{"here", "near", 5.0}, {"there", "far", 5.0}, {"near", "far", 40.0}};
  cfg.topology.sites = {{"near", 2}, {"far", 2}};
  cfg.topology.regions = {{"here", 0.5}, {"there", 0.5}};
  cfg.autoscaler.policy = "kubernetes_hpa";
  cfg.autoscaler.metric = models::AutoscalerMetric::Connections;
  cfg.autoscaler.params = hpa_params(2, 4);
  cfg.faults.push_back(models::CrashFault::of_server(2, 30.0, std::nullopt));
  const models::Topology topo(cfg.topology, cfg.total_servers(), cfg.autoscaler_site_slots());
  CHECK(topo.scenario_server(0) == 0);
  CHECK(topo.scenario_server(1) == 1);
  CHECK(topo.scenario_server(2) == 10);
  CHECK(topo.scenario_server(3) == 11);
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  REQUIRE(r.summary.faults.size() == 1);
  CHECK(r.summary.faults[0].server == 10);
  CHECK(server_at(r, 10, 31.0, "up") == 0.0);
  CHECK(server_at(r, 2, 31.0, "present") == 0.0);  // near's first slot: untouched, never launched
  CHECK(server_at(r, 0, 31.0, "up") == 1.0);
  // Its 100 connections dropped; far's other server took them back (nearest site still in service).
  CHECK(r.summary.faults[0].connections_dropped > 0);
  CHECK(r.summary.connections.active_at_end == 400);
}

namespace {

/// As keda_sites, with one HPA per site (HPAScaleToZero on: scale_to_zero = 1) on connections (60 % of
/// 1000 per replica) plus an External metric: the site's own connection attempts per second, 10 per
/// replica; a keeps at least 1, b may go to 0. Half the 200 clients arrive in the first 10 s, the other
/// half in a wave at 400-410 s; each session lasts 30 s, then the client leaves.
models::FleetConfig hpa_zero_sites() {
  models::FleetConfig cfg = keda_sites();
  cfg.run.duration_s = 450.0;
  cfg.clients.count = 200;
  cfg.clients.ramp_s = 10.0;
  cfg.clients.wave_share = 0.5;
  cfg.clients.wave_at_s = 400.0;
  cfg.clients.wave_window_s = 10.0;
  cfg.clients.session_s = sim::Distribution::constant(30.0);
  cfg.clients.on_session_end = models::SessionEnd::Leave;
  cfg.autoscaler.policy = "kubernetes_hpa";
  const auto* info = models::find_policy(models::autoscaling_policies(), "kubernetes_hpa");
  cfg.autoscaler.params = models::resolve_params(
      "kubernetes_hpa", info->params,
      {{"target_utilization_pct", 60}, {"min_replicas", 1}, {"max_replicas", 4}, {"scale_to_zero", 1}, {"external_target_per_s", 10}});
  cfg.autoscaler.sites = {{"b", 0.0, std::nullopt}};
  return cfg;
}

}  // namespace

TEST_CASE("autoscaler per site: an HPA with HPAScaleToZero and an External metric takes an idle site to zero and back",
          "[autoscaler][sites][zero]") {
  const models::RunResult r = models::Fleet(hpa_zero_sites()).run();
  REQUIRE(conserved(r));
  const auto& b = site(r, "b");
  // b's syncs: 15 s: ~100 connections (100 / 600: ceil(0.17 x 1) = 1) and ~100 attempts in 15 s (6.7/s
  // per 10/s and replica: ratio 0.67, outside the tolerance: ceil(0.67) = 1): 1. 30 s: connections
  // still open (sessions end from 30 s), no attempt: 1. From 45 s: no connection, no attempt: 0 by
  // both metrics, but the scale-down window (300 s) holds the 1 of 30 s until 330 s: at 330 s, 0.
  CHECK(server_at(r, 9, 329.0, "present") == 1.0);
  CHECK(server_at(r, 9, 361.0, "present") == 0.0);  // drained from 330 s, gone at the 30 s drain timeout
  // The wave (400-410 s): b has no server in service, its clients go to a.
  CHECK(server_at(r, 0, 412.0, "connections") > 0.0);
  // 405 s: at zero replicas the connections metric has no pod (invalid), the External one counts: the
  // attempts of (390, 405] (some of the wave's ~100, at most 150) per 15 s: ratio +Inf, ceil(n / 15 / 10)
  // = 1 (scaleUp from 0: up to 4 pods per 15 s): launched into b's first free slot (its server 9),
  // booted at 425 s, ready at 430 s.
  CHECK(server_at(r, 9, 429.0, "present") == 0.0);
  CHECK(server_at(r, 9, 430.0, "present") == 1.0);
  CHECK(b.min_replicas == 0);
  CHECK(b.decisions == 30);  // 15, 30, ..., 450 s
  CHECK(b.scale_downs == 1);
  CHECK(b.scale_ups == 1);
  CHECK(b.launched == 1);
  CHECK(b.drains_started == 1);
  CHECK(b.lowest_replicas == 0);
  CHECK(b.replicas_at_end == 1);
  CHECK(site(r, "a").lowest_replicas == 1);
  CHECK(r.summary.connections.rejected == 0);
  CHECK(r.summary.connections.failed == 0);
  // Without the External metric the loader refuses the 0 (below); with the gate off as well.
  const models::RunResult again = models::Fleet(hpa_zero_sites()).run();
  CHECK(again.servers.column("present") == r.servers.column("present"));
}

TEST_CASE("autoscaler per site: zero minimums, deploys and faults from TOML", "[autoscaler][sites][zero]") {
  const std::string base = R"(
[run]
duration_s = 60
[fleet]
servers = 2
[clients]
count = 10
)";
  const std::string& sites = kTwoSites;
  const std::string hpa = "\n[autoscaler]\npolicy = \"kubernetes_hpa\"\nmin_replicas = 1\nmax_replicas = 6\n";
  // The HPA at zero: refused with the reason, at the key that set it (FILE:LINE:COL).
  const std::string hpa_zero = error_message(base + hpa + sites + "\n[[autoscaler.sites]]\nsite = \"b\"\nmin_replicas = 0\n");
  CHECK(hpa_zero.find("autoscaler.sites.0.min_replicas") != std::string::npos);
  CHECK(hpa_zero.find("HPAScaleToZero") != std::string::npos);
  CHECK(hpa_zero.find("policy = \"keda\"") != std::string::npos);
  const std::size_t line = 1 + static_cast<std::size_t>(std::count(base.begin(), base.end(), '\n') +
                                                          std::count(hpa.begin(), hpa.end(), '\n') +
                                                          std::count(sites.begin(), sites.end(), '\n')) + 3;
  CHECK(hpa_zero.find("t.toml:" + std::to_string(line) + ":") == 0);
  // With the gate on but only the per-pod metric: refused, naming the External metric it needs.
  const std::string gate_only =
      error_message(base + hpa + "scale_to_zero = 1\n" + sites + "\n[[autoscaler.sites]]\nsite = \"b\"\nmin_replicas = 0\n");
  CHECK(gate_only.find("autoscaler.sites.0.min_replicas") != std::string::npos);
  CHECK(gate_only.find("needs an Object or External metric") != std::string::npos);
  CHECK(gate_only.find("external_target_per_s > 0") != std::string::npos);
  CHECK(gate_only.find("t.toml:" + std::to_string(line + 1) + ":") == 0);
  // The gate and an External metric: it loads.
  const models::FleetConfig zero_ok = experiments::load_scenario_string(
      base + hpa + "scale_to_zero = 1\nexternal_target_per_s = 10\n" + sites + "\n[[autoscaler.sites]]\nsite = \"b\"\nmin_replicas = 0\n",
      "t.toml");
  CHECK(zero_ok.autoscaler.sites.at(0).min_replicas == 0.0);
  // A scheduled action to 0 for an HPA site: refused too.
  CHECK(error_message(base + hpa + sites + "\n[[scaling]]\nat_s = 10\nmin_replicas = 0\nsite = \"a\"\n").find("HPAScaleToZero") !=
        std::string::npos);
  CHECK(error_message(base + "\n[autoscaler]\npolicy = \"step_scaling\"\nmin_replicas = 0\nmax_replicas = 4\n" + sites)
            .find("no instance reports the metric") != std::string::npos);
  // KEDA may take a site to zero (its minReplicaCount defaults to 0).
  const std::string keda = "\n[autoscaler]\npolicy = \"keda\"\nmetric = \"connections\"\nmax_replicas = 4\n";
  const models::FleetConfig k = experiments::load_scenario_string(base + keda + sites, "t.toml");
  CHECK(k.autoscaler_site_slots() == std::vector<std::uint32_t>{8, 8});
  // [[deploys]] with sites: needs the per-site autoscalers; with them it loads.
  const std::string deploy = "\n[[deploys]]\nat_s = 30\n";
  CHECK(error_message(base + sites + deploy).find("[[deploys]] with [[topology.sites]] needs [autoscaler]") != std::string::npos);
  const models::FleetConfig dk = experiments::load_scenario_string(base + hpa + sites + deploy, "t.toml");
  CHECK(dk.deploys.size() == 1);
  CHECK(dk.total_servers() == 2 + 12 + 12);
  // A fault naming a server: one of the scenario's own (0 or 1 here), never an autoscaler's slot.
  const models::FleetConfig fk =
      experiments::load_scenario_string(base + hpa + sites + "\n[[faults]]\ntype = \"crash\"\nserver = 1\nat_s = 10\n", "t.toml");
  CHECK(fk.faults.at(0).server == 1);
  const std::string past = error_message(base + hpa + sites + "\n[[faults]]\ntype = \"crash\"\nserver = 5\nat_s = 10\n");
  CHECK(past.find("faults.0.server") != std::string::npos);
  CHECK(past.find("t.toml:") == 0);
}
