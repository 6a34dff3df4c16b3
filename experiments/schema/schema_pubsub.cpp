// [pubsub] and its sub-tables (docs/pubsub.md).
#include "experiments/schema/limits.hpp"
#include "experiments/schema/schema.hpp"
#include "models/pubsub/buffer_presets.hpp"
#include "models/pubsub/pubsub_config.hpp"

namespace wsfleet::experiments::schema {

namespace {

Section pubsub() {
  using P = models::PubSubSection;
  return {"pubsub", false, "Channels with Zipf popularity, subscriptions, publishers and fan-out (docs/pubsub.md).",
          {by_hand(integer("channels", &P::channels, 0, 10000000, "number of channels (>= 1 with [pubsub]; servers x channels <= 5e7)")),
           unitless(number("zipf_s", &P::zipf_s, between(0.0, 10.0), "popularity exponent: channel r (1-based rank) has weight 1 / r^s")),
           by_hand(integer("subscriptions", &P::subscriptions, 1, 64, "distinct channels each client subscribes to (<= pubsub.channels)")),
           number("message_bytes", &P::message_bytes, above_upto(0.0, 1e8), "a publication on the wire"),
           number("fanout_us", &P::fanout_us, between(0.0, kMaxCpuCostUs),
                  "server CPU per publication received; plus fleet.cpu.outbound_message_us per subscriber"),
           number("join_us", &P::join_us, between(0.0, kMaxCpuCostUs),
                  "server CPU per channel join message (a library that joins each channel on every connection and "
                  "rejoins a failed join: backoff.policy = \"phoenix\")"),
           number("client_publish_share", &P::client_publish_share, between(0.0, 1.0),
                  "of client messages, those published to one of the client's channels (chat)"),
           table("feed", "server-side publishers on the most popular channels"),
           table_array("links", "classes of client network links; left out: every client reads at once"),
           table("buffer", "the per-connection send buffer"),
           table("broker", "the broker between servers"),
           table("resume", "connection-state recovery within a window"),
           table("history", "history the application fetches from when resume is not possible")},
          false, ""};
}

Section feed() {
  using F = models::FeedSection;
  return {"pubsub.feed", false, "Server-side publishers on the most popular channels.",
          {by_hand(integer("channels", &F::channels, 0, 10000000, "the N most popular channels have a feed (<= pubsub.channels); 0 = none")),
           number("rate_per_s", &F::rate_per_s, between(kMinFeedPerS, 1e6), "publications per second on each fed channel"),
           choice("process", &F::process, {"poisson", "periodic"}, "exponential gaps, or a ticker every 1/rate from a random phase")},
          false, ""};
}

Section links() {
  using L = models::LinkClass;
  Key name = by_hand(text("name", &L::name, "e.g. \"broadband\", \"mobile\""));
  Key drain = required(by_hand(number("drain_kib_per_s", &L::drain_kib_per_s, zero_or_between(kMinDrainKibPerS, 1e9),
                                      "how fast such a client reads; 0 = at once (or give drain_messages_per_s)")));
  drain.required = false;
  Key messages = manual("drain_messages_per_s", KeyType::Float, "the same in messages of pubsub.message_bytes per second (or drain_kib_per_s)");
  messages.range = between(0.0, 1e9);
  return {"pubsub.links", true, "A class of client network links, which drain their send buffer at their own rate; the shares add up to 1.",
          {name, required(by_hand(number("share", &L::share, between(0.0, 1.0), "fraction of the clients"))), drain, messages},
          false, ""};
}

Section buffer() {
  using B = models::BufferSection;
  Key preset = manual("preset", KeyType::Choice, "a library's send-buffer semantics (wsfleet list); the keys given override it");
  for (const auto& p : models::buffer_presets()) preset.choices.push_back(p.name);
  preset.default_note = "none";
  return {"pubsub.buffer", false, "The per-connection send buffer and what a server does when a client reads too slowly.",
          {preset,
           choice("policy", &B::policy, models::buffer_policy_names(), "what happens to a message for a backed-up connection"),
           number("limit_kib", &B::limit_kib, above_upto(0.0, 1e9), "the limit the policy applies"),
           flag("close_on_limit", &B::close_on_limit, "policy = \"uws\": close instead of only dropping (closeOnBackpressureLimit)"),
           number("delta_ratio", &B::delta_ratio, above_upto(0.0, 1.0),
                  "delta compression: a message after the first on a channel is this fraction of its size; 1 = off")},
          false, ""};
}

Section broker() {
  using B = models::BrokerSection;
  return {"pubsub.broker", false, "The broker between servers (the Redis-adapter pattern).",
          {choice("mode", &B::mode, {"sharded", "broadcast"},
                  "only servers with a subscriber receive a publication, or every server does"),
           number("capacity_per_s", &B::capacity_per_s, between(kMinBrokerPerS, kMaxRatePerS),
                  "deliveries (publication x receiving server) the broker forwards per second"),
           number("latency_ms", &B::latency_ms, between(0.0, 1e6), "one-way latency publisher -> broker -> server")},
          false, ""};
}

Section resume() {
  using R = models::ResumeSection;
  return {"pubsub.resume", false, "Connection-state recovery within a window (Socket.IO, Ably, Centrifugo).",
          {number("window_s", &R::window_s, between(0.0, kMaxDurationS),
                  "a client reconnecting within this after losing its connection resumes; 0 = no resume"),
           integer("cache_messages", &R::cache_messages, 0, 1000000000, "per channel, messages kept for resume; 0 = all within the window")},
          false, ""};
}

Section history() {
  using H = models::HistorySection;
  return {"pubsub.history", false, "Persistent history the application fetches from when resume is not possible (size or ttl_s > 0).",
          {integer("size", &H::size, 0, 1000000000, "messages kept per channel; 0 = no limit by count"),
           number("ttl_s", &H::ttl_s, between(0.0, kMaxDurationS), "how long a message is kept; 0 = no limit by age"),
           number("fetch_ms", &H::fetch_ms, between(0.0, 1e7), "the fetch's round trip"),
           choice("fetch", &H::fetch, {"position", "rewind"},
                  "from the client's last sequence number, or the last `rewind` messages of the channel"),
           integer("rewind", &H::rewind, 1, 1000000000, "fetch = \"rewind\": messages fetched per channel")},
          false, ""};
}

}  // namespace

std::vector<Section> pubsub_sections() { return {pubsub(), feed(), links(), buffer(), broker(), resume(), history()}; }

}  // namespace wsfleet::experiments::schema
