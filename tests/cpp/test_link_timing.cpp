// Time through impaired links: a lossy link's TCP retransmissions are in the message latency (the
// mean delay against its theory, p / (1 - 2p) RTOs per packet), and a link that is down swallows SYNs
// that the client's kernel retransmits (1, 3, 7, 15, ... s after the first) until its connect timeout;
// the balancer and the servers hold nothing meanwhile, and a retransmission after the link is back
// gets through.
#include <cmath>
#include <string>

#include "catch.hpp"
#include "fleet_fixtures.hpp"
#include "models/fleet.hpp"
#include "models/fleet/gray_failures.hpp"

using namespace wsfleet;
using wsfleet::testing::conserved;
using wsfleet::testing::fault;
using wsfleet::testing::fleet_at;
using wsfleet::testing::server_at;
using wsfleet::testing::two_sites;

TEST_CASE("link_loss: a message's retransmission delay is in its latency, as theory gives", "[frames][link_timing]") {
  // Every client is in eu and connects to ams (10 ms round trip); no heartbeats; 60 messages per
  // minute each. From 20 s the link loses 20 % of packets. A message (one packet) lost k times
  // arrives RTO (2^k - 1) late, RTO = 10 + max(200, 20) = 210 ms; with P(k) = p^k (1 - p) the mean
  // delay is RTO x sum p^k (1 - p)(2^k - 1) = RTO x p / (1 - 2p) = 70 ms.
  models::FleetConfig cfg = two_sites();
  cfg.run.duration_s = 80.0;
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.clients.messages_per_minute = 60.0;
  const double p = 0.2;
  models::CrashFault f = fault(models::FaultTarget::LinkLoss, 20.0, 1e9, "ams");
  f.loss = p;
  cfg.faults.push_back(f);
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const models::FaultOutcome& out = r.summary.faults[0];
  const double rto_s = sim::to_seconds(models::GrayFailures::data_rto(10'000'000));
  REQUIRE(rto_s == Approx(0.210));
  const double theory_s = rto_s * p / (1.0 - 2.0 * p);  // 0.070 s
  // The messages that crossed the lossy link: every message from 20 s on (none is lost).
  const double crossed = wsfleet::testing::fleet_sum(r, 20.0, 80.0, "messages_delivered");
  REQUIRE(crossed > 50000.0);
  CHECK(out.messages_lost == 0);
  // Each retransmission of a message is one more loss of its packet: mean p / (1 - p) per message.
  CHECK(static_cast<double>(out.retransmissions) / crossed == Approx(p / (1.0 - p)).epsilon(0.05));
  // A message needs one with probability p.
  CHECK(static_cast<double>(out.messages_delayed) / crossed == Approx(p).epsilon(0.05));
  // The mean delay per message against theory (its standard error here is about 1.3 ms of 70).
  CHECK(out.message_delay_s / crossed == Approx(theory_s).epsilon(0.06));
  // The same run without the fault draws the same messages at the same times on the same CPUs
  // (the frames' draws are the fault's own stream): the latencies differ by exactly the delays.
  models::FleetConfig clean = cfg;
  clean.faults.clear();
  const models::RunResult base = models::Fleet(clean).run();
  REQUIRE(base.summary.message_latency.count == r.summary.message_latency.count);
  const auto n = static_cast<double>(r.summary.message_latency.count);
  const double added_ms = (r.summary.message_latency.mean_ms - base.summary.message_latency.mean_ms) * n;
  CHECK(added_ms == Approx(out.message_delay_s * 1000.0).epsilon(1e-6));
  // A third of the messages run from 0 to 20 s unimpaired: the whole run's mean rises by about 70 ms
  // x the share after 20 s.
  CHECK(r.summary.message_latency.mean_ms - base.summary.message_latency.mean_ms ==
        Approx(1000.0 * theory_s * crossed / n).epsilon(0.07));
  CHECK(r.summary.message_latency.p99_ms > base.summary.message_latency.p99_ms + 400.0);  // P(k >= 2) = 4 %: 630 ms
}

TEST_CASE("link_down: SYNs are retransmitted 1, 3, 7, 15 s after the first and one after the link is back gets through",
          "[frames][link_timing]") {
  // 100 clients arrive in [0, 1) s; the eu-ams link is down from 0 to 10 s; connect timeout 30 s.
  // Each SYN is lost at t0, t0 + 1, + 3, + 7 and gets through at t0 + 15 (in [15, 16) s): the four
  // retransmissions, the last of which connects, no attempt fails, and nothing is held at ams's
  // balancer or servers before 15 s.
  models::FleetConfig cfg = two_sites();
  cfg.run.duration_s = 30.0;
  cfg.clients.count = 100;
  cfg.clients.ramp_s = 1.0;
  cfg.clients.connect_timeout_s = 30.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.run.sample_interval_s = 0.5;
  cfg.faults.push_back(fault(models::FaultTarget::LinkDown, 0.0, 10.0, "ams"));
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const models::FaultOutcome& out = r.summary.faults[0];
  CHECK(out.attempts_blocked == 100);
  CHECK(out.syn_retransmissions == 400);
  CHECK(out.attempts_through_after_link_back == 100);
  CHECK(out.syn_timeouts == 0);
  CHECK(out.handshakes_failed == 0);
  CHECK(r.summary.connections.attempted == 100);  // one attempt each: the kernel retransmits, the client does not retry
  CHECK(r.summary.connections.failed == 0);
  CHECK(fleet_at(r, 14.5, "connections") == 0.0);
  // All waiting for their SYN to get through: no server saw an attempt before 15 s.
  for (std::size_t b = 0; b < 4; ++b) CHECK(wsfleet::testing::server_sum(r, b, 0.0, 14.5, "attempts") == 0.0);
  CHECK(fleet_at(r, 16.5, "connections") == 100.0);
  // Every handshake took 15 s of retransmissions plus its round trip and work.
  CHECK(r.summary.handshake_latency.mean_ms == Approx(15010.0).epsilon(0.001));
}

TEST_CASE("link_down: the connect timeout ends an attempt that holds no slot", "[frames][link_timing]") {
  // The link is down for the whole run; connect timeout 5 s: each attempt sends its SYN at t0,
  // retransmits it at t0 + 1 and t0 + 3, and gives up at t0 + 5 (the next, t0 + 7, is too late):
  // two retransmissions per attempt, every finished attempt a timeout; ams's servers never see one.
  models::FleetConfig cfg = two_sites();
  cfg.run.duration_s = 40.0;
  cfg.clients.count = 200;
  cfg.clients.connect_timeout_s = 5.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.faults.push_back(fault(models::FaultTarget::LinkDown, 0.0, 1e9, "ams"));
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const models::FaultOutcome& out = r.summary.faults[0];
  const auto& k = r.summary.connections;
  CHECK(out.attempts_through_after_link_back == 0);
  CHECK(out.syn_timeouts == k.failed_timeout);
  CHECK(k.attempted == out.attempts_blocked);  // DNS keeps sending eu to ams (its servers are up)
  CHECK(k.established == 0);
  const std::uint64_t pending = out.attempts_blocked - out.syn_timeouts;
  CHECK(pending == k.pending_at_end);
  // Two retransmissions per finished attempt, at most two per pending one.
  CHECK(out.syn_retransmissions >= 2 * out.syn_timeouts);
  CHECK(out.syn_retransmissions <= 2 * out.attempts_blocked);
  for (std::size_t b = 0; b < 4; ++b) CHECK(server_at(r, b, 40.0, "connections") == 0.0);
  double attempts_at_servers = 0.0;
  for (std::size_t b = 0; b < 4; ++b) attempts_at_servers += wsfleet::testing::server_sum(r, b, 0.0, 40.0, "attempts");
  CHECK(attempts_at_servers == 0.0);  // no SYN ever reached a balancer, so none was sent to a server
}
