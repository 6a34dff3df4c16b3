// [autoscaler] with [[topology.sites]]: one controller per site (one HPA per cluster), each over its
// own servers with its own bounds, launching into its own site's slots (which join that site's
// balancers); and [[scaling]] entries under [autoscaler] as scheduled actions (new bounds at their
// time, AWS scheduled scaling). Decisions computed by hand, conservation, determinism, loader errors.
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
using wsfleet::testing::fleet_at;
using wsfleet::testing::server_at;

namespace {

/// Two sites, near (2 servers) and far (2 servers), each 1000 connections per server; every client is
/// in region "here", 5 ms from near and 50 ms from far: all the load goes to near while its servers
/// are up. An HPA per site on connections at 60 % of the limit, min 2, max 8; servers boot in 20 s
/// and are ready 5 s later. 3000 clients arrive in the first 10 s.
models::FleetConfig two_sites() {
  models::FleetConfig cfg = wsfleet::testing::small_fleet();
  cfg.run.duration_s = 200.0;
  cfg.fleet.servers = 4;
  cfg.fleet.max_connections = 1000;
  cfg.fleet.cost_per_hour = 1.0;
  cfg.clients.count = 3000;
  cfg.clients.ramp_s = 10.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;
  cfg.topology.links = {{"here", "near", 5.0}, {"here", "far", 50.0}};
  cfg.topology.sites = {{"near", 2}, {"far", 2}};
  cfg.topology.regions = {{"here", 1.0}};
  cfg.autoscaler.policy = "kubernetes_hpa";
  cfg.autoscaler.metric = models::AutoscalerMetric::Connections;
  cfg.autoscaler.params = hpa_params(2, 8);
  cfg.autoscaler.provisioning_s = sim::Distribution::constant(20.0);
  cfg.autoscaler.readiness_delay_s = 5.0;
  return cfg;
}

}  // namespace

TEST_CASE("autoscaler per site: slots follow each site's own servers", "[autoscaler][sites]") {
  const models::FleetConfig cfg = two_sites();
  // 2 x max_replicas = 16 slots per site, after its own 2 servers: near [0, 18), far [18, 36).
  CHECK(cfg.autoscaler_site_slots() == std::vector<std::uint32_t>{16, 16});
  CHECK(cfg.total_servers() == 36);
  const models::Topology topo(cfg.topology, cfg.total_servers(), cfg.autoscaler_site_slots());
  CHECK(topo.first_server(0) == 0);
  CHECK(topo.own_end(0) == 2);
  CHECK(topo.first_server(1) == 18);
  CHECK(topo.own_end(1) == 20);
  CHECK(topo.site_of(17) == 0);
  CHECK(topo.site_of(18) == 1);
  // A per-site maximum changes that site's slots only.
  models::FleetConfig over = cfg;
  over.autoscaler.sites = {{"far", std::nullopt, 3.0}};
  CHECK(over.autoscaler_site_slots() == std::vector<std::uint32_t>{16, 6});
}

TEST_CASE("autoscaler per site: load in one site scales only that site", "[autoscaler][sites]") {
  const models::FleetConfig cfg = two_sites();
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const auto& a = r.summary.autoscaler;
  REQUIRE(a.sites.size() == 2);
  const auto& near = site(r, "near");
  const auto& far = site(r, "far");
  // Before the first sync (15 s) the 3000 clients found 2000 slots at near: near's two servers
  // are full, 100 % of the limit against a 60 % target: desired = ceil(2 x 1.0 / 0.6) = 4, within
  // the default scale-up limit (4 pods or 100 % per 15 s): 2 launched at 15 s, ready at 40 s.
  CHECK(fleet_at(r, 14.0, "connections") == 2000.0);
  CHECK(a.first_scale_up_s == 15.0);
  CHECK(server_at(r, 2, 39.0, "present") == 0.0);
  CHECK(server_at(r, 2, 40.0, "present") == 1.0);
  CHECK(server_at(r, 3, 40.0, "present") == 1.0);
  // far had no connection at all: usage 0 -> desired 0, held at its minimum 2: never a change.
  CHECK(far.decisions == a.decisions / 2);
  CHECK(far.no_changes == far.decisions);
  CHECK(far.launched == 0);
  CHECK(far.replicas_at_end == 2);
  CHECK(far.peak_replicas == 2);
  CHECK(far.lowest_replicas == 2);
  for (std::size_t b = 20; b < 36; ++b) CHECK(server_at(r, b, 200.0, "present") == 0.0);  // far's slots unused
  // near served everyone in the end: 3000 clients at 600 per server -> 5 servers at the target.
  CHECK(near.launched >= 3);
  CHECK(near.in_service_at_end >= 5);
  CHECK(near.replicas_at_end == near.in_service_at_end);
  CHECK(r.summary.connections.active_at_end == 3000);
  // The new servers are near's (indices 2.. in its range) and took connections through near's
  // balancers (far's have no server of near's to send them to).
  double on_new = 0.0;
  for (std::size_t b = 2; b < 18; ++b) on_new += std::max(0.0, server_at(r, b, 200.0, "connections"));
  CHECK(on_new >= 1000.0);
  // The fleet's accounting is the sum of the sites'.
  CHECK(a.decisions == near.decisions + far.decisions);
  CHECK(a.launched == near.launched + far.launched);
  CHECK(a.replicas_at_end == near.replicas_at_end + far.replicas_at_end);
  CHECK(a.decisions == 2 * 13);  // syncs at 15, 30, ..., 195 s, per site
}

TEST_CASE("autoscaler per site: a per-site minimum and determinism", "[autoscaler][sites]") {
  models::FleetConfig cfg = two_sites();
  // far's own minimum is 3: at its first sync (15 s) 2 < 3 -> desired 3 (the HPA's min clamp).
  cfg.autoscaler.sites = {{"far", 3.0, std::nullopt}};
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const auto& far = site(r, "far");
  CHECK(far.min_replicas == 3);
  CHECK(far.max_replicas == 8);
  CHECK(far.launched == 1);
  CHECK(far.scale_ups == 1);
  CHECK(far.replicas_at_end == 3);
  // Its new server is the first of far's slots (index 20), ready at 15 + 20 + 5 = 40 s.
  CHECK(server_at(r, 20, 39.0, "present") == 0.0);
  CHECK(server_at(r, 20, 40.0, "present") == 1.0);
  CHECK(site(r, "near").min_replicas == 2);
  // Same seed, same run, bit for bit.
  const models::RunResult again = models::Fleet(cfg).run();
  CHECK(again.fleet.column("connections") == r.fleet.column("connections"));
  CHECK(again.fleet.column("replicas") == r.fleet.column("replicas"));
  CHECK(again.summary.autoscaler.server_hours == r.summary.autoscaler.server_hours);
  CHECK(again.summary.connections.attempted == r.summary.connections.attempted);
}

TEST_CASE("scheduled actions: [[scaling]] under [autoscaler] changes its bounds at their time", "[autoscaler][scheduled]") {
  // One fleet, 2 servers, 200 clients (10 % of the limit: the HPA wants its minimum). At 60 s the
  // minimum becomes 5: 2 < 5, 3 servers launched at once (ready at 85 s). At 150 s the maximum
  // becomes 3 (and the minimum 3): 5 > 3, the 2 newest drained at once.
  models::FleetConfig cfg = wsfleet::testing::small_fleet();
  cfg.run.duration_s = 170.0;
  cfg.fleet.servers = 2;
  cfg.clients.count = 200;
  cfg.clients.messages_per_minute = 0.0;
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;
  cfg.autoscaler.policy = "kubernetes_hpa";
  cfg.autoscaler.metric = models::AutoscalerMetric::Connections;
  cfg.autoscaler.params = hpa_params(2, 10);
  cfg.autoscaler.provisioning_s = sim::Distribution::constant(20.0);
  cfg.autoscaler.readiness_delay_s = 5.0;
  models::ScalingEvent up;
  up.at_s = 60.0;
  up.min_replicas = 5.0;
  models::ScalingEvent down;
  down.at_s = 150.0;
  down.min_replicas = 3.0;
  down.max_replicas = 3.0;
  cfg.scaling = {up, down};
  CHECK(cfg.total_servers() == 2 + 20);  // no servers added; slots for the largest maximum (10)
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const auto& a = r.summary.autoscaler;
  REQUIRE(a.scheduled_actions.has_value());
  CHECK(*a.scheduled_actions == 2);
  CHECK(*a.scheduled_launched == 3);
  CHECK(*a.scheduled_drains == 2);
  CHECK(a.launched == 3);
  CHECK(a.drains_started == 2);
  CHECK(a.scale_ups == 0);  // the controller never asked for more: the actions did
  CHECK(fleet_at(r, 59.0, "replicas") == 2.0);
  CHECK(fleet_at(r, 60.0, "replicas") == 5.0);
  CHECK(fleet_at(r, 84.0, "replicas_ready") == 2.0);
  CHECK(fleet_at(r, 85.0, "replicas_ready") == 5.0);
  CHECK(fleet_at(r, 149.0, "replicas") == 5.0);  // the HPA kept 5: its new minimum
  CHECK(fleet_at(r, 150.0, "replicas") == 3.0);
  CHECK(a.peak_replicas == 5);
  CHECK(a.replicas_at_end == 3);
  CHECK(r.summary.connections.active_at_end == 200);
}

TEST_CASE("autoscaler sites and scheduled actions: loader errors say what to use", "[autoscaler][scheduled]") {
  const std::string base = R"(
[run]
duration_s = 60
[fleet]
servers = 2
[clients]
count = 10
)";
  const std::string hpa = "\n[autoscaler]\npolicy = \"kubernetes_hpa\"\nmin_replicas = 2\nmax_replicas = 6\n";
  // A manual scale under an HPA: refused with the reason and what to give instead.
  const std::string add = error_message(base + hpa + "\n[[scaling]]\nat_s = 10\nadd = 2\n");
  CHECK(add.find("scaling.0.add cannot be used with [autoscaler]") != std::string::npos);
  CHECK(add.find("min_replicas and/or max_replicas") != std::string::npos);
  // Bounds without an autoscaler.
  CHECK(error_message(base + "\n[[scaling]]\nat_s = 10\nmin_replicas = 3\n").find("scaling.0.min_replicas needs [autoscaler]") !=
        std::string::npos);
  // Bounds that cross, carried over from the section.
  CHECK(error_message(base + hpa + "\n[[scaling]]\nat_s = 10\nmin_replicas = 7\n").find("min 7 > max 6") != std::string::npos);
  CHECK(error_message(base + hpa + "\n[[scaling]]\nat_s = 10\nmin_replicas = 2.5\n").find("whole count") != std::string::npos);
  // A site name without sites; per-site bounds without sites.
  CHECK(error_message(base + hpa + "\n[[scaling]]\nat_s = 10\nmin_replicas = 3\nsite = \"x\"\n").find("needs [[topology.sites]]") !=
        std::string::npos);
  CHECK(error_message(base + hpa + "\n[[autoscaler.sites]]\nsite = \"x\"\nmin_replicas = 3\n").find("needs [[topology.sites]]") !=
        std::string::npos);
  const std::string& sites = kTwoSites;
  CHECK(error_message(base + hpa + sites + "\n[[autoscaler.sites]]\nsite = \"c\"\n").find("'c' is not a [[topology.sites]] name") !=
        std::string::npos);
  CHECK(error_message(base + hpa + sites + "\n[[autoscaler.sites]]\nsite = \"a\"\nmin_replicas = 9\n").find("min_replicas") !=
        std::string::npos);
  // A valid one loads: per-site bounds, a scheduled action for one site.
  const models::FleetConfig ok = experiments::load_scenario_string(
      base + hpa + sites + "\n[[autoscaler.sites]]\nsite = \"b\"\nmax_replicas = 3\n\n[[scaling]]\nat_s = 30\nmin_replicas = 4\nsite = \"a\"\n",
      "t.toml");
  CHECK(ok.autoscaler.sites.size() == 1);
  CHECK(ok.autoscaler_site_slots() == std::vector<std::uint32_t>{12, 6});
  CHECK(ok.scaling.at(0).site == "a");
  CHECK(ok.scaling.at(0).add == 0);
}
