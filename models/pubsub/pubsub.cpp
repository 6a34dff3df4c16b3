// Pub/sub in the fleet: channels with Zipf popularity, publishers (feeds and clients), the broker
// between servers, fan-out on every server, per-connection send buffers with backpressure
// policies, memory limits, and continuity (sequence numbers, resume, history).
//
// Events: one per publication (publish, arrival at the servers) and one per server fan-out. The
// copies to subscribers are not events: each connection's send buffer is a FIFO written at its
// link's rate and brought up to date when touched (SendQueue), so a copy's delivery time is exact.
#include <algorithm>
#include <cmath>
#include <limits>

#include "models/pubsub/pubsub.hpp"

#include <stdexcept>
#include <string>

#include "models/fleet/connections.hpp"
#include "models/fleet/server_pool.hpp"
#include "models/fleet/summary_helpers.hpp"

namespace wsfleet::models {

namespace {
constexpr double kMiB = 1024.0 * 1024.0;
}  // namespace

namespace {
/// The runtime state, after the pub/sub keys that size it are checked.
PubSubRuntime make_runtime(const FleetConfig& cfg) {
  const PubSubSection& p = cfg.pubsub;
  if (p.subscriptions == 0 || p.subscriptions > p.channels) {
    throw std::invalid_argument("pubsub.subscriptions must be between 1 and pubsub.channels");
  }
  if (p.subscriptions > 64) throw std::invalid_argument("pubsub.subscriptions must be <= 64");
  const std::uint64_t cells = static_cast<std::uint64_t>(cfg.total_servers()) * p.channels;
  if (cells > 50'000'000ull) {
    throw std::invalid_argument("servers x pubsub.channels must be <= 50,000,000 (one subscriber list per pair)");
  }
  const double ns_per_delivery = p.broker.capacity_per_s > 0 ? 1e9 / p.broker.capacity_per_s : 0.0;
  return PubSubRuntime(p.channels, p.zipf_s, ns_per_delivery, sim::from_seconds(p.broker.latency_ms / 1000.0));
}
}  // namespace

PubSub::PubSub(FleetState& state) : st_(state), ps_(make_runtime(state.cfg)) {
  const PubSubSection& p = st_.cfg.pubsub;
  const std::uint64_t cells = static_cast<std::uint64_t>(st_.servers.size()) * p.channels;
  PubSubRuntime& ps = ps_;
  const sim::StreamFactory& streams = st_.streams;
  ps.rng_feed = streams.stream("pubsub.feeds");
  ps.rng_publish = streams.stream("pubsub.publish");
  ps.keep_times = p.resume.window_s > 0.0 || p.history.ttl_s > 0.0;
  ps.servers_subscribed.assign(p.channels, 0);
  ps.subscribers.resize(cells);
  ps.server_epoch.assign(st_.servers.size(), 0);
  ps.buffered.assign(st_.servers.size(), 0);
  ps.iv_delivered.assign(st_.servers.size(), 0);
  ps.iv_dropped.assign(st_.servers.size(), 0);
  ps.out.enabled = true;

  const std::size_t n = st_.clients.size();
  ps.k = p.subscriptions;
  const std::size_t slots = n * ps.k;
  ps.channel_of.resize(slots);
  ps.have.assign(slots, 0);
  ps.from.assign(slots, 0);
  ps.list_pos.assign(slots, 0);
  ps.live_from.assign(slots, 0);
  if (p.history.enabled()) {
    ps.fetch_from.assign(slots, kNoFetch);
    ps.fetch_to.assign(slots, 0);
  }
  if (p.buffer.delta_ratio < 1.0) ps.sent_any.assign(slots, 0);
  ps.queues.resize(n);
  ps.connected_at.assign(n, 0);
  ps.lost_at.assign(n, -1);
  ps.in_session.assign(n, 0);
  ps.fetching.assign(n, 0);
  ps.link.assign(n, 0);

  // Subscriptions: k distinct channels by popularity; link classes by their shares.
  sim::Rng rng_subs = streams.stream("pubsub.subscriptions");
  for (std::size_t c = 0; c < n; ++c) {
    ps.popularity.sample_distinct(rng_subs, std::span<std::uint32_t>(ps.channel_of.data() + c * ps.k, ps.k));
  }
  if (p.links.empty()) {
    ps.ns_per_byte.assign(1, 0.0);
  } else {
    if (p.links.size() > 255) throw std::invalid_argument("pubsub.links: at most 255 link classes");
    for (const LinkClass& l : p.links) ps.ns_per_byte.push_back(l.drain_kib_per_s > 0 ? 1e9 / (l.drain_kib_per_s * 1024.0) : 0.0);
    sim::Rng rng_links = streams.stream("pubsub.links");
    for (std::size_t c = 0; c < n; ++c) {
      double u = rng_links.uniform01();
      std::size_t cls = 0;
      while (cls + 1 < p.links.size() && u >= p.links[cls].share) u -= p.links[cls++].share;
      ps.link[c] = static_cast<std::uint8_t>(cls);
    }
  }
  self_ = st_.sim.add_handler(this);
}

void PubSub::start() {
  const FeedSection& feed = st_.cfg.pubsub.feed;
  if (feed.rate_per_s <= 0.0) return;
  const double gap_s = 1.0 / feed.rate_per_s;
  for (std::uint32_t ch = 0; ch < std::min(feed.channels, st_.cfg.pubsub.channels); ++ch) {
    const double first = feed.process == FeedProcess::Periodic ? ps_.rng_feed.uniform01() * gap_s : ps_.rng_feed.exponential(gap_s);
    const sim::SimTime at = sim::from_seconds(first);
    if (at <= st_.end) st_.sim.schedule_at(at, self_, kFeed, ch);
  }
}

void PubSub::handle(const sim::Event& e) {
  const std::uint64_t data = e.data;
  switch (e.tag) {
    case kFeed: {
      const auto ch = static_cast<std::uint32_t>(data);
      publish(ch, false);
      const FeedSection& feed = st_.cfg.pubsub.feed;
      const double gap_s = feed.process == FeedProcess::Periodic ? 1.0 / feed.rate_per_s : ps_.rng_feed.exponential(1.0 / feed.rate_per_s);
      // Periodic feeds tick on a fixed grid from their phase, without drift.
      const sim::SimTime next = st_.sim.now() + sim::from_seconds(gap_s);
      if (next <= st_.end) st_.sim.schedule_at(next, self_, kFeed, ch);
      return;
    }
    case kClientPublish: {
      // A client's message to its channel, once its server has handled it (if that server did not crash).
      const auto ch = static_cast<std::uint32_t>(data & 0xFFFFFFFFu);
      const auto server = static_cast<std::uint32_t>((data >> 32) & 0xFFFFFFu);
      const auto epoch = static_cast<std::uint8_t>(data >> 56);
      if (ps_.server_epoch[server] == epoch) publish(ch, true);
      return;
    }
    case kArrive: arrive(static_cast<std::uint32_t>(data)); return;
    case kFanout:
      fanout(static_cast<std::uint32_t>(data & 0xFFFFFFFFu), static_cast<std::uint32_t>((data >> 32) & 0xFFFFFFu),
                    static_cast<std::uint8_t>(data >> 56));
      return;
    case kFetch: fetch_done(static_cast<std::uint32_t>(data)); return;
    default: throw std::logic_error("PubSub: unknown event tag");
  }
}

void PubSub::publish(std::uint32_t channel, bool from_client) {
  PubSubRuntime& ps = ps_;
  const sim::SimTime now = st_.sim.now();
  if (!ps.broker.up()) {
    ++ps.out.publish_failed;  // the publisher gets an error: no sequence number is taken
    return;
  }
  const std::uint32_t seq = ps.logs[channel].append(now, ps.keep_times);
  ++ps.out.published;
  ++(from_client ? ps.out.from_clients : ps.out.from_feeds);
  ++ps.iv_published;
  std::uint32_t deliveries = ps.servers_subscribed[channel];
  if (st_.cfg.pubsub.broker.mode == BrokerMode::Broadcast) {
    deliveries = 0;
    for (const Server& s : st_.servers) deliveries += s.up ? 1u : 0u;
  }
  const sim::SimTime depart = ps.broker.accept(now, deliveries);
  std::uint32_t index = 0;
  if (ps.free_pubs.empty()) {
    index = static_cast<std::uint32_t>(ps.pubs.size());
    ps.pubs.emplace_back();
  } else {
    index = ps.free_pubs.back();
    ps.free_pubs.pop_back();
  }
  ps.pubs[index] = Publication{now, depart, channel, seq, ps.broker.epoch(), 0};
  ++ps.in_broker;
  const sim::SimTime arrival = ps.broker.arrival(depart);
  if (arrival <= st_.end) st_.sim.schedule_at(arrival, self_, kArrive, index);
}

void PubSub::arrive(std::uint32_t index) {
  PubSubRuntime& ps = ps_;
  --ps.in_broker;
  Publication& pub = ps.pubs[index];
  if (ps.broker.lost(pub.epoch, pub.depart)) {
    ++ps.out.lost_in_broker;
    ps.free_pubs.push_back(index);
    return;
  }
  ++ps.out.arrived;
  ps.arrived_seq[pub.channel] = pub.seq;
  const std::uint32_t channels = st_.cfg.pubsub.channels;
  const bool broadcast = st_.cfg.pubsub.broker.mode == BrokerMode::Broadcast;
  for (std::uint32_t b = 0; b < st_.servers.size(); ++b) {
    Server& s = st_.servers[b];
    const std::size_t n = ps.subscribers[static_cast<std::size_t>(b) * channels + pub.channel].size();
    if (!s.up || (!broadcast && n == 0)) continue;
    // The server decodes it once and writes it to each local subscriber.
    const sim::SimTime cost = sim::from_micros(st_.cfg.pubsub.fanout_us + static_cast<double>(n) * st_.cfg.fleet.cpu.outbound_message_us);
    const sim::SimTime done = st_.parts.servers->submit_work(b, cost);
    ++ps.out.fanouts;
    ++ps.fanouts_pending;
    ++pub.pending;
    if (done <= st_.end) {
      st_.sim.schedule_at(done, self_, kFanout,
                       index | (static_cast<std::uint64_t>(b) << 32) | (static_cast<std::uint64_t>(ps.server_epoch[b]) << 56));
    }
  }
  if (pub.pending == 0) ps.free_pubs.push_back(index);
}

void PubSub::fanout(std::uint32_t index, std::uint32_t server, std::uint8_t epoch) {
  PubSubRuntime& ps = ps_;
  --ps.fanouts_pending;
  Publication& pub = ps.pubs[index];
  const Publication p = pub;
  if (--pub.pending == 0) ps.free_pubs.push_back(index);
  if (ps.server_epoch[server] != epoch) {
    ++ps.out.fanouts_lost;  // the server crashed with it in its queue
    return;
  }
  ++ps.out.fanouts_done;
  const sim::SimTime now = st_.sim.now();
  const BufferSection& buf = st_.cfg.pubsub.buffer;
  const double limit = buf.limit_kib * 1024.0;
  const auto full_bytes = static_cast<std::uint32_t>(std::llround(st_.cfg.pubsub.message_bytes));
  const auto delta_bytes = static_cast<std::uint32_t>(std::llround(st_.cfg.pubsub.message_bytes * buf.delta_ratio));
  ps.victims.clear();
  const std::vector<std::uint32_t>& list = ps.subscribers[static_cast<std::size_t>(server) * st_.cfg.pubsub.channels + p.channel];
  for (const std::uint32_t c : list) {
    std::uint16_t slot = 0;
    while (ps.channel_of[static_cast<std::size_t>(c) * ps.k + slot] != p.channel) ++slot;
    const std::size_t ck = static_cast<std::size_t>(c) * ps.k + slot;
    // Publications that reached the servers before this connection existed were accounted for
    // when it connected (resumed, fetched or missed).
    if (p.seq <= ps.live_from[ck]) continue;
    ++ps.out.copies;
    std::uint32_t bytes = full_bytes;
    if (!ps.sent_any.empty()) {
      if (ps.sent_any[ck]) bytes = delta_bytes;
      ps.sent_any[ck] = 1;
    }
    const QueuedCopy copy{p.published, p.seq, bytes, 1, slot, 0};
    const double npb = ps.ns_per_byte[ps.link[c]];
    if (npb == 0.0) {  // a client that reads at once: written now
      written(c, copy, now);
      continue;
    }
    drain(c, now);
    SendQueue& q = ps.queues[c];
    const double unsent = q.unsent(now, npb);
    auto dropped = [&](std::uint64_t& reason) {
      ++reason;
      ++ps.iv_dropped[server];
      ++ps.iv_fleet_dropped;
    };
    switch (buf.policy) {
      case BufferPolicy::Conflate:
        if (QueuedCopy* older = q.find_unsent(slot)) {  // the newer value replaces it where it stands
          older->seq = p.seq;
          older->published = p.published;
          dropped(ps.out.conflated);
          continue;
        }
        break;
      case BufferPolicy::DropNewest:
      case BufferPolicy::Uws:
      case BufferPolicy::Volatile: {
        const Verdict v = backpressure_verdict(buf.policy, unsent, bytes, limit, buf.close_on_limit);
        if (v != Verdict::Queue) {
          dropped(buf.policy == BufferPolicy::Volatile ? ps.out.dropped_volatile : ps.out.dropped_full);
          if (v == Verdict::DropAndClose) ps.victims.push_back(c);
          continue;
        }
        break;
      }
      default: break;
    }
    q.push(now, copy);
    ps.buffered[server] += bytes;
    if (buf.policy == BufferPolicy::DropOldest) {
      QueuedCopy old;
      while (q.unsent(now, npb) > limit && q.drop_oldest_unsent(old)) {
        ps.buffered[server] -= old.bytes;
        dropped(ps.out.dropped_oldest);
      }
    } else if (buf.policy == BufferPolicy::Close && q.unsent(now, npb) > limit) {
      // Centrifugo's writer: enqueue, then `messages.Size() > MaxQueueSize` disconnects (3008 "slow").
      ps.victims.push_back(c);
    }
  }
  for (const std::uint32_t c : ps.victims) {
    const Client& cl = st_.clients[c];
    if (cl.state == ClientState::Connected && cl.server == static_cast<std::int32_t>(server)) {
      st_.parts.connections->close_connection(c, st_.conn.slow_consumer);
    }
  }
  st_.parts.servers->check_memory(server);
}

void PubSub::drain(std::uint32_t c, sim::SimTime now) {
  PubSubRuntime& ps = ps_;
  SendQueue& q = ps.queues[c];
  if (q.empty()) return;
  const auto server = static_cast<std::uint32_t>(st_.clients[c].server);
  q.drain(now, ps.ns_per_byte[ps.link[c]], [&](const QueuedCopy& copy, sim::SimTime finish) {
    ps.buffered[server] -= copy.bytes;
    written(c, copy, finish);
  });
}

void PubSub::written(std::uint32_t c, const QueuedCopy& copy, sim::SimTime finish) {
  PubSubRuntime& ps = ps_;
  PubSubOutcome& out = ps.out;
  const std::size_t ck = static_cast<std::size_t>(c) * ps.k + copy.slot;
  std::uint32_t& have = ps.have[ck];
  if (copy.replay != 0) {  // a resume's missed messages, in order, before anything newer
    out.recovered_resume += copy.count;
    have = std::max(have, copy.seq);
    return;
  }
  const auto server = static_cast<std::uint32_t>(st_.clients[c].server);
  ++out.delivered;
  ++ps.iv_delivered[server];
  ++ps.iv_fleet_delivered;
  out.bytes_delivered += copy.bytes;
  double ms = sim::to_millis(finish - copy.published);
  if (st_.cfg.topology.enabled()) ms += st_.latency(st_.clients[c].region, st_.topo.site_of(server)) * 1e-6;
  ps.interval_latency_ms.record(ms);
  if (copy.seq <= have) {
    ++out.duplicated;
    return;
  }
  out.lost += copy.seq - have - 1;  // a gap: dropped, conflated, or lost in the broker
  ++out.in_order;
  have = copy.seq;
}

void PubSub::client_message(std::uint32_t c, std::uint32_t server, sim::SimTime done) {
  PubSubRuntime& ps = ps_;
  if (!(ps.rng_publish.uniform01() < st_.cfg.pubsub.client_publish_share)) return;
  const std::uint32_t ch = ps.channel_of[static_cast<std::size_t>(c) * ps.k + ps.rng_publish.below(ps.k)];
  if (done > st_.end) return;
  st_.sim.schedule_at(done, self_, kClientPublish,
                   ch | (static_cast<std::uint64_t>(server) << 32) | (static_cast<std::uint64_t>(ps.server_epoch[server]) << 56));
}

double PubSub::queued_mib(std::uint32_t server) const { return static_cast<double>(ps_.buffered[server]) / kMiB; }

namespace {
using timeseries::Column, timeseries::Scope, timeseries::Type, timeseries::When;

/// Its columns of the time series, in the order it declares them.
struct PubSubColumns {
  timeseries::ColumnGroup group;
  const Column& published = group.add(Scope::Fleet, "published", Type::Integer, "publications",
                                      "in the interval: publications (feeds and clients)", When::PubSub);
  const Column& delivered = group.add(Scope::Fleet, "pubsub_delivered", Type::Integer, "copies",
                                      "in the interval: publication copies delivered to clients", When::PubSub);
  const Column& dropped = group.add(Scope::Fleet, "pubsub_dropped", Type::Integer, "copies",
                                    "in the interval: publication copies dropped by the send-buffer policy", When::PubSub);
  const Column& buffered_mib = group.add(Scope::Fleet, "buffered_mib", Type::Number, "MiB",
                                         "bytes in every send buffer, summed", When::PubSub);
  const Column& latency_p99_ms =
      group.add(Scope::Fleet, "pubsub_latency_p99_ms", Type::Number, "ms",
                "in the interval: 99th percentile of publication delivery latency (empty without deliveries)", When::PubSub);
  const Column& server_buffered_kib = group.add(Scope::Server, "buffered_kib", Type::Number, "KiB",
                                                "bytes in its connections' send buffers", When::PubSub);
  const Column& server_delivered = group.add(Scope::Server, "pubsub_delivered", Type::Integer, "copies",
                                             "in the interval: publication copies it delivered", When::PubSub);
  const Column& server_dropped = group.add(Scope::Server, "pubsub_dropped", Type::Integer, "copies",
                                           "in the interval: publication copies it dropped", When::PubSub);
};
}  // namespace

std::vector<const timeseries::Column*> PubSub::columns() { return timeseries::declarations<PubSubColumns>().group.all(); }

void PubSub::sample_server(std::uint32_t i, double buffered_mib, timeseries::DeclaredSeries& row) {
  const auto& col = timeseries::declarations<PubSubColumns>();
  ps_.peak_buffered_mib = std::max(ps_.peak_buffered_mib, buffered_mib);
  row.set(col.server_buffered_kib, buffered_mib * 1024.0);
  row.set(col.server_delivered, static_cast<double>(ps_.iv_delivered[i]));
  row.set(col.server_dropped, static_cast<double>(ps_.iv_dropped[i]));
  ps_.iv_delivered[i] = ps_.iv_dropped[i] = 0;
}

void PubSub::sample_fleet(double buffered_mib, timeseries::DeclaredSeries& row) {
  const auto& col = timeseries::declarations<PubSubColumns>();
  PubSubRuntime& ps = ps_;
  const double p99 = ps.interval_latency_ms.count() ? ps.interval_latency_ms.quantile(0.99) : std::numeric_limits<double>::quiet_NaN();
  row.set(col.published, static_cast<double>(ps.iv_published));
  row.set(col.delivered, static_cast<double>(ps.iv_fleet_delivered));
  row.set(col.dropped, static_cast<double>(ps.iv_fleet_dropped));
  row.set(col.buffered_mib, buffered_mib);
  row.set(col.latency_p99_ms, p99);
  ps.iv_published = ps.iv_fleet_delivered = ps.iv_fleet_dropped = 0;
  ps.latency_ms.merge(ps.interval_latency_ms);
  ps.interval_latency_ms.reset();
  trim_logs();
}

double PubSub::server_buffered_mib(std::uint32_t server) {
  // Brings every buffer of the server up to date, so its buffered bytes are exact now (nothing to do
  // when every client reads at once and nothing was ever queued).
  if (ps_.buffered[server] == 0) return 0.0;
  const sim::SimTime now = st_.sim.now();
  for (const std::uint32_t c : st_.servers[server].members) {
    if (st_.clients[c].state == ClientState::Connected) drain(c, now);
  }
  return static_cast<double>(ps_.buffered[server]) / kMiB;
}

void PubSub::trim_logs() {
  if (!ps_.keep_times) return;
  const PubSubSection& p = st_.cfg.pubsub;
  const double keep_s = std::max(p.resume.window_s, p.history.ttl_s) + p.history.fetch_ms / 1000.0 + 1.0;
  const sim::SimTime before = st_.sim.now() - sim::from_seconds(keep_s);
  if (before <= 0) return;
  for (ChannelLog& log : ps_.logs) log.forget_before(before, 0);
}

void PubSub::conservation(RunSummary& summary) const {
  const PubSubOutcome& o = summary.pubsub;
  auto check = [&](std::string name, std::string eq, std::uint64_t lhs, const std::vector<std::uint64_t>& rhs) {
    add_conservation_check(summary, std::move(name), std::move(eq), lhs, rhs);
  };
  check("publications", "published = arrived + lost_in_broker + in_broker_at_end", o.published,
        {o.arrived, o.lost_in_broker, o.in_broker_at_end});
  check("fan-outs", "fanouts = fanouts_done + fanouts_lost + fanouts_pending_at_end", o.fanouts,
        {o.fanouts_done, o.fanouts_lost, o.fanouts_pending_at_end});
  check("copies",
        "copies = delivered + dropped_full + dropped_oldest + dropped_volatile + conflated + discarded + buffered_at_end",
        o.copies, {o.delivered, o.dropped_full, o.dropped_oldest, o.dropped_volatile, o.conflated, o.discarded, o.buffered_at_end});
  check("continuity", "expected = in_order + recovered_resume + recovered_history + lost + pending_at_end", o.expected,
        {o.in_order, o.recovered_resume, o.recovered_history, o.lost, o.pending_at_end});
  std::uint64_t buffered = 0;
  for (std::uint64_t b : ps_.buffered) buffered += b;
  check("send buffers", "bytes left in send buffers after the end's accounting = 0", buffered, {});
}

void PubSub::finish(RunSummary& summary) {
  PubSubRuntime& ps = ps_;
  PubSubOutcome& out = ps.out;
  const sim::SimTime now = st_.sim.now();
  for (std::uint32_t c = 0; c < st_.clients.size(); ++c) {
    if (st_.clients[c].state != ClientState::Connected) continue;
    drain(c, now);
    const auto server = static_cast<std::uint32_t>(st_.clients[c].server);
    ps.queues[c].clear([&](const QueuedCopy& copy) {
      ps.buffered[server] -= copy.bytes;
      if (copy.replay == 0) ++out.buffered_at_end;
    });
  }
  ps.latency_ms.merge(ps.interval_latency_ms);
  ps.interval_latency_ms.reset();
  out.in_broker_at_end = ps.in_broker;
  out.fanouts_pending_at_end = ps.fanouts_pending;
  for (std::uint32_t c = 0; c < st_.clients.size(); ++c) {
    const std::size_t base = static_cast<std::size_t>(c) * ps.k;
    for (std::uint32_t j = 0; j < ps.k; ++j) {
      // A fetch still under way at the end: its gap was neither recovered nor lost yet.
      if (ps.fetching[c] && ps.fetch_from[base + j] != kNoFetch) out.pending_at_end += ps.fetch_to[base + j] - ps.fetch_from[base + j];
      if (!ps.in_session[c]) continue;
      const std::uint32_t last = ps.logs[ps.channel_of[base + j]].last();
      out.expected += last - ps.from[base + j];
      out.pending_at_end += last - ps.have[base + j];
    }
  }
  out.peak_server_buffered_mib = ps.peak_buffered_mib;
  summary.pubsub = out;
  summary.pubsub.latency = stats_of(ps.latency_ms);
}

}  // namespace wsfleet::models
