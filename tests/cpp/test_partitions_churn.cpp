// Partitions and client churn: a site whose servers are unreachable behind answering balancers
// (type "site_partition"), mobile clients whose network drops and comes back (clients.offline_mean_s),
// and a wave of first connections (clients.wave_*).
#include <string>

#include "catch.hpp"
#include "fleet_fixtures.hpp"
#include "models/fleet.hpp"

using namespace wsfleet;
using wsfleet::testing::conserved;
using wsfleet::testing::fleet_sum;

namespace {

using wsfleet::testing::fleet_at;

}  // namespace

TEST_CASE("a site partition cuts its connections, its balancers take the servers out, clients fail over", "[partition]") {
  models::FleetConfig cfg = wsfleet::testing::small_fleet();
  cfg.topology.links = {{"eu", "ams", 5.0}, {"eu", "fra", 15.0}};
  cfg.topology.sites = {{"ams", 2}, {"fra", 2}};
  cfg.topology.regions = {{"eu", 1.0}};
  models::CrashFault f;
  f.target = models::FaultTarget::SitePartition;
  f.site = "ams";
  f.at_s = 30.0;
  f.recover_after_s = 60.0;
  cfg.faults.push_back(f);
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const models::FaultOutcome& out = r.summary.faults[0];
  CHECK(out.target == "site_partition");
  // Everyone was in Amsterdam (nearest); the partition cut all of them.
  CHECK(out.connections_dropped == 2000);
  // The servers were never down: the balancers saw failed probes (3 x 2 s) and took them out; the
  // clients meanwhile hung in handshakes (timeouts) and then went to Frankfurt.
  CHECK(r.summary.connections.failed_timeout > 0);
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
