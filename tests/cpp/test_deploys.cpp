// [[deploys]]: the Deployment controller's rolling-update arithmetic, the termination lifecycle of
// the old servers, blue/green and canary, and the accounting of every connection a deploy closes.
#include <string>

#include "catch.hpp"
#include "experiments/scenario_error.hpp"
#include "experiments/scenario_loader.hpp"
#include "fleet_fixtures.hpp"
#include "scenario_fixtures.hpp"
#include "models/fleet.hpp"

using namespace wsfleet;
using wsfleet::testing::conserved;

namespace {

/// 10 servers, 2000 clients connected by t = 20 s, messages off; a deploy at t = 100 s.
models::FleetConfig deploy_fleet(double surge, double unavailable) {
  models::FleetConfig cfg = wsfleet::testing::small_fleet();
  cfg.run.duration_s = 300.0;
  cfg.fleet.servers = 10;
  cfg.fleet.max_connections = 1000;
  cfg.clients.messages_per_minute = 0.0;
  models::DeployEvent d;
  d.at_s = 100.0;
  d.max_surge = surge;
  d.max_surge_percent = false;
  d.max_unavailable = unavailable;
  d.max_unavailable_percent = false;
  d.ready_after_s = 10.0;
  d.prestop_s = 0.0;
  d.grace_s = 30.0;
  cfg.deploys.push_back(d);
  return cfg;
}

using wsfleet::testing::fleet_at;

}  // namespace

TEST_CASE("a rolling update follows the Deployment controller's surge and unavailability arithmetic", "[deploys]") {
  // 10 replicas, maxSurge 3, maxUnavailable 2, every new server ready 10 s after it starts.
  // t = 100: scale up the new set by 3 (13 = 10 + 3 pods); then down the old by 13 - 8 - 3 = 2;
  // then up by 2 (new 5, old 8). t = 110: each new server that becomes available lets one old go
  // and one new start: new 10, old 3. t = 120: the last 5 become available and the 3 old go:
  // complete after 20 s, never fewer than 8 available nor more than 13 servers.
  const models::RunResult r = models::Fleet(deploy_fleet(3, 2)).run();
  REQUIRE(conserved(r));
  REQUIRE(r.summary.deploys.size() == 1);
  const models::DeployOutcome& d = r.summary.deploys[0];
  CHECK(d.replicas == 10);
  CHECK(d.max_surge == 3);
  CHECK(d.max_unavailable == 2);
  CHECK(d.servers_started == 10);
  CHECK(d.servers_terminated == 10);
  CHECK(d.duration_s.value() == Approx(20.0));
  CHECK(d.finished_s.value() == Approx(20.0));  // on_sigterm = close, no preStop: old servers go at once
  CHECK(d.min_available == 8);
  CHECK(d.peak_servers == 13);
  CHECK(fleet_at(r, 105.0, "deploy_old") == 8);
  CHECK(fleet_at(r, 105.0, "deploy_starting") == 5);
  CHECK(fleet_at(r, 115.0, "deploy_old") == 3);
  CHECK(fleet_at(r, 115.0, "deploy_starting") == 5);
  CHECK(fleet_at(r, 115.0, "deploy_new") == 5);
  CHECK(fleet_at(r, 125.0, "deploy_old") == 0);
  CHECK(fleet_at(r, 125.0, "deploy_new") == 10);
  CHECK(fleet_at(r, 125.0, "up") == 10);
  // Every connection the deploy closed is accounted for, and every client is back by the end.
  CHECK(d.connections_closed >= 2000);  // each old server held ~200; some clients are moved twice
  CHECK(d.connections_closed == d.closed_at_sigterm);
  CHECK(d.reconnected == d.connections_closed);
  CHECK(d.not_reconnected_at_end == 0);
  CHECK(r.summary.connections.drained == d.connections_closed);
  CHECK(r.summary.connections.active_at_end == 2000);
  CHECK(d.all_reconnected_s.has_value());
}

TEST_CASE("percent surge rounds up, percent unavailability down, and both 0 become maxUnavailable 1", "[deploys]") {
  models::FleetConfig cfg = deploy_fleet(25, 25);
  cfg.deploys[0].max_surge_percent = cfg.deploys[0].max_unavailable_percent = true;
  models::RunResult r = models::Fleet(cfg).run();
  CHECK(r.summary.deploys[0].max_surge == 3);        // ceil(2.5)
  CHECK(r.summary.deploys[0].max_unavailable == 2);  // floor(2.5)
  cfg.deploys[0].max_surge = 0;
  cfg.deploys[0].max_unavailable = 5;                // floor(0.5) = 0: both 0
  r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  CHECK(r.summary.deploys[0].max_surge == 0);
  CHECK(r.summary.deploys[0].max_unavailable == 1);
  CHECK(r.summary.deploys[0].min_available == 9);
  CHECK(r.summary.deploys[0].peak_servers == 10);
  CHECK(r.summary.deploys[0].duration_s.value() == Approx(100.0));  // one server at a time, 10 s each
}

TEST_CASE("a larger surge shortens the deploy and raises the reconnect peak", "[deploys]") {
  double last_duration = 1e9;
  std::uint64_t last_away = 0;
  double last_retries = 0.0;
  for (double surge : {1.0, 2.0, 5.0, 10.0}) {
    const models::RunResult r = models::Fleet(deploy_fleet(surge, 0)).run();
    REQUIRE(conserved(r));
    const models::DeployOutcome& d = r.summary.deploys[0];
    INFO("max_surge " << surge << ": duration " << *d.duration_s << " s, peak away " << d.peak_disconnected
                      << ", peak retries/s " << d.peak_retries_per_s);
    CHECK(*d.duration_s < last_duration);
    CHECK(d.peak_disconnected > last_away);
    CHECK(d.peak_retries_per_s > last_retries);
    CHECK(d.reconnected + d.gave_up + d.not_reconnected_at_end == d.connections_closed);
    last_duration = *d.duration_s;
    last_away = d.peak_disconnected;
    last_retries = d.peak_retries_per_s;
  }
  CHECK(last_duration == Approx(10.0));  // surge 10: the whole new set at once
}

TEST_CASE("the termination lifecycle: preStop, SIGTERM and the grace period", "[deploys]") {
  SECTION("close at SIGTERM after a 5 s preStop: the old server keeps its connections 5 s without new ones") {
    models::FleetConfig cfg = deploy_fleet(10, 0);
    cfg.deploys[0].prestop_s = 5.0;
    const models::RunResult r = models::Fleet(cfg).run();
    REQUIRE(conserved(r));
    const models::DeployOutcome& d = r.summary.deploys[0];
    CHECK(*d.duration_s == Approx(10.0));
    CHECK(*d.finished_s == Approx(15.0));
    CHECK(fleet_at(r, 112.0, "deploy_terminating") == 10);
    CHECK(fleet_at(r, 112.0, "connections") == 2000);  // still held by the terminating servers
    CHECK(fleet_at(r, 116.0, "deploy_terminating") == 0);
    CHECK(d.closed_at_sigterm == d.connections_closed);
    CHECK(d.connections_closed == 2000);  // every new server was up before any old one went
  }
  SECTION("ignore SIGTERM: SIGKILL cuts every connection at the end of the grace period") {
    models::FleetConfig cfg = deploy_fleet(10, 0);
    cfg.deploys[0].on_sigterm = models::SigtermAction::Ignore;
    cfg.deploys[0].grace_s = 30.0;
    const models::RunResult r = models::Fleet(cfg).run();
    REQUIRE(conserved(r));
    const models::DeployOutcome& d = r.summary.deploys[0];
    CHECK(*d.finished_s == Approx(40.0));
    CHECK(d.closed_at_kill == d.connections_closed);
    CHECK(d.connections_closed == 2000);
  }
  SECTION("spread the closes over the grace period: the same closes, a lower peak") {
    models::FleetConfig cfg = deploy_fleet(10, 0);
    const models::RunResult at_once = models::Fleet(cfg).run();
    cfg.deploys[0].on_sigterm = models::SigtermAction::Spread;
    const models::RunResult spread = models::Fleet(cfg).run();
    REQUIRE(conserved(spread));
    const models::DeployOutcome& d = spread.summary.deploys[0];
    CHECK(d.closed_spread == d.connections_closed);
    CHECK(d.connections_closed == 2000);
    CHECK(*d.finished_s <= 40.0);
    CHECK(d.peak_retries_per_s < at_once.summary.deploys[0].peak_retries_per_s / 5);
    CHECK(d.peak_disconnected < at_once.summary.deploys[0].peak_disconnected / 5);
  }
}

TEST_CASE("blue/green starts a whole new set and switches at once, and a canary holds", "[deploys]") {
  SECTION("blue/green") {
    models::FleetConfig cfg = deploy_fleet(1, 0);
    cfg.deploys[0].strategy = models::DeployStrategy::BlueGreen;
    cfg.deploys[0].ready_jitter_s = 5.0;  // the switch waits for the slowest
    const models::RunResult r = models::Fleet(cfg).run();
    REQUIRE(conserved(r));
    const models::DeployOutcome& d = r.summary.deploys[0];
    CHECK(d.peak_servers == 20);
    CHECK(d.min_available == 10);
    CHECK(*d.duration_s > 10.0);
    CHECK(*d.duration_s <= 15.0);
    CHECK(fleet_at(r, 109.0, "deploy_old") == 10);
    CHECK(fleet_at(r, 109.0, "up") == 10);  // green is not in service before the switch
    CHECK(d.connections_closed == 2000);
  }
  SECTION("canary") {
    models::FleetConfig cfg = deploy_fleet(1, 0);
    cfg.deploys[0].strategy = models::DeployStrategy::Canary;
    cfg.deploys[0].canary = 2;
    cfg.deploys[0].canary_percent = false;
    cfg.deploys[0].canary_hold_s = 60.0;
    const models::RunResult r = models::Fleet(cfg).run();
    REQUIRE(conserved(r));
    const models::DeployOutcome& d = r.summary.deploys[0];
    // Two new servers one at a time (20 s), the hold (60 s), then 8 more one at a time (80 s).
    CHECK(fleet_at(r, 150.0, "deploy_new") == 2);
    CHECK(fleet_at(r, 150.0, "deploy_old") == 8);
    CHECK(*d.duration_s == Approx(160.0));
  }
}

TEST_CASE("a deploy is off by default and its keys load, write back and fail clearly", "[deploys]") {
  const std::string base = "[fleet]\nservers = 4\n[clients]\ncount = 10\n";
  const models::FleetConfig none = experiments::load_scenario_string(base, "t.toml");
  CHECK(none.deploys.empty());
  CHECK(none.total_servers() == 4);
  const models::FleetConfig cfg = experiments::load_scenario_string(
      base + "[[deploys]]\nat_s = 10\nmax_surge = 1\nmax_unavailable = \"50%\"\nstrategy = \"canary\"\ncanary = \"25%\"\n", "t.toml");
  REQUIRE(cfg.deploys.size() == 1);
  CHECK(cfg.deploys[0].max_surge == 1.0);
  CHECK_FALSE(cfg.deploys[0].max_surge_percent);
  CHECK(cfg.deploys[0].max_unavailable == 50.0);
  CHECK(cfg.deploys[0].max_unavailable_percent);
  CHECK(cfg.total_servers() == 8);
  auto error_of = [&](const std::string& extra) { return testing::error_message(base + extra); };
  CHECK_THAT(error_of("[[deploys]]\nat_s = 1\nmax_surge = 0\nmax_unavailable = \"0%\"\n"),
             Catch::Matchers::Contains("t.toml:") && Catch::Matchers::Contains("deploys.0.max_unavailable may not be 0 when max_surge is 0"));
  CHECK_THAT(error_of("[[deploys]]\nat_s = 1\nmax_surge = \"25 %\"\n"),
             Catch::Matchers::Contains("deploys.0.max_surge must be a count") && Catch::Matchers::Contains("got \"25 %\""));
  CHECK_THAT(error_of("[[deploys]]\nat_s = 1\nmax_surge = \"150%\"\n"), Catch::Matchers::Contains("at most 100%"));
  CHECK_THAT(error_of("[[deploys]]\nat_s = 1\nmax_surge = -1\n"), Catch::Matchers::Contains("deploys.0.max_surge must be a count"));
  CHECK_THAT(error_of("[[deploys]]\nat_s = 1\non_sigterm = \"wait\"\n"), Catch::Matchers::Contains("on_sigterm"));
  CHECK_THAT(error_of("[[deploys]]\nmax_surge = 1\n"), Catch::Matchers::Contains("deploys.0.at_s is required"));
  CHECK_THAT(error_of("[[deploys]]\nat_s = 20\n[[deploys]]\nat_s = 10\n"), Catch::Matchers::Contains("deploys.1.at_s must not be before"));
  // per_site: true, false or "auto" (left out).
  CHECK_FALSE(cfg.deploys[0].per_site.has_value());
  CHECK_FALSE(experiments::load_scenario_string(base + "[[deploys]]\nat_s = 1\nper_site = \"auto\"\n", "t.toml").deploys[0].per_site.has_value());
  CHECK(experiments::load_scenario_string(base + "[[deploys]]\nat_s = 1\nper_site = true\n", "t.toml").deploys[0].per_site == true);
  CHECK(experiments::load_scenario_string(base + "[[deploys]]\nat_s = 1\nper_site = false\n", "t.toml").deploys[0].per_site == false);
  CHECK_THAT(error_of("[[deploys]]\nat_s = 1\nper_site = \"yes\"\n"),
             Catch::Matchers::Contains("t.toml:7:12:") && Catch::Matchers::Contains("deploys.0.per_site must be true") &&
                 Catch::Matchers::Contains("\"auto\"") && Catch::Matchers::Contains("got \"yes\""));
}
