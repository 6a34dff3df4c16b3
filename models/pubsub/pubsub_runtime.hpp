#pragma once
// The pub/sub state of one fleet run (owned by the PubSub component, models/pubsub/pubsub.hpp): channels and their logs,
// who subscribes where, each connection's send buffer, the broker, and the counters.
#include <cstdint>
#include <vector>

#include "models/pubsub/broker.hpp"
#include "models/pubsub/channel_log.hpp"
#include "models/pubsub/send_queue.hpp"
#include "models/pubsub/zipf_channels.hpp"
#include "models/run_summary.hpp"
#include "sim/histogram.hpp"
#include "sim/random.hpp"

namespace wsfleet::models {

/// A publication between its acceptance by the broker and its last server fan-out.
struct Publication {
  sim::SimTime published = 0;
  sim::SimTime depart = 0;        ///< when it leaves the broker
  std::uint32_t channel = 0;
  std::uint32_t seq = 0;
  std::uint32_t epoch = 0;        ///< the broker's epoch when it was accepted
  std::uint32_t pending = 0;      ///< server fan-outs not yet done
};

/// fetch_from's value when no history fetch is in progress.
inline constexpr std::uint32_t kNoFetch = 0xFFFFFFFFu;

struct PubSubRuntime {
  PubSubRuntime(std::uint32_t channels, double zipf_s, double ns_per_delivery, sim::SimTime broker_latency)
      : popularity(channels, zipf_s), logs(channels), arrived_seq(channels, 0), broker(ns_per_delivery, broker_latency) {}

  ZipfChannels popularity;
  std::vector<ChannelLog> logs;              ///< per channel
  std::vector<std::uint32_t> arrived_seq;    ///< per channel: the last publication that reached the servers
  std::vector<std::uint32_t> servers_subscribed;  ///< per channel: servers with at least one subscriber
  Broker broker;
  bool keep_times = false;                   ///< resume or history needs publish times

  // Per server x channel: the connected subscribers (client ids).
  std::vector<std::vector<std::uint32_t>> subscribers;
  std::vector<std::uint8_t> server_epoch;    ///< per server: bumped by each crash (stale fan-outs are lost)

  // Per client x subscription slot (k = subscriptions per client).
  std::uint32_t k = 1;
  std::vector<std::uint32_t> channel_of;     ///< the channel
  std::vector<std::uint32_t> have;           ///< the last sequence number the client has (its position)
  std::vector<std::uint32_t> from;           ///< the position its current session started at
  std::vector<std::uint32_t> list_pos;       ///< its index in the server's subscriber list while connected
  std::vector<std::uint32_t> live_from;      ///< the last publication that had reached the servers when it connected
  std::vector<std::uint32_t> fetch_from;     ///< a history fetch in progress: the gap (fetch_from, fetch_to]
  std::vector<std::uint32_t> fetch_to;
  std::vector<std::uint8_t> sent_any;        ///< delta compression: a full message went out on this connection

  // Per client.
  std::vector<SendQueue> queues;
  std::vector<std::uint8_t> link;            ///< its link class
  std::vector<sim::SimTime> connected_at;    ///< when its current connection was established
  std::vector<sim::SimTime> lost_at;         ///< when it last lost a connection (-1: in a new session)
  std::vector<std::uint8_t> in_session;      ///< it has started a session (its position counts)
  std::vector<std::uint8_t> fetching;        ///< a history fetch is in progress
  std::vector<double> ns_per_byte;           ///< per link class: write time per byte (0 = at once)

  // Per server.
  std::vector<std::uint64_t> buffered;       ///< bytes queued in its connections' buffers (whole messages)
  std::vector<std::uint64_t> iv_delivered, iv_dropped;
  double peak_buffered_mib = 0.0;

  std::vector<Publication> pubs;
  std::vector<std::uint32_t> free_pubs;
  std::vector<std::uint32_t> victims;        ///< connections to close after a fan-out (slow consumers)

  sim::Rng rng_feed, rng_publish;
  PubSubOutcome out;
  std::uint64_t in_broker = 0;               ///< accepted, not yet at the servers (nor lost)
  std::uint64_t fanouts_pending = 0;
  std::uint64_t iv_fleet_delivered = 0, iv_fleet_dropped = 0, iv_published = 0;
  sim::LogHistogram latency_ms, interval_latency_ms;
};

}  // namespace wsfleet::models
