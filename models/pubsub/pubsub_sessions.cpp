// Pub/sub sessions: what a connection's subscriptions do when it opens (resume within a window, a
// history fetch, or the gap counted as lost) and when it closes or its session ends, with the
// continuity counts (expected, in order, recovered, lost, duplicated, out of order).
#include <algorithm>
#include <cstdint>

#include "models/fleet/server_pool.hpp"
#include "models/pubsub/pubsub.hpp"

namespace wsfleet::models {

void PubSub::connect(std::uint32_t c) {
  PubSubRuntime& ps = ps_;
  PubSubOutcome& out = ps.out;
  const PubSubSection& p = st_.cfg.pubsub;
  const sim::SimTime now = st_.sim.now();
  const auto server = static_cast<std::uint32_t>(st_.clients[c].server);
  ps.connected_at[c] = now;
  const std::size_t base = static_cast<std::size_t>(c) * ps.k;
  for (std::uint32_t j = 0; j < ps.k; ++j) {
    const std::uint32_t ch = ps.channel_of[base + j];
    auto& list = ps.subscribers[static_cast<std::size_t>(server) * p.channels + ch];
    ps.list_pos[base + j] = static_cast<std::uint32_t>(list.size());
    list.push_back(c);
    if (list.size() == 1) ++ps.servers_subscribed[ch];
    ps.live_from[base + j] = ps.arrived_seq[ch];
  }
  if (!ps.in_session[c]) {  // a new session starts from what is published now
    ps.in_session[c] = 1;
    for (std::uint32_t j = 0; j < ps.k; ++j) {
      const std::uint32_t b = ps.live_from[base + j];
      ps.have[base + j] = std::max(ps.have[base + j], b);
      ps.from[base + j] = ps.have[base + j];
    }
    return;
  }
  // A reconnection within the session: what reached the servers while it was away is missing.
  const sim::SimTime away = now - ps.lost_at[c];
  bool resumable = false;
  if (p.resume.window_s > 0.0) {
    ++out.resume_attempts;
    const sim::SimTime window = sim::from_seconds(p.resume.window_s);
    resumable = away <= window;
    if (!resumable) {
      ++out.resume_too_late;
    } else {
      for (std::uint32_t j = 0; j < ps.k && resumable; ++j) {
        const std::uint32_t b = ps.live_from[base + j], have = ps.have[base + j];
        if (b <= have) continue;
        const ChannelLog& log = ps.logs[ps.channel_of[base + j]];
        // Socket.IO keeps packets for maxDisconnectionDuration; Centrifugo keeps history_size.
        const bool by_age = have + 1 >= log.first_since(now - window);
        const bool by_count = p.resume.cache_messages == 0 || b - have <= p.resume.cache_messages;
        resumable = by_age && by_count;
      }
      if (!resumable) ++out.resume_evicted;
    }
  }
  if (resumable) {
    ++out.resumed;
    std::uint64_t recovered = 0;
    const double npb = ps.ns_per_byte[ps.link[c]];
    for (std::uint32_t j = 0; j < ps.k; ++j) {
      const std::uint32_t b = ps.live_from[base + j], have = ps.have[base + j];
      if (b <= have) continue;
      const std::uint32_t n = b - have;
      recovered += n;
      const QueuedCopy block{now, b, static_cast<std::uint32_t>(std::min<double>(4e9, n * p.message_bytes)), n,
                             static_cast<std::uint16_t>(j), 1};
      if (npb == 0.0) {
        written(c, block, now);
      } else {
        ps.queues[c].push(now, block);
        ps.buffered[server] += block.bytes;
      }
    }
    if (recovered > 0) {
      st_.parts.servers->submit_work(server, sim::from_micros(static_cast<double>(recovered) * st_.cfg.fleet.cpu.outbound_message_us));
      st_.parts.servers->check_memory(server);
    }
  } else if (p.history.enabled() && !ps.fetching[c]) {
    // The application fetches from history; live messages keep coming meanwhile.
    ps.fetching[c] = 1;
    ++out.history_fetches;
    for (std::uint32_t j = 0; j < ps.k; ++j) {
      const std::uint32_t b = ps.live_from[base + j];
      ps.fetch_from[base + j] = ps.have[base + j];
      ps.fetch_to[base + j] = std::max(b, ps.have[base + j]);
      ps.have[base + j] = ps.fetch_to[base + j];
    }
    const sim::SimTime at = now + sim::from_seconds(p.history.fetch_ms / 1000.0);
    if (at <= st_.end) st_.sim.schedule_at(at, self_, kFetch, c);
  } else {
    for (std::uint32_t j = 0; j < ps.k; ++j) {
      const std::uint32_t b = ps.live_from[base + j];
      std::uint32_t& have = ps.have[base + j];
      if (b > have) {
        out.lost += b - have;
        have = b;
      }
    }
  }
  ps.lost_at[c] = -1;
}

void PubSub::fetch_done(std::uint32_t c) {
  PubSubRuntime& ps = ps_;
  PubSubOutcome& out = ps.out;
  const HistorySection& h = st_.cfg.pubsub.history;
  const sim::SimTime now = st_.sim.now();
  ps.fetching[c] = 0;
  const std::size_t base = static_cast<std::size_t>(c) * ps.k;
  for (std::uint32_t j = 0; j < ps.k; ++j) {
    const std::size_t ck = base + j;
    const std::uint32_t from = ps.fetch_from[ck], to = ps.fetch_to[ck];
    if (from == kNoFetch) continue;
    ps.fetch_from[ck] = kNoFetch;
    const ChannelLog& log = ps.logs[ps.channel_of[ck]];
    // What history holds now: the last `size` publications, none older than ttl.
    std::uint64_t lo = 1;
    if (h.size > 0 && log.last() >= h.size) lo = std::max<std::uint64_t>(lo, log.last() - h.size + 1);
    if (h.ttl_s > 0.0) lo = std::max<std::uint64_t>(lo, log.first_since(now - sim::from_seconds(h.ttl_s)));
    // The range asked for: from the client's position, or the last `rewind` whatever it had.
    std::uint64_t ask_lo = static_cast<std::uint64_t>(from) + 1;
    if (h.fetch == HistoryFetch::Rewind) ask_lo = to >= h.rewind ? static_cast<std::uint64_t>(to) - h.rewind + 1 : 1;
    const std::uint64_t got_lo = std::max(ask_lo, lo);
    const std::uint64_t got = to >= got_lo ? to - got_lo + 1 : 0;
    // Of what came back, the messages the client already had are duplicates.
    const std::uint64_t had = got > 0 && from >= got_lo ? std::min<std::uint64_t>(got, from - got_lo + 1) : 0;
    const std::uint64_t recovered = got - had;
    out.duplicated += had;
    out.recovered_history += recovered;
    out.lost += (to - from) - recovered;
    if (ps.have[ck] > to) out.out_of_order += recovered;  // newer live messages came first
  }
}

void PubSub::disconnect(std::uint32_t c, bool session_over) {
  PubSubRuntime& ps = ps_;
  const sim::SimTime now = st_.sim.now();
  const auto server = static_cast<std::uint32_t>(st_.clients[c].server);
  drain(c, now);
  ps.queues[c].clear([&](const QueuedCopy& copy) {
    ps.buffered[server] -= copy.bytes;
    if (copy.replay != 0) return;  // a resume not completed: the client will miss these again
    ++ps.out.discarded;
    ++ps.iv_dropped[server];
    ++ps.iv_fleet_dropped;
  });
  const std::uint32_t channels = st_.cfg.pubsub.channels;
  const std::size_t base = static_cast<std::size_t>(c) * ps.k;
  for (std::uint32_t j = 0; j < ps.k; ++j) {
    const std::uint32_t ch = ps.channel_of[base + j];
    auto& list = ps.subscribers[static_cast<std::size_t>(server) * channels + ch];
    const std::uint32_t pos = ps.list_pos[base + j];
    const std::uint32_t last = list.back();
    list[pos] = last;
    std::uint32_t lj = 0;
    while (ps.channel_of[static_cast<std::size_t>(last) * ps.k + lj] != ch) ++lj;
    ps.list_pos[static_cast<std::size_t>(last) * ps.k + lj] = pos;
    list.pop_back();
    if (list.empty()) --ps.servers_subscribed[ch];
    if (!ps.sent_any.empty()) ps.sent_any[base + j] = 0;
  }
  if (session_over) {
    end_session(c);
  } else {
    ps.lost_at[c] = now;
  }
}

void PubSub::end_session(std::uint32_t c) {
  PubSubRuntime& ps = ps_;
  if (!ps.in_session[c]) return;
  ps.in_session[c] = 0;
  ps.lost_at[c] = -1;
  // The client stops expecting messages: what it had is what the session was owed.
  const std::size_t base = static_cast<std::size_t>(c) * ps.k;
  for (std::uint32_t j = 0; j < ps.k; ++j) ps.out.expected += ps.have[base + j] - ps.from[base + j];
}

}  // namespace wsfleet::models
