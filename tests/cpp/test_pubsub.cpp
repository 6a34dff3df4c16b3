// Pub/sub: fan-out, send buffers and their policies, memory limits, the broker, and continuity.
#include <cmath>
#include <string>
#include <vector>

#include "experiments/result_writer.hpp"
#include "experiments/scenario_error.hpp"
#include "experiments/scenario_loader.hpp"
#include "experiments/scenario_writer.hpp"
#include "models/pubsub/send_queue.hpp"
#include "models/pubsub/zipf_channels.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

using namespace wsfleet;
using models::BufferPolicy;
using models::Verdict;

namespace {

/// 4 servers, 400 clients connected within the first second, 10 channels each fed 20 times a second
/// (a ticker), 1 KB messages, a broker 5 ms away, and servers with almost free CPU.
models::FleetConfig pubsub_fleet() {
  models::FleetConfig cfg;
  cfg.run.duration_s = 60.0;
  cfg.run.sample_interval_s = 1.0;
  cfg.run.seed = 11;
  cfg.fleet.servers = 4;
  cfg.fleet.max_connections = 1000;
  cfg.fleet.cpu.handshake_us = 100.0;
  cfg.fleet.cpu.outbound_message_us = 1.0;
  cfg.clients.count = 400;
  cfg.clients.ramp_s = 1.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.balancer.policy = "round_robin";
  cfg.backoff.policy = "full_jitter";
  cfg.backoff.params = {{"base_s", 0.5}, {"cap_s", 2.0}};
  models::PubSubSection& p = cfg.pubsub;
  p.channels = 10;
  p.subscriptions = 1;
  p.message_bytes = 1000.0;
  p.fanout_us = 1.0;
  p.feed.channels = 10;
  p.feed.rate_per_s = 20.0;
  p.feed.process = models::FeedProcess::Periodic;
  p.broker.latency_ms = 5.0;
  p.broker.capacity_per_s = 1e6;
  return cfg;
}

/// One channel, every client on a link that reads `drain` messages a second.
models::FleetConfig slow_fleet(double drain_messages_per_s, BufferPolicy policy, double limit_kib) {
  models::FleetConfig cfg = pubsub_fleet();
  cfg.pubsub.channels = 1;
  cfg.pubsub.feed.channels = 1;
  cfg.pubsub.links = {{"slow", 1.0, drain_messages_per_s * cfg.pubsub.message_bytes / 1024.0}};
  cfg.pubsub.buffer.policy = policy;
  cfg.pubsub.buffer.limit_kib = limit_kib;
  return cfg;
}

using wsfleet::testing::fleet_at;

models::RunResult run(const models::FleetConfig& cfg) {
  models::Fleet fleet(cfg);
  models::RunResult r = fleet.run();
  REQUIRE(testing::conserved(r));
  return r;
}

}  // namespace

TEST_CASE("a send buffer writes its messages back to back at the link's rate", "[pubsub][buffer]") {
  models::SendQueue q;
  const double ns_per_byte = 1e6;  // 1000 bytes a second
  for (std::uint32_t i = 1; i <= 3; ++i) q.push(0, models::QueuedCopy{0, i, 1000, 1, 0, 0});
  std::vector<std::pair<std::uint32_t, sim::SimTime>> written;
  q.drain(sim::from_seconds(2.5), ns_per_byte, [&](const models::QueuedCopy& c, sim::SimTime t) { written.emplace_back(c.seq, t); });
  REQUIRE(written.size() == 2);
  CHECK(written[0] == std::make_pair(1u, sim::from_seconds(1.0)));
  CHECK(written[1] == std::make_pair(2u, sim::from_seconds(2.0)));
  // Half of the third is on the wire.
  CHECK(q.unsent(sim::from_seconds(2.5), ns_per_byte) == Approx(500.0));
  // A message that arrives to an idle link starts at once.
  q.drain(sim::from_seconds(10.0), ns_per_byte, [&](const models::QueuedCopy& c, sim::SimTime t) { written.emplace_back(c.seq, t); });
  CHECK(written.back() == std::make_pair(3u, sim::from_seconds(3.0)));
  q.push(sim::from_seconds(10.0), models::QueuedCopy{0, 4, 1000, 1, 0, 0});
  q.push(sim::from_seconds(10.0), models::QueuedCopy{0, 5, 1000, 1, 0, 0});
  q.push(sim::from_seconds(10.0), models::QueuedCopy{0, 6, 1000, 1, 0, 0});
  // Dropping the oldest unsent message leaves the one being written alone.
  models::QueuedCopy dropped;
  REQUIRE(q.drop_oldest_unsent(dropped));
  CHECK(dropped.seq == 5);
  q.drain(sim::from_seconds(12.0), ns_per_byte, [&](const models::QueuedCopy& c, sim::SimTime t) { written.emplace_back(c.seq, t); });
  CHECK(written.back() == std::make_pair(6u, sim::from_seconds(12.0)));
  CHECK(q.empty());
}

TEST_CASE("uWebSockets drops only when the buffer already exceeds maxBackpressure", "[pubsub][buffer]") {
  const double limit = 64 * 1024;
  // The message that crosses the limit is still queued; the next one is dropped.
  CHECK(models::backpressure_verdict(BufferPolicy::Uws, limit, 1000, limit, false) == Verdict::Queue);
  CHECK(models::backpressure_verdict(BufferPolicy::Uws, limit + 1, 1000, limit, false) == Verdict::Drop);
  CHECK(models::backpressure_verdict(BufferPolicy::Uws, limit + 1, 1000, limit, true) == Verdict::DropAndClose);
  // drop_newest refuses the message that would cross it.
  CHECK(models::backpressure_verdict(BufferPolicy::DropNewest, limit - 1000, 1000, limit, false) == Verdict::Queue);
  CHECK(models::backpressure_verdict(BufferPolicy::DropNewest, limit - 999, 1000, limit, false) == Verdict::Drop);
  // Socket.IO volatile: dropped while anything is being written.
  CHECK(models::backpressure_verdict(BufferPolicy::Volatile, 0, 1000, limit, false) == Verdict::Queue);
  CHECK(models::backpressure_verdict(BufferPolicy::Volatile, 1, 1000, limit, false) == Verdict::Drop);
  CHECK(models::backpressure_verdict(BufferPolicy::Unbounded, 1e12, 1000, limit, false) == Verdict::Queue);
}

TEST_CASE("channels are chosen by a Zipf law", "[pubsub]") {
  const models::ZipfChannels z(5, 1.0);
  const double h = 1.0 + 1.0 / 2 + 1.0 / 3 + 1.0 / 4 + 1.0 / 5;
  CHECK(z.probability(0) == Approx(1.0 / h));
  CHECK(z.probability(4) == Approx(0.2 / h));
  sim::Rng rng(3);
  std::vector<int> counts(5, 0);
  const int n = 200000;
  for (int i = 0; i < n; ++i) ++counts[z.sample(rng)];
  for (std::uint32_t r = 0; r < 5; ++r) CHECK(std::abs(counts[r] / double(n) - z.probability(r)) < 0.005);
  std::vector<std::uint32_t> three(3);
  for (int i = 0; i < 100; ++i) {
    z.sample_distinct(rng, three);
    CHECK(three[0] != three[1]);
    CHECK(three[1] != three[2]);
    CHECK(three[0] != three[2]);
  }
  std::vector<std::uint32_t> all(5);
  z.sample_distinct(rng, all);  // every channel, each once
  std::sort(all.begin(), all.end());
  CHECK(all == std::vector<std::uint32_t>{0, 1, 2, 3, 4});
}

TEST_CASE("fan-out gives every subscriber every publication once, after the broker's latency", "[pubsub]") {
  const models::RunResult r = run(pubsub_fleet());
  const models::PubSubOutcome& p = r.summary.pubsub;
  // Ten tickers at 20 per second for 60 s.
  CHECK(p.published >= 11990);
  CHECK(p.published <= 12000);
  CHECK(p.from_feeds == p.published);
  // Each client gets its channel's publications from its connection (within the first second) on.
  CHECK(static_cast<double>(p.copies) > 400 * 20 * 59 * 0.98);
  CHECK(p.copies < 400 * 20 * 60);
  CHECK(p.lost == 0);
  CHECK(p.duplicated == 0);
  CHECK(p.in_order == p.delivered);
  CHECK(p.expected == p.in_order + p.pending_at_end);
  // Publish -> broker (5 ms) -> a server with almost free CPU -> a client that reads at once.
  CHECK(p.latency.p50_ms > 5.0);
  CHECK(p.latency.p99_ms < 5.5);
  // Sharded broker: a publication goes to the servers with a subscriber of its channel (all 4 once
  // the clients have arrived, within the first second: 200 publications).
  CHECK(p.fanouts <= 4 * p.arrived);
  CHECK(p.fanouts >= 4 * (p.arrived - 200));
}

TEST_CASE("a slow consumer gets what its link carries and loses the rest", "[pubsub][buffer]") {
  // 20 messages a second to clients that read 15: 5 a second are dropped once the buffer is full.
  const models::RunResult r = run(slow_fleet(15.0, BufferPolicy::DropNewest, 16.0));
  const models::PubSubOutcome& p = r.summary.pubsub;
  const double per_client_delivered = static_cast<double>(p.delivered) / 400.0;
  const double per_client_dropped = static_cast<double>(p.dropped_full) / 400.0;
  CHECK(per_client_delivered == Approx(15.0 * 59.0).epsilon(0.02));
  // 5 per second, less the 16 KiB the buffer holds (16 messages).
  CHECK(per_client_dropped == Approx(5.0 * 59.0 - 16.0).epsilon(0.04));
  // Each drop is a gap the client sees at its next delivery (the last few are still pending).
  CHECK(p.lost <= p.dropped_full);
  CHECK(p.lost >= p.dropped_full - 400 * 10);
  CHECK(p.latency.p99_ms > 900.0);  // a full 16 KiB buffer at 15 KB/s is about a second of waiting
  CHECK(r.summary.connections.slow_consumer == 0);
}

TEST_CASE("uws keeps the message that crosses maxBackpressure, drop_newest does not", "[pubsub][buffer]") {
  // A link that never drains in the run: the buffer holds what the policy let in.
  const models::RunResult uws = run(slow_fleet(1e-6, BufferPolicy::Uws, 10.0));
  const models::RunResult newest = run(slow_fleet(1e-6, BufferPolicy::DropNewest, 10.0));
  // 10 KiB = 10240 bytes: drop_newest queues 10 messages of 1000 bytes; uWS queues an 11th
  // (10000 <= 10240 before the send), then drops.
  CHECK(newest.summary.pubsub.buffered_at_end == 400 * 10);
  CHECK(uws.summary.pubsub.buffered_at_end == 400 * 11);
}

TEST_CASE("unbuffered growth crashes a server at its memory limit", "[pubsub][memory]") {
  models::FleetConfig cfg = slow_fleet(15.0, BufferPolicy::Unbounded, 1024.0);
  const models::RunResult free_run = run(cfg);
  // Each server holds 100 clients whose buffers grow 5 x 1000 bytes a second: 0.477 MiB/s per server.
  const double growth_mib_s = 100 * 5 * 1000.0 / (1024.0 * 1024.0);
  CHECK(fleet_at(free_run, 20.0, "buffered_mib") == Approx(4 * growth_mib_s * 19.5).epsilon(0.06));
  CHECK(free_run.summary.pubsub.memory_crashes == 0);
  // 256 MiB base + 100 x 64 KiB = 262.25 MiB; with a limit of 270 MiB the first server dies near 17 s.
  cfg.fleet.memory_limit_mib = 270.0;
  cfg.fleet.restart_s = 5.0;
  const models::RunResult r = run(cfg);
  REQUIRE(r.summary.pubsub.memory_crashes >= 1);
  double first = 1e9;
  for (const auto& f : r.summary.faults) {
    if (f.target == "memory") first = std::min(first, f.at_s);
  }
  const double predicted = (270.0 - 262.25) / growth_mib_s + 0.5;
  CHECK(first == Approx(predicted).epsilon(0.1));
  CHECK(r.summary.connections.dropped > 0);  // its clients were cut and reconnected
  CHECK(r.summary.pubsub.peak_server_buffered_mib < 270.0 - 256.0);
}

TEST_CASE("each server class has its own memory limit", "[pubsub][memory]") {
  models::FleetConfig cfg = slow_fleet(15.0, BufferPolicy::Unbounded, 1024.0);
  cfg.fleet.restart_s = 5.0;
  models::ServerClass small, large;
  small.name = "small";
  small.servers = 2;
  small.memory_limit_mib = 270.0;  // dies near 17 s, as above
  large.name = "large";
  large.servers = 2;
  large.memory_limit_mib = 0.0;    // no limit
  cfg.fleet.classes = {small, large};
  const models::RunResult r = run(cfg);
  REQUIRE(r.summary.pubsub.memory_crashes >= 2);
  for (const auto& f : r.summary.faults) {
    if (f.target == "memory") CHECK(f.server < 2);  // only the small servers (0 and 1) are killed
  }
  CHECK(experiments::load_scenario_string(experiments::scenario_to_toml(cfg), "effective.toml").fleet.classes == cfg.fleet.classes);
}

TEST_CASE("a memory limit counts connections too, without pub/sub", "[memory]") {
  // 4 servers of 1000 slots, 2000 clients: 500 each, 256 MiB + 500 x 64 KiB = 287.25 MiB at full load.
  models::FleetConfig cfg = testing::small_fleet();
  cfg.fleet.restart_s = 5.0;
  cfg.fleet.memory_limit_mib = 280.0;  // crossed at the 385th connection of a server
  const models::RunResult r = run(cfg);
  std::size_t kills = 0;
  for (const auto& f : r.summary.faults) kills += f.target == "memory" ? 1 : 0;
  CHECK(kills >= 4);
  CHECK(r.summary.peak_server_connections <= 384);
  cfg.fleet.memory_limit_mib = 300.0;  // room for everyone
  const models::RunResult fits = run(cfg);
  CHECK(fits.summary.faults.empty());
  CHECK(fits.summary.peak_server_connections >= 500);
}

TEST_CASE("Centrifugo closes a consumer whose queue passes the limit, and the fast ones stay", "[pubsub][buffer]") {
  models::FleetConfig cfg = slow_fleet(15.0, BufferPolicy::Close, 16.0);
  cfg.pubsub.links = {{"fast", 0.5, 0.0}, {"slow", 0.5, 15.0 * 1000.0 / 1024.0}};
  const models::RunResult r = run(cfg);
  // About 200 slow clients: each fills 16 KiB at 5 KB/s net in about 3.3 s, is closed, reconnects.
  CHECK(r.summary.connections.slow_consumer > 200 * 5);
  CHECK(r.summary.pubsub.discarded > 0);
  cfg.pubsub.buffer.policy = BufferPolicy::Unbounded;
  CHECK(run(cfg).summary.connections.slow_consumer == 0);
}

TEST_CASE("conflation keeps the latest message per channel", "[pubsub][buffer]") {
  models::FleetConfig cfg = slow_fleet(1.0, BufferPolicy::Conflate, 1024.0);
  const models::RunResult r = run(cfg);
  const models::PubSubOutcome& p = r.summary.pubsub;
  CHECK(p.conflated > 0);
  // At most the message being written and one waiting per channel.
  CHECK(p.buffered_at_end <= 400 * 2);
  CHECK(p.delivered == Approx(400 * 59).epsilon(0.03));
  CHECK(p.lost > 0);
}

TEST_CASE("delta compression shrinks every message after the first", "[pubsub]") {
  models::FleetConfig cfg = pubsub_fleet();
  const double full = run(cfg).summary.pubsub.bytes_delivered;
  cfg.pubsub.buffer.delta_ratio = 0.25;
  const models::RunResult r = run(cfg);
  const double n = static_cast<double>(r.summary.pubsub.delivered) / 400.0;
  CHECK(r.summary.pubsub.bytes_delivered / full == Approx(0.25 + 0.75 / n).epsilon(0.01));
}

TEST_CASE("resume within its window recovers what a crash cut off: exactly once", "[pubsub][continuity]") {
  models::FleetConfig cfg = pubsub_fleet();
  cfg.faults.push_back(models::CrashFault::of_server(0, 20.0, 10.0));
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;
  cfg.pubsub.resume.window_s = 120.0;
  const models::RunResult resumed = run(cfg);
  const models::PubSubOutcome& a = resumed.summary.pubsub;
  CHECK(a.resume_attempts >= 90);
  CHECK(a.resumed == a.resume_attempts);
  CHECK(a.recovered_resume > 0);
  CHECK(a.lost == 0);
  CHECK(a.duplicated == 0);
  // Without resume the same gaps are lost.
  cfg.pubsub.resume.window_s = 0.0;
  const models::PubSubOutcome& b = run(cfg).summary.pubsub;
  CHECK(b.resume_attempts == 0);
  CHECK(b.lost == Approx(static_cast<double>(a.recovered_resume)).epsilon(0.1));
  // A window shorter than nearly every reconnection (full jitter over 0.5 s) resumes almost nothing.
  cfg.pubsub.resume.window_s = 0.01;
  const models::PubSubOutcome& c = run(cfg).summary.pubsub;
  CHECK(c.resume_too_late + c.resumed == c.resume_attempts);
  CHECK(c.resumed < c.resume_attempts / 20);
  CHECK(c.lost > 0);
}

TEST_CASE("history fills the gap late and out of order, and a rewind repeats what the client had", "[pubsub][continuity]") {
  models::FleetConfig cfg = pubsub_fleet();
  cfg.faults.push_back(models::CrashFault::of_server(0, 20.0, 10.0));
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;
  cfg.pubsub.history.size = 1000;
  cfg.pubsub.history.fetch_ms = 500.0;  // ten live messages arrive before the fetch returns
  const models::PubSubOutcome& p = run(cfg).summary.pubsub;
  CHECK(p.history_fetches >= 90);
  CHECK(p.recovered_history > 0);
  CHECK(p.out_of_order == p.recovered_history);
  CHECK(p.lost == 0);
  CHECK(p.duplicated == 0);
  cfg.pubsub.history.fetch = models::HistoryFetch::Rewind;
  cfg.pubsub.history.rewind = 2000;
  const models::PubSubOutcome& w = run(cfg).summary.pubsub;
  CHECK(w.duplicated > 0);
  CHECK(w.recovered_history == p.recovered_history);
  // A history too short for the gap loses the older part.
  cfg.pubsub.history.fetch = models::HistoryFetch::Position;
  cfg.pubsub.history.size = 5;
  const models::PubSubOutcome& s = run(cfg).summary.pubsub;
  CHECK(s.lost > 0);
  CHECK(s.recovered_history < p.recovered_history);
}

TEST_CASE("a broker outage refuses publications and loses what it held", "[pubsub][broker]") {
  models::FleetConfig cfg = pubsub_fleet();
  cfg.pubsub.broker.capacity_per_s = 780.0;  // 200 publications x 4 servers = 800 a second: a growing queue
  models::CrashFault outage;
  outage.target = models::FaultTarget::Broker;
  outage.at_s = 20.0;
  outage.recover_after_s = 5.0;
  cfg.faults.push_back(outage);
  const models::RunResult r = run(cfg);
  const models::PubSubOutcome& p = r.summary.pubsub;
  CHECK(p.publish_failed == Approx(10 * 20 * 5).epsilon(0.02));
  CHECK(p.lost_in_broker > 0);
  CHECK(p.lost >= p.lost_in_broker);  // every client of those channels sees the gap
  CHECK(r.summary.faults.front().target == "broker");
  // An overloaded broker makes every message late.
  CHECK(p.latency.p99_ms > 100.0);
}

TEST_CASE("pub/sub runs repeat exactly and their scenario round-trips", "[pubsub]") {
  const auto cfg = experiments::load_scenario_string(R"(
[run]
duration_s = 40
[fleet]
servers = 3
memory_limit_mib = 300
[clients]
count = 300
ramp_s = 5
messages_per_minute = 6
[pubsub]
channels = 20
subscriptions = 3
client_publish_share = 0.5
[pubsub.feed]
channels = 4
rate_per_s = 10
[[pubsub.links]]
name = "fast"
share = 0.7
drain_kib_per_s = 0
[[pubsub.links]]
name = "mobile"
share = 0.3
drain_messages_per_s = 12
[pubsub.buffer]
preset = "uws_close"
[pubsub.resume]
window_s = 60
[pubsub.history]
size = 100
[[faults]]
type = "crash"
server = 1
at_s = 15
recover_after_s = 5
[[faults]]
type = "broker_outage"
at_s = 25
recover_after_s = 2
)",
                                                     "ps.toml");
  CHECK(cfg.pubsub.buffer.policy == BufferPolicy::Uws);
  CHECK(cfg.pubsub.buffer.close_on_limit);
  CHECK(cfg.pubsub.buffer.limit_kib == 64.0);
  CHECK(cfg.pubsub.links[1].drain_kib_per_s == Approx(12 * 512 / 1024.0));
  CHECK(experiments::load_scenario_string(experiments::scenario_to_toml(cfg), "effective.toml") == cfg);
  const models::RunResult a = run(cfg);
  const models::RunResult b = run(cfg);
  CHECK(a.summary.pubsub.from_clients > 0);
  CHECK(a.summary.pubsub.delivered > 0);
  CHECK(experiments::summary_json_text(a.summary).size() > 0);
  CHECK(a.fleet.column("pubsub_delivered") == b.fleet.column("pubsub_delivered"));
  CHECK(a.servers.column("buffered_kib") == b.servers.column("buffered_kib"));
  CHECK(a.summary.pubsub.lost == b.summary.pubsub.lost);
  CHECK(a.summary.pubsub.resumed == b.summary.pubsub.resumed);
}

TEST_CASE("bad pub/sub input names the key and what is allowed", "[pubsub][errors]") {
  auto contains = [](const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; };
  auto message = [](const std::string& toml) {
    try {
      experiments::load_scenario_string(toml, "bad.toml");
    } catch (const experiments::ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(contains(message("[pubsub]\nzipf_s = 1\n"), "pubsub.channels >= 1"));
  CHECK(contains(message("[pubsub]\nchannels = 3\nsubscriptions = 4\n"), "pubsub.subscriptions must be between 1 and pubsub.channels = 3"));
  CHECK(contains(message("[pubsub]\nchannels = 3\n[[pubsub.links]]\nshare = 0.5\ndrain_kib_per_s = 1\n"), "must add up to 1"));
  CHECK(contains(message("[pubsub]\nchannels = 3\n[[pubsub.links]]\nshare = 1\n"), "drain_kib_per_s (or drain_messages_per_s) is required"));
  CHECK(contains(message("[pubsub]\nchannels = 3\n[pubsub.buffer]\npolicy = \"close\"\nclose_on_limit = true\n"), "closeOnBackpressureLimit"));
  CHECK(contains(message("[pubsub]\nchannels = 3\n[pubsub.buffer]\npolicy = \"drop\"\n"), "must be one of unbounded"));
  CHECK(contains(message("[[faults]]\ntype = \"broker_outage\"\nat_s = 3\n"), "needs [pubsub]"));
  CHECK(contains(message("[pubsub]\nchannels = 3\n[pubsub.history]\nfetch_ms = 3\n"), "keeps nothing"));
  CHECK(contains(message("[pubsub]\nchannels = 3\n[pubsub.buffer]\ndelta_ratio = 0\n"), "pubsub.buffer.delta_ratio must be"));
  CHECK(contains(message("[fleet]\nmemory_limit_mib = 200\n"), "fleet.memory_limit_mib = 200 must be above the server's base_memory_mib = 256"));
}

TEST_CASE("a memory kill while a resume is replayed cuts the connection cleanly, on every transport", "[pubsub][memory][transport]") {
  // Every kill makes its clients resume on the other servers; each resume queues a 4 MB replay on
  // a slow link, which pushes that server past its limit in turn. The kill used to strike inside the
  // handshake, before the connection's transport was set up: a long-polling client then polled on a
  // dead session and unsubscribed a second time (SIGSEGV in pubsub_disconnect).
  const std::string text = R"(
[run]
duration_s = 30
seed = 3
[fleet]
servers = 4
max_connections = 1000
memory_limit_mib = 270
restart_s = 5
[fleet.cpu]
handshake_us = 100
outbound_message_us = 1
[clients]
count = 400
ramp_s = 1
messages_per_minute = 0
heartbeat_interval_s = 5
[balancer]
policy = "round_robin"
[backoff]
policy = "full_jitter"
base_s = 0.5
cap_s = 2
[transport]
long_polling_share = 0.5
[pubsub]
channels = 1
subscriptions = 1
message_bytes = 100000
[pubsub.feed]
channels = 1
rate_per_s = 20
process = "periodic"
[[pubsub.links]]
name = "slow"
share = 1.0
drain_messages_per_s = 30
[pubsub.buffer]
preset = "ws"
[pubsub.resume]
window_s = 120
)";
  for (const char* share : {"0.5", "0"}) {
    INFO("long_polling_share = " << share);
    const models::FleetConfig cfg =
        experiments::load_scenario_string(text, "kill_in_resume.toml", {std::string("transport.long_polling_share=") + share});
    const models::RunResult r = run(cfg);  // conservation holds (transport counts included)
    CHECK(r.summary.pubsub.memory_crashes >= 4);
    CHECK(r.summary.pubsub.resumed > 0);
  }
}
