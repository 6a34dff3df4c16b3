#pragma once
// [pubsub]: channels, subscriptions, publishers, per-connection send buffers (backpressure), the
// broker between servers, and resume with continuity. Plain data, filled by the scenario loader.
#include <cstdint>
#include <string>
#include <vector>

namespace wsfleet::models {

/// How a channel's server-side feed spaces its publications.
enum class FeedProcess {
  Poisson,   ///< exponential gaps (independent events: chat, trades)
  Periodic,  ///< a ticker every 1/rate seconds from a random phase (live scores, prices)
};

/// [pubsub.feed]: server-side publishers on the most popular channels.
struct FeedSection {
  std::uint32_t channels = 0;      ///< the N most popular channels have a feed; 0 = none
  double rate_per_s = 1.0;         ///< publications per second on each fed channel
  FeedProcess process = FeedProcess::Poisson;
  /// Member-wise equality (exact for doubles).
  bool operator==(const FeedSection&) const = default;
};

/// [[pubsub.links]]: a class of client network links, which drain their send buffer at their own rate.
struct LinkClass {
  std::string name;                ///< e.g. "broadband", "mobile"
  double share = 1.0;              ///< fraction of the clients (the shares add up to 1)
  double drain_kib_per_s = 0.0;    ///< how fast the client reads, KiB/s; 0 = at once (never a backlog)
  /// Member-wise equality (exact for doubles).
  bool operator==(const LinkClass&) const = default;
};

/// What a server does with a message for a connection whose send buffer is backed up.
enum class BufferPolicy {
  Unbounded,   ///< keep buffering without limit (Node `ws`, Socket.IO's default): memory grows
  DropNewest,  ///< drop a message that would take the buffer over the limit
  DropOldest,  ///< keep the new message, drop the oldest unsent ones until under the limit
  Close,       ///< queue it, then close the connection if the buffer is over the limit (Centrifugo, code 3008 "slow")
  Uws,         ///< uWebSockets send(): drop when the buffer ALREADY exceeds maxBackpressure; optionally close
  Volatile,    ///< Socket.IO volatile emit: drop while anything is still being written
  Conflate,    ///< keep only the latest unsent message per channel (latest-value semantics)
};

/// [pubsub.buffer]: the per-connection send buffer.
struct BufferSection {
  BufferPolicy policy = BufferPolicy::Unbounded;
  double limit_kib = 1024.0;       ///< the limit the policy applies (Centrifugo client_queue_max_size 1 MiB; uWS maxBackpressure 64 KiB)
  bool close_on_limit = false;     ///< uws: closeOnBackpressureLimit (close instead of only dropping)
  double delta_ratio = 1.0;        ///< delta compression: a message after the first on a channel is this fraction of its size; 1 = off
  /// Member-wise equality (exact for doubles).
  bool operator==(const BufferSection&) const = default;
};

/// How publications reach the servers.
enum class BrokerMode {
  Sharded,    ///< only servers with a subscriber of the channel receive it (per-channel broker subscriptions)
  Broadcast,  ///< every server receives every publication (the classic Socket.IO Redis adapter)
};

/// [pubsub.broker]: the broker between servers (the Redis-adapter pattern).
struct BrokerSection {
  BrokerMode mode = BrokerMode::Sharded;
  double capacity_per_s = 200000.0;  ///< deliveries (publication x receiving server) the broker forwards per second
  double latency_ms = 1.0;           ///< one-way latency publisher -> broker -> server, ms
  /// Member-wise equality (exact for doubles).
  bool operator==(const BrokerSection&) const = default;
};

/// [pubsub.resume]: connection-state recovery within a window (Socket.IO, Ably, Centrifugo).
struct ResumeSection {
  double window_s = 0.0;           ///< a client reconnecting within this after losing its connection resumes; 0 = no resume
  std::uint32_t cache_messages = 0;  ///< per channel, messages kept for resume; 0 = all within the window
  /// Member-wise equality (exact for doubles).
  bool operator==(const ResumeSection&) const = default;
};

/// How the application fetches missed messages from history.
enum class HistoryFetch {
  Position,  ///< from the client's last sequence number (exact)
  Rewind,    ///< the last `rewind` messages of the channel, whatever the client had (Ably rewind, "last N on join")
};

/// [pubsub.history]: persistent history the application fetches from when resume is not possible.
struct HistorySection {
  std::uint32_t size = 0;          ///< messages kept per channel; 0 = no limit by count
  double ttl_s = 0.0;              ///< how long a message is kept, s; 0 = no limit by age (size and ttl both 0: no history)
  double fetch_ms = 200.0;         ///< the fetch's round trip, ms (live messages keep arriving meanwhile)
  HistoryFetch fetch = HistoryFetch::Position;
  std::uint32_t rewind = 10;       ///< Rewind: messages fetched per channel
  bool enabled() const { return size > 0 || ttl_s > 0.0; }
  /// Member-wise equality (exact for doubles).
  bool operator==(const HistorySection&) const = default;
};

/// [pubsub]: channels with Zipf popularity, subscriptions per client, publishers and fan-out.
struct PubSubSection {
  std::uint32_t channels = 0;       ///< number of channels; 0 = no pub/sub
  double zipf_s = 1.0;              ///< popularity exponent: channel r (1-based rank) has weight 1 / r^s
  std::uint32_t subscriptions = 1;  ///< distinct channels each client subscribes to (<= channels)
  double message_bytes = 512.0;     ///< a publication on the wire, bytes
  double fanout_us = 10.0;          ///< server CPU per publication received (decode, look up subscribers), us; plus fleet.cpu.outbound_message_us per subscriber
  double join_us = 50.0;            ///< server CPU per channel join message, us (client libraries that join each channel on every connection: the phoenix preset)
  double client_publish_share = 0.0;  ///< of client messages, those published to one of the client's channels (chat)
  FeedSection feed;
  std::vector<LinkClass> links;     ///< empty = every client reads at once
  BufferSection buffer;
  BrokerSection broker;
  ResumeSection resume;
  HistorySection history;
  bool enabled() const { return channels > 0; }
  /// Member-wise equality (exact for doubles).
  bool operator==(const PubSubSection&) const = default;
};

}  // namespace wsfleet::models
