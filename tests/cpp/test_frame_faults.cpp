// Frame-level gray failures ([[faults]] dropped_messages, link_loss, link_down): a server that drops
// a share of its inbound frames, a lossy link (TCP retransmissions), a link from a region to a site
// that is down. Each is checked against counts computed by hand from the model, and against TCP's
// retransmission arithmetic.
#include <cmath>
#include <string>

#include "catch.hpp"
#include "experiments/scenario_error.hpp"
#include "experiments/scenario_loader.hpp"
#include "fleet_fixtures.hpp"
#include "scenario_fixtures.hpp"
#include "models/fleet.hpp"
#include "models/fleet/gray_failures.hpp"

using namespace wsfleet;
using wsfleet::testing::conserved;
using wsfleet::testing::fault;
using wsfleet::testing::fleet_at;
using wsfleet::testing::fleet_sum;
using wsfleet::testing::server_at;
using wsfleet::testing::server_sum;
using wsfleet::testing::two_sites;

namespace {

bool has_check(const models::RunResult& r, const std::string& prefix) {
  for (const auto& c : r.summary.conservation) {
    if (c.name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("TCP retransmission arithmetic: RTO from one RTT sample, doubled per loss, capped", "[frames]") {
  using G = models::GrayFailures;
  // RFC 6298 after one sample R: SRTT = R, RTTVAR = R/2, RTO = R + max(G, 4 RTTVAR); Linux's G is
  // tcp_rto_min = 200 ms.
  CHECK(G::data_rto(10'000'000) == 210'000'000);        // 10 ms: 10 + max(200, 20)
  CHECK(G::data_rto(150'000'000) == 450'000'000);       // 150 ms: 150 + max(200, 300)
  CHECK(G::retransmission_time(G::kRtoInitial, 0) == 0);
  CHECK(G::retransmission_time(G::kRtoInitial, 3) == 7'000'000'000);  // SYN lost 3 times: 1 + 2 + 4 s
  CHECK(G::retransmission_time(210'000'000, 2) == 630'000'000);       // 210 + 420 ms
  CHECK(G::retransmission_time(100'000'000'000, 3) == 340'000'000'000);  // 100 + 120 + 120 s (TCP_RTO_MAX)
}

TEST_CASE("dropped_messages: every lost ping closes its connection one heartbeat timeout later", "[frames]") {
  // 2,000 clients on 4 servers (least connections: 500 each), connected during the 10 s ramp, pings
  // every 25 s from the handshake, pong timeout 20 s. Server 0 drops every frame from 40 s to 70 s.
  // Each of its 500 connections pings once in the fault (at 50-61 s: the second ping after a
  // handshake at 0-11 s), lost, and is closed 20 s later (70-81 s), before its next ping: exactly
  // 500 lost heartbeats and 500 closes, none before 70 s. Reconnected clients ping first 25 s after
  // connecting, after the fault: no more losses.
  models::FleetConfig cfg = wsfleet::testing::small_fleet();
  cfg.clients.messages_per_minute = 0.0;
  models::CrashFault f = fault(models::FaultTarget::DroppedMessages, 40.0, 30.0);
  f.server = 0;
  f.loss = 1.0;
  cfg.faults.push_back(f);
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  REQUIRE(has_check(r, "lost heartbeats"));
  const models::FaultOutcome& out = r.summary.faults[0];
  CHECK(out.target == "dropped_messages");
  REQUIRE(server_at(r, 0, 40.0, "connections") == 500.0);
  CHECK(out.heartbeats_lost == 500);
  CHECK(out.heartbeat_timeouts == 500);
  CHECK(out.connections_dropped == 500);
  CHECK(r.summary.connections.dropped == 500);
  CHECK(server_sum(r, 0, 40.0, 70.0, "dropped") == 0.0);  // nothing closes before a timeout
  CHECK(server_sum(r, 0, 70.0, 82.0, "dropped") == 500.0);
  CHECK(server_sum(r, 1, 0.0, 120.0, "dropped") == 0.0);  // the other servers are untouched
  REQUIRE(out.reconnected_within_s.has_value());
  CHECK(*out.reconnected_within_s > 30.0);  // the last close at about 81 s, then a reconnect
  CHECK(*out.reconnected_within_s < 45.0);
  CHECK(r.summary.connections.active_at_end == 2000);
  // Heartbeats: the lost ones never reached a CPU.
  CHECK(r.summary.heartbeats.sent + out.heartbeats_lost > r.summary.heartbeats.sent);
  // Off: the same run without the fault closes nothing.
  cfg.faults.clear();
  CHECK(models::Fleet(cfg).run().summary.connections.dropped == 0);
}

TEST_CASE("dropped_messages: the share of messages lost is the configured share", "[frames]") {
  // No heartbeats (nothing closes); 30 messages a minute per client; server 1 drops a quarter of
  // its inbound messages for 60 s. Of what reached it, lost / (lost + delivered) = 0.25, binomial.
  models::FleetConfig cfg = wsfleet::testing::small_fleet();
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.clients.messages_per_minute = 30.0;
  models::CrashFault f = fault(models::FaultTarget::DroppedMessages, 40.0, 60.0);
  f.server = 1;
  f.loss = 0.25;
  cfg.faults.push_back(f);
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const models::FaultOutcome& out = r.summary.faults[0];
  const double delivered = server_sum(r, 1, 40.0, 100.0, "messages_delivered");
  const double n = delivered + static_cast<double>(out.messages_lost);
  // 500 connections x 0.5 messages/s x 60 s = 15,000 expected.
  CHECK(n == Approx(15000.0).epsilon(0.05));
  const double share = static_cast<double>(out.messages_lost) / n;
  CHECK(std::abs(share - 0.25) < 4.0 * std::sqrt(0.25 * 0.75 / n));
  CHECK(out.connections_dropped == 0);
  CHECK(r.summary.connections.active_at_end == 2000);
  // The other servers delivered every message.
  CHECK(server_sum(r, 0, 40.0, 100.0, "messages_delivered") == Approx(15000.0).epsilon(0.05));
}

TEST_CASE("link_down: attempts time out, stalled connections close at their heartbeat timeout", "[frames]") {
  // Everyone is in eu, nearest to ams (2 x 1,000). The eu-ams link is down from 30 s to 90 s.
  // Each connection pings once in [30, 55), lost, and closes 20 s later (in [50, 75)): all 2,000.
  // Their reconnections go to ams again (DNS does not know) and time out until the link is back.
  models::FleetConfig cfg = two_sites();
  cfg.clients.messages_per_minute = 6.0;
  models::CrashFault f = fault(models::FaultTarget::LinkDown, 30.0, 60.0);
  f.site = "ams";
  f.region = "eu";
  cfg.faults.push_back(f);
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const models::FaultOutcome& out = r.summary.faults[0];
  CHECK(out.target == "link_down");
  CHECK(out.heartbeats_lost == 2000);
  CHECK(out.heartbeat_timeouts == 2000);
  CHECK(out.connections_dropped == 2000);
  CHECK(fleet_sum(r, 30.0, 50.0, "dropped") == 0.0);
  CHECK(fleet_sum(r, 50.0, 75.0, "dropped") == 2000.0);
  CHECK(out.messages_lost > 0);
  CHECK(fleet_sum(r, 31.0, 90.0, "messages_delivered") == 0.0);  // nothing crosses
  CHECK(out.handshakes_failed > 0);                                  // attempts into the cut link
  CHECK(r.summary.connections.failed_timeout >= out.handshakes_failed);
  CHECK(fleet_at(r, 89.0, "connections") == 0.0);
  CHECK(fleet_at(r, 89.0, "up") == 4.0);  // nothing crashed
  REQUIRE(out.reconnected_within_s.has_value());
  CHECK(*out.reconnected_within_s > 60.0);  // only after the link is back at 90 s
  CHECK(r.summary.connections.active_at_end == 2000);
}

TEST_CASE("link_down shorter than the heartbeat timeout: stalled connections survive", "[frames]") {
  // Down from 30 s to 40 s: pings due then are lost, but the link is back before their 20 s
  // timeouts run out: no connection closes. The clients connected at t in [0, 10] (the ramp), so
  // pings fall in [30, 40) for t in [5, 10]: about half of them.
  models::FleetConfig cfg = two_sites();
  cfg.clients.messages_per_minute = 0.0;
  models::CrashFault f = fault(models::FaultTarget::LinkDown, 30.0, 10.0);
  f.site = "ams";
  cfg.faults.push_back(f);
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const models::FaultOutcome& out = r.summary.faults[0];
  CHECK(out.heartbeat_timeouts == 0);
  CHECK(out.connections_dropped == 0);
  CHECK(static_cast<double>(out.heartbeats_lost) == Approx(1000.0).epsilon(0.1));
  CHECK(r.summary.connections.active_at_end == 2000);
  CHECK(r.summary.connections.dropped == 0);
}

TEST_CASE("link_loss: handshakes take TCP's retransmissions, as computed from the loss", "[frames]") {
  // 8,000 clients through a link that loses 20 % of packets from the start; no heartbeats, no
  // messages: only the handshakes' four packets (SYN, SYN-ACK with a 1 s first timeout; upgrade
  // request and 101 response with RTO = 10 + 200 ms) cross it.
  models::FleetConfig cfg = two_sites();
  cfg.topology.sites = {{"ams", 4}, {"fra", 4}};
  cfg.fleet.servers = 8;
  cfg.fleet.max_connections = 2000;
  cfg.clients.count = 8000;
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.run.duration_s = 60.0;
  const double p = 0.2;
  models::CrashFault f = fault(models::FaultTarget::LinkLoss, 0.0, 1e9);
  f.site = "ams";
  f.loss = p;
  cfg.faults.push_back(f);
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const models::FaultOutcome& out = r.summary.faults[0];
  const auto attempts = static_cast<double>(r.summary.connections.attempted);
  // Losses per packet are geometric: mean p / (1 - p) = 0.25, four packets per handshake.
  const double per_attempt = static_cast<double>(out.retransmissions) / attempts;
  CHECK(std::abs(per_attempt - 4.0 * p / (1.0 - p)) < 0.05);
  // A handshake needs a retransmission with probability 1 - (1 - p)^4 = 0.5904.
  const double delayed = static_cast<double>(out.handshakes_delayed) / attempts;
  CHECK(std::abs(delayed - (1.0 - std::pow(1.0 - p, 4))) < 0.025);
  // The handshake latency by enumeration of the four packets' losses: the delays, the chance that
  // the total passes the 10 s connect timeout, and the mean of the ones that do not.
  using G = models::GrayFailures;
  const double rtt_s = 0.010, rto_data_s = sim::to_seconds(G::data_rto(10'000'000));
  auto delay_s = [](double rto, int k) { return rto * (std::pow(2.0, k) - 1.0); };
  const double work_s = rtt_s + cfg.fleet.cpu.handshake_us * 1e-6;
  double ok = 0.0, ok_delay = 0.0;
  for (int a = 0; a < 12; ++a)
    for (int b = 0; b < 12; ++b)
      for (int c = 0; c < 12; ++c)
        for (int d = 0; d < 12; ++d) {
          const double prob = std::pow(p, a + b + c + d) * std::pow(1.0 - p, 4);
          const double delay = delay_s(1.0, a) + delay_s(1.0, b) + delay_s(rto_data_s, c) + delay_s(rto_data_s, d);
          if (delay + work_s <= models::kDefaultConnectTimeoutS) {  // the default 10 s (no preset timeout)
            ok += prob;
            ok_delay += prob * delay;
          }
        }
  const double expected_ms = 1000.0 * (ok_delay / ok + work_s);  // about 0.73 s
  CHECK(r.summary.handshake_latency.mean_ms == Approx(expected_ms).epsilon(0.08));
  const double failed = static_cast<double>(r.summary.connections.failed_timeout) / attempts;
  CHECK(std::abs(failed - (1.0 - ok)) < 0.004);
  CHECK(out.heartbeats_lost == 0);
  CHECK(out.connections_dropped == 0);
  // Off: no retransmission at all.
  cfg.faults.clear();
  const models::RunResult base = models::Fleet(cfg).run();
  CHECK(base.summary.handshake_latency.mean_ms < 20.0);
}

TEST_CASE("link_loss: a heartbeat exchange retransmitted past the timeout closes its connection", "[frames]") {
  // Loss 0.5 for the whole run: a ping and its pong need 2^k - 1 RTOs of 210 ms each for k losses;
  // past 20 s they time out: 7 losses of one packet (26.7 s), or a mix (6 + 2 losses: 13.2 + 0.63 s
  // is short of it). Enumerated below: P(timeout) per exchange.
  models::FleetConfig cfg = two_sites();
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.count = 2000;
  cfg.run.duration_s = 200.0;
  const double p = 0.5;
  models::CrashFault f = fault(models::FaultTarget::LinkLoss, 0.0, 1e9);
  f.site = "ams";
  f.loss = p;
  cfg.faults.push_back(f);
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const models::FaultOutcome& out = r.summary.faults[0];
  const double rto = 0.210;
  double timeout = 0.0;
  for (int a = 0; a < 40; ++a)
    for (int b = 0; b < 40; ++b) {
      const double delay = sim::to_seconds(models::GrayFailures::retransmission_time(sim::from_seconds(rto), a)) +
                           sim::to_seconds(models::GrayFailures::retransmission_time(sim::from_seconds(rto), b));
      if (delay >= 20.0) timeout += std::pow(p, a + b) * (1.0 - p) * (1.0 - p);
    }
  // Every exchange crossed the link: the ones that reached a server's CPU and the lost ones.
  REQUIRE(r.summary.sites[0].active_at_end + r.summary.sites[1].active_at_end > 0);
  CHECK(fleet_sum(r, 0.0, 200.0, "established") == server_sum(r, 0, 0.0, 200.0, "established") + server_sum(r, 1, 0.0, 200.0, "established"));
  const double lost = static_cast<double>(out.heartbeats_lost);
  const double exchanges = static_cast<double>(r.summary.heartbeats.sent) + lost;
  CHECK(timeout == Approx(0.015625).epsilon(0.01));  // 2 p^7 - p^14 and the mixed cases
  CHECK(std::abs(lost / exchanges - timeout) < 4.0 * std::sqrt(timeout / exchanges));
  CHECK(out.heartbeat_timeouts > 0);
  CHECK(out.heartbeat_timeouts <= out.heartbeats_lost);
  CHECK(out.connections_dropped == out.heartbeat_timeouts);
}

TEST_CASE("frame-fault keys load, belong to their kind and fail clearly", "[frames]") {
  const std::string base =
      "[fleet]\nservers = 4\n[clients]\ncount = 10\n[topology]\n"
      "links = [{between = [\"eu\", \"ams\"], latency_ms = 5}]\n[[topology.sites]]\nname = \"ams\"\nservers = 4\n"
      "[[topology.regions]]\nname = \"eu\"\nshare = 1.0\n";
  const models::FleetConfig cfg = experiments::load_scenario_string(
      base + "[[faults]]\ntype = \"dropped_messages\"\nserver = 1\nloss = 0.3\nat_s = 5\n"
             "[[faults]]\ntype = \"link_loss\"\nsite = \"ams\"\nloss = 0.02\nat_s = 5\n"
             "[[faults]]\ntype = \"link_down\"\nsite = \"ams\"\nregion = \"eu\"\nat_s = 5\nrecover_after_s = 30\n",
      "t.toml");
  REQUIRE(cfg.faults.size() == 3);
  CHECK(cfg.faults[0].target == models::FaultTarget::DroppedMessages);
  CHECK(cfg.faults[0].loss == 0.3);
  CHECK(cfg.faults[1].target == models::FaultTarget::LinkLoss);
  CHECK(cfg.faults[1].loss == 0.02);
  CHECK(cfg.faults[2].target == models::FaultTarget::LinkDown);
  CHECK(cfg.faults[2].region == "eu");
  auto error_of = [&](const std::string& extra) { return testing::error_message(base + extra); };
  CHECK_THAT(error_of("[[faults]]\ntype = \"crash\"\nserver = 1\nloss = 0.5\n"),
             Catch::Matchers::Contains("faults.0.loss is for type = \"dropped_messages\" or type = \"link_loss\", not \"crash\""));
  CHECK_THAT(error_of("[[faults]]\ntype = \"link_loss\"\nsite = \"ams\"\nloss = 1.0\n"),
             Catch::Matchers::Contains("faults.0.loss must be < 1") && Catch::Matchers::Contains("link_down"));
  CHECK_THAT(error_of("[[faults]]\ntype = \"dropped_messages\"\nserver = 1\nloss = 0\n"), Catch::Matchers::Contains("faults.0.loss"));
  CHECK_THAT(error_of("[[faults]]\ntype = \"link_down\"\nsite = \"ams\"\nregion = \"us\"\n"),
             Catch::Matchers::Contains("faults.0.region") && Catch::Matchers::Contains("eu"));
  CHECK_THAT(error_of("[[faults]]\ntype = \"link_loss\"\nsite = \"ams\"\nregion = \"eu\"\n"),
             Catch::Matchers::Contains("faults.0.region is for type = \"link_down\""));
}
