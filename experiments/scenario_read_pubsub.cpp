// The scenario reader's [pubsub] and [transport]: keys from the schema, and the checks that tie them
// together (shares that add up, limits that depend on other keys).
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "experiments/scenario_reader.hpp"
#include "experiments/schema/limits.hpp"
#include "models/pubsub/buffer_presets.hpp"

namespace wsfleet::experiments {

using schema::section;

// [pubsub] and its sub-tables.
void ScenarioReader::read_pubsub(models::FleetConfig& config) const {
  const toml::table* table = table_at(root(), "pubsub", "pubsub");
  if (table == nullptr) return;
  const std::string p = "pubsub.";
  const schema::Section& sec = section("pubsub");
  check_keys(*table, sec, "[pubsub]", p);
  models::PubSubSection& ps = config.pubsub;
  schema::Scalar value;
  if (read_value(*table, sec.key("channels"), p, value)) ps.channels = static_cast<std::uint32_t>(std::get<std::int64_t>(value));
  if (ps.channels == 0) {
    fail(*table, p + "channels", "[pubsub] needs pubsub.channels >= 1 (the number of channels); without it, leave [pubsub] out");
  }
  read(*table, sec, "zipf_s", p, ps);
  const std::int64_t most = std::min<std::int64_t>(sec.key("subscriptions").int_max, ps.channels);
  if (read_value(*table, sec.key("subscriptions"), p, value, nullptr, most, ps.channels < 64 ? "pubsub.channels" : "")) {
    ps.subscriptions = static_cast<std::uint32_t>(std::get<std::int64_t>(value));
  }
  for (const char* key : {"message_bytes", "fanout_us", "client_publish_share"}) read(*table, sec, key, p, ps);
  if (const toml::table* feed = table_at(*table, "feed", "pubsub.feed")) {
    const schema::Section& fs = section("pubsub.feed");
    read_all(*feed, fs, "[pubsub.feed]", "pubsub.feed.", ps.feed);
    if (read_value(*feed, fs.key("channels"), "pubsub.feed.", value, nullptr, ps.channels, "pubsub.channels")) {
      ps.feed.channels = static_cast<std::uint32_t>(std::get<std::int64_t>(value));
    }
  }
  read_links(*table, ps);
  if (const toml::table* buffer = table_at(*table, "buffer", "pubsub.buffer")) read_buffer(*buffer, ps.buffer);
  if (const toml::table* broker = table_at(*table, "broker", "pubsub.broker")) {
    read_all(*broker, section("pubsub.broker"), "[pubsub.broker]", "pubsub.broker.", ps.broker);
  }
  if (const toml::table* resume = table_at(*table, "resume", "pubsub.resume")) {
    read_all(*resume, section("pubsub.resume"), "[pubsub.resume]", "pubsub.resume.", ps.resume);
  }
  if (const toml::table* history = table_at(*table, "history", "pubsub.history")) {
    read_all(*history, section("pubsub.history"), "[pubsub.history]", "pubsub.history.", ps.history);
    if (!ps.history.enabled()) {
      fail(*history, "pubsub.history.size",
           "[pubsub.history] keeps nothing: give pubsub.history.size (messages per channel) or ttl_s (s), or leave it out");
    }
  }
  const double cells = static_cast<double>(config.total_servers()) * ps.channels;
  if (cells > 5e7) {
    fail(*table->get("channels"), "pubsub.channels",
         "servers x pubsub.channels must be <= 50,000,000 (got " + human_number(cells) + "): one subscriber list per pair");
  }
}

// [[pubsub.links]]: each class gives its drain rate in KiB/s or in messages per second.
void ScenarioReader::read_links(const toml::table& table, models::PubSubSection& ps) const {
  const schema::Section& sec = section("pubsub.links");
  const auto links = table_array(table, "links", sec, "{name = \"mobile\", share = 0.2, drain_kib_per_s = 50}");
  double total_share = 0.0;
  for (std::size_t i = 0; i < links.size(); ++i) {
    const std::string q = "pubsub.links." + std::to_string(i) + ".";
    models::LinkClass link;
    read(*links[i], sec, "name", q, link);
    if (!read(*links[i], sec, "share", q, link)) {
      fail(*links[i], q + "share", q + "share is required: the fraction of the clients on such links");
    }
    const bool by_bytes = read(*links[i], sec, "drain_kib_per_s", q, link);
    schema::Scalar messages;
    const bool by_messages = read_value(*links[i], sec.key("drain_messages_per_s"), q, messages);
    if (by_bytes && by_messages) {
      fail(*links[i]->get("drain_messages_per_s"), q + "drain_messages_per_s",
           q + "drain_kib_per_s and " + q + "drain_messages_per_s are two ways to say the same thing: give one");
    }
    if (!by_bytes && !by_messages) {
      fail(*links[i], q + "drain_kib_per_s",
           q + "drain_kib_per_s (or drain_messages_per_s) is required: how fast such a client reads; 0 = at once");
    }
    if (by_messages) {
      link.drain_kib_per_s = std::get<double>(messages) * ps.message_bytes / 1024.0;
      const schema::Range& range = sec.key("drain_kib_per_s").range;
      if (!range.contains(link.drain_kib_per_s)) {
        fail(*links[i]->get("drain_messages_per_s"), q + "drain_messages_per_s",
             q + "drain_messages_per_s x pubsub.message_bytes / 1024 must be " + range.describe() + " KiB/s (got " +
                 human_number(link.drain_kib_per_s) + ")");
      }
    }
    total_share += link.share;
    ps.links.push_back(link);
  }
  if (!links.empty() && std::abs(total_share - 1.0) > 1e-9) {
    fail(*table.get("links"), "pubsub.links", "the shares of [[pubsub.links]] must add up to 1 (got " + human_number(total_share) + ")");
  }
}

// [pubsub.buffer]: a library's semantics (preset), overridden by the keys given.
void ScenarioReader::read_buffer(const toml::table& buffer, models::BufferSection& b) const {
  const std::string q = "pubsub.buffer.";
  const schema::Section& sec = section("pubsub.buffer");
  check_keys(buffer, sec, "[pubsub.buffer]", q);
  schema::Scalar preset;
  if (read_value(buffer, sec.key("preset"), q, preset)) b = models::find_buffer_preset(std::get<std::string>(preset))->section;
  read_all(buffer, sec, "[pubsub.buffer]", q, b);
  if (b.close_on_limit && b.policy != models::BufferPolicy::Uws) {
    const toml::node* at = buffer.get("close_on_limit") != nullptr ? buffer.get("close_on_limit") : buffer.get("policy");
    fail(at != nullptr ? at->source() : buffer.source(), q + "close_on_limit",
         q + "close_on_limit is uWebSockets' closeOnBackpressureLimit: it needs policy = \"uws\" (for closing at the limit otherwise, use policy = \"close\")");
  }
}

// [transport]: the clients on fallback transports and what their HTTP requests cost (docs/transports.md).
void ScenarioReader::read_transport(models::TransportSection& t) const {
  const toml::table* table = table_at(root(), "transport", "transport");
  if (table == nullptr) return;
  read_all(*table, section("transport"), "[transport]", "transport.", t);
  if (t.long_polling_share + t.sse_share > 1.0) {
    const toml::node* at = table->get("sse_share") != nullptr ? table->get("sse_share") : table->get("long_polling_share");
    fail(*at, table->get("sse_share") != nullptr ? "transport.sse_share" : "transport.long_polling_share",
         "transport.long_polling_share + transport.sse_share must be <= 1 (got " + human_number(t.long_polling_share) +
             " + " + human_number(t.sse_share) + "): they are shares of the same clients");
  }
  if (const toml::table* lp = table_at(*table, "long_polling", "transport.long_polling")) {
    read_all(*lp, section("transport.long_polling"), "[transport.long_polling]", "transport.long_polling.", t.long_polling);
  }
  if (const toml::table* sse = table_at(*table, "sse", "transport.sse")) {
    read_all(*sse, section("transport.sse"), "[transport.sse]", "transport.sse.", t.sse);
  }
}

}  // namespace wsfleet::experiments
