#include "experiments/scenario_loader.hpp"

#include <utility>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>

#include <toml++/toml.h>

#include "experiments/distribution_keys.hpp"
#include "experiments/scenario_overrides.hpp"
#include "experiments/toml_depth.hpp"
#include "experiments/toml_text.hpp"
#include "models/backoff_policy.hpp"
#include "models/balancer/balancer_defaults.hpp"
#include "models/balancing_policy.hpp"
#include "models/heartbeat_presets.hpp"
#include "models/pubsub/buffer_presets.hpp"
#include "models/server_classes.hpp"
#include "models/topology.hpp"

namespace wsfleet::experiments {

namespace {

using Names = std::vector<std::string>;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::int64_t kIntMax = std::numeric_limits<std::int64_t>::max();

// The schema. Keys are listed in documentation order; "Allowed: ..." messages show them so.
const Names& section_names() {
  static const Names names = {"scenario", "run", "fleet", "clients", "balancer", "backoff", "heartbeat", "faults", "scaling", "topology", "pubsub", "transport", "sweep", "plan"};
  return names;
}
// Tables that describe a study of the scenario rather than one run: [sweep] (`wsfleet sweep`) and
// [plan] (`wsfleet plan`). The Python package reads and validates their contents; a run skips them.
const Names& study_sections() {
  static const Names names = {"sweep", "plan"};
  return names;
}
const Names& scenario_keys() {
  static const Names keys = {"name", "description"};
  return keys;
}
const Names& run_keys() {
  static const Names keys = {"duration_s", "sample_interval_s", "seed", "replication"};
  return keys;
}
const Names& fleet_keys() {
  static const Names keys = {"servers", "max_connections", "cpu_cores", "memory_per_connection_kib",
                             "base_memory_mib", "weights", "cost_per_hour", "classes", "idle_close_s", "cpu", "admission", "rebalance",
                             "memory_limit_mib", "restart_s"};
  return keys;
}
const Names& class_keys() {
  static const Names keys = {"name", "servers", "max_connections", "cpu_cores", "base_memory_mib",
                             "memory_per_connection_kib", "weight", "cost_per_hour", "memory_limit_mib"};
  return keys;
}
const Names& cpu_keys() {
  static const Names keys = {"handshake_us", "inbound_message_us", "outbound_message_us", "heartbeat_us",
                             "service_time"};
  return keys;
}
const Names& clients_keys() {
  static const Names keys = {"count", "ramp_s", "session", "on_session_end", "messages_per_minute",
                             "replies_per_message", "message_bytes", "heartbeat_interval_s", "connect_timeout_s",
                             "vanish_share"};
  return keys;
}
const Names& fault_keys() {
  static const Names keys = {"type", "server", "balancer", "site", "share", "at_s", "recover_after_s"};
  return keys;
}
const Names& transport_keys() {
  static const Names keys = {"long_polling_share", "sse_share", "long_polling", "sse"};
  return keys;
}
const Names& long_polling_keys() {
  static const Names keys = {"poll_timeout_s", "request_us", "memory_per_request_kib", "request_bytes", "pong_posts"};
  return keys;
}
const Names& sse_keys() {
  static const Names keys = {"request_us", "request_bytes"};
  return keys;
}
// [balancer] keys that belong to the balancer itself; every other key is a parameter of its policy.
const Names& balancer_keys() {
  static const Names keys = {"policy",        "count",        "tries",       "max_connections_per_backend",
                             "max_new_connections_per_s",   "source_ports", "source_addresses",
                             "metrics_interval_s",          "sticky",       "failover_s",   "idle_timeout_s",
                             "health_check",  "passive",      "slow_start"};
  return keys;
}
const Names& admission_keys() {
  static const Names keys = {"max_handshakes_per_s", "reject_above_backlog_ms", "reject_us", "retry_after_s"};
  return keys;
}
const Names& rebalance_keys() {
  static const Names keys = {"interval_s", "tolerance", "max_per_interval"};
  return keys;
}
const Names& heartbeat_keys() {
  static const Names keys = {"preset", "sender", "mode", "timeout_s", "peer_timeout_s", "frame_bytes"};
  return keys;
}
const Names& health_check_keys() {
  static const Names keys = {"mode", "interval_s", "timeout_s", "fall", "rise"};
  return keys;
}
const Names& passive_keys() {
  static const Names keys = {"max_fails", "fail_timeout_s"};
  return keys;
}
const Names& slow_start_keys() {
  static const Names keys = {"window_s", "curve", "aggression", "min_weight_percent"};
  return keys;
}
const Names& topology_keys() {
  static const Names keys = {"links", "sites", "regions"};
  return keys;
}
const Names& link_keys() {
  static const Names keys = {"between", "latency_ms"};
  return keys;
}
const Names& site_keys() {
  static const Names keys = {"name", "servers", "share"};
  return keys;
}
const Names& region_keys() {
  static const Names keys = {"name", "share"};
  return keys;
}
const Names& pubsub_keys() {
  static const Names keys = {"channels", "zipf_s", "subscriptions", "message_bytes", "fanout_us", "client_publish_share",
                             "feed", "links", "buffer", "broker", "resume", "history"};
  return keys;
}
const Names& feed_keys() {
  static const Names keys = {"channels", "rate_per_s", "process"};
  return keys;
}
const Names& link_class_keys() {
  static const Names keys = {"name", "share", "drain_kib_per_s", "drain_messages_per_s"};
  return keys;
}
const Names& buffer_keys() {
  static const Names keys = {"preset", "policy", "limit_kib", "close_on_limit", "delta_ratio"};
  return keys;
}
const Names& broker_keys() {
  static const Names keys = {"mode", "capacity_per_s", "latency_ms"};
  return keys;
}
const Names& resume_keys() {
  static const Names keys = {"window_s", "cache_messages"};
  return keys;
}
const Names& history_keys() {
  static const Names keys = {"size", "ttl_s", "fetch_ms", "fetch", "rewind"};
  return keys;
}
const Names& scaling_keys() {
  static const Names keys = {"at_s", "add", "remove", "drain_timeout_s", "weight", "class"};
  return keys;
}

// Limits that are not in FleetConfig's comments: sizes beyond them are typing mistakes (1e7 s is
// 116 days of simulated time; a million samples per series is already 8 MB per column).
constexpr double kMaxDurationS = 1e7;
constexpr double kMaxSamples = 1e6;
constexpr double kMaxCpuCostUs = 1e7;

bool contains(const Names& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// An allowed interval of a float key. A bound may be named after the key it comes from
// ("run.duration_s"), so the message explains where the number came from.
struct Range {
  double min = -kInf;
  double max = kInf;
  bool min_open = false;
  bool max_open = false;
  std::string min_label;
  std::string max_label;

  bool contains(double v) const {
    const bool above_min = min_open ? v > min : v >= min;
    const bool below_max = max_open ? v < max : v <= max;
    return above_min && below_max;
  }
  std::string describe() const {
    const std::string lo = min_label.empty() ? human_number(min) : min_label + " = " + human_number(min);
    const std::string hi = max_label.empty() ? human_number(max) : max_label + " = " + human_number(max);
    const bool has_min = std::isfinite(min);
    const bool has_max = std::isfinite(max);
    if (has_min && has_max && !min_open && !max_open) return "between " + lo + " and " + hi;
    std::string out;
    if (has_min) out += (min_open ? "> " : ">= ") + lo;
    if (has_min && has_max) out += " and ";
    if (has_max) out += (max_open ? "< " : "<= ") + hi;
    return out;
  }
};

Range at_least(double min) { return Range{min, kInf, false, false, "", ""}; }
Range above(double min) { return Range{min, kInf, true, false, "", ""}; }
Range between(double min, double max) { return Range{min, max, false, false, "", ""}; }
Range above_upto(double min, double max) { return Range{min, max, true, false, "", ""}; }

// The region that stands for "nowhere": errors at it read "FILE: message".
const toml::source_region& no_region() {
  static const toml::source_region none{};
  return none;
}

// Walks a parsed scenario (file plus overrides) and builds the FleetConfig, failing at the first
// problem with the position of the offending key or value.
class ScenarioReader {
 public:
  ScenarioReader(const toml::table& root, std::string source) : root_(root), source_(std::move(source)) {}

  models::FleetConfig read() {
    models::FleetConfig config;
    check_sections();
    read_scenario(config);
    read_run(config.run);
    read_fleet(config.fleet);
    read_clients(config.clients);
    read_policy(balancing_kind(), config.balancer.policy, config.balancer.params);
    read_balancer(config.balancer);
    read_policy(backoff_kind(), config.backoff.policy, config.backoff.params);
    read_heartbeat(config);
    read_scaling(config);
    read_topology(config);
    read_pubsub(config);
    read_transport(config.transport);
    read_faults(config);
    check_size(config);
    return config;
  }

 private:
  // --- Errors and positions -------------------------------------------------------------------

  // True for a region inside an override rather than the file.
  bool from_override(const toml::source_region& region) const { return region.path && *region.path != source_; }

  // A node added by an override has the override ("--set k=v") as its source path: report it
  // there, without a position; everything else is in the file.
  [[noreturn]] void fail(const toml::source_region& where, const std::string& key, const std::string& message) const {
    if (from_override(where)) throw ScenarioError(*where.path, 0, 0, key, message);
    throw ScenarioError(source_, where.begin.line, where.begin.column, key, message);
  }
  [[noreturn]] void fail(const toml::node& at, const std::string& key, const std::string& message) const {
    fail(at.source(), key, message);
  }

  // A key's own position when the file gave its value, else its value's (a key added by an
  // override has no position of its own, and one whose value an override replaced is the override's).
  const toml::source_region& key_region(const toml::key& key, const toml::node& value) const {
    return key.source().begin.line > 0 && !from_override(value.source()) ? key.source() : value.source();
  }

  static std::string got(const toml::node& node) { return "(got " + std::string(toml_type_name(node.type())) + ")"; }

  // --- Tables and keys ---------------------------------------------------------------------------

  // The sub-table at `key`, nullptr when absent; anything else there is an error.
  const toml::table* table_at(const toml::table& parent, std::string_view key, const std::string& dotted) const {
    const toml::node* node = parent.get(key);
    if (node == nullptr) return nullptr;
    if (const toml::table* table = node->as_table()) return table;
    fail(*node, dotted, dotted + " must be a table, written [" + dotted + "] " + got(*node));
  }

  // Every key of `table` must be in `allowed`; `where` names the table in messages ("[clients]").
  void check_keys(const toml::table& table, const std::string& where, const std::string& prefix,
                  const Names& allowed) const {
    for (auto&& [key, value] : table) {
      if (!contains(allowed, key.str())) fail_unknown_key(key, value, where, prefix, allowed);
    }
  }

  [[noreturn]] void fail_unknown_key(const toml::key& key, const toml::node& value, const std::string& where,
                                     const std::string& prefix, const Names& allowed) const {
    const std::string name(key.str());
    std::string message = "unknown key '" + name + "' in " + where;
    const std::string suggestion = models::closest_match(name, allowed);
    message += suggestion.empty() ? "." : "; did you mean '" + suggestion + "'?";
    message += " Allowed: " + join(allowed, ", ");
    fail(key_region(key, value), prefix + name, message);
  }

  // Top level: only the known sections. A lone key that belongs in a section says which.
  void check_sections() const {
    const Names& sections = section_names();
    const std::vector<std::pair<std::string, const Names*>> homes = {
        {"scenario", &scenario_keys()}, {"run", &run_keys()},         {"fleet", &fleet_keys()},
        {"fleet.cpu", &cpu_keys()},     {"clients", &clients_keys()}, {"faults", &fault_keys()},
        {"scaling", &scaling_keys()},   {"transport", &transport_keys()}};
    Names bracketed;
    for (const std::string& s : sections) {
      bracketed.push_back(s == "faults" || s == "scaling" ? "[[" + s + "]]" : "[" + s + "]");
    }
    const std::string allowed = " Allowed sections: " + join(bracketed, ", ");
    for (auto&& [key, value] : root_) {
      const std::string name(key.str());
      if (contains(study_sections(), name) && !value.is_table()) {
        fail(key_region(key, value), name, name + " must be a table, written [" + name + "] " + got(value));
      }
      if (contains(sections, name)) continue;
      const std::string suggestion = models::closest_match(name, sections);
      const std::string did_you_mean = suggestion.empty() ? "." : "; did you mean [" + suggestion + "]?";
      if (value.is_table() || value.is_array_of_tables()) {
        fail(key_region(key, value), name, "unknown section [" + name + "]" + did_you_mean + allowed);
      }
      for (const auto& [home, keys] : homes) {
        if (contains(*keys, name)) {
          fail(key_region(key, value), name,
               "key '" + name + "' is outside any section: it belongs in [" + home + "]");
        }
      }
      fail(key_region(key, value), name, "unknown top-level key '" + name + "'" + did_you_mean + allowed);
    }
  }

  // --- Typed values ------------------------------------------------------------------------------

  // A number (TOML float or integer) in `range`; false when absent.
  bool read_float(const toml::table& table, const std::string& prefix, std::string_view key, const Range& range,
                  double& out) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return false;
    const std::string dotted = prefix + std::string(key);
    const double value = number_of(*node, dotted);
    if (!std::isfinite(value)) fail(*node, dotted, dotted + " must be a finite number (got " + human_number(value) + ")");
    if (!range.contains(value)) {
      fail(*node, dotted, dotted + " must be " + range.describe() + " (got " + human_number(value) + ")");
    }
    out = value;
    return true;
  }

  // The value of a TOML float or integer (not a boolean).
  double number_of(const toml::node& node, const std::string& dotted) const {
    if (const auto* f = node.as_floating_point()) return f->get();
    if (const auto* i = node.as_integer()) return static_cast<double>(i->get());
    fail(node, dotted, dotted + " must be a number " + got(node));
  }

  // A TOML integer in [min, max]; false when absent. `max_label` names where max comes from.
  template <typename T>
  bool read_int(const toml::table& table, const std::string& prefix, std::string_view key, std::int64_t min,
                std::int64_t max, T& out, const std::string& max_label = "") const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return false;
    const std::string dotted = prefix + std::string(key);
    const auto* integer = node->as_integer();
    if (integer == nullptr) fail(*node, dotted, dotted + " must be an integer " + got(*node));
    const std::int64_t value = integer->get();
    if (value < min || value > max) {
      const std::string hi = max_label.empty() ? std::to_string(max) : max_label + " = " + std::to_string(max);
      const std::string range =
          max == kIntMax ? ">= " + std::to_string(min) : "between " + std::to_string(min) + " and " + hi;
      fail(*node, dotted, dotted + " must be " + range + " (got " + std::to_string(value) + ")");
    }
    out = static_cast<T>(value);
    return true;
  }

  // A TOML string; false when absent.
  bool read_string(const toml::table& table, const std::string& prefix, std::string_view key, std::string& out) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return false;
    const std::string dotted = prefix + std::string(key);
    const auto* text = node->as_string();
    if (text == nullptr) fail(*node, dotted, dotted + " must be a string " + got(*node));
    out = text->get();
    return true;
  }

  // A TOML boolean; false when absent.
  bool read_bool(const toml::table& table, const std::string& prefix, std::string_view key, bool& out) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return false;
    const std::string dotted = prefix + std::string(key);
    const auto* value = node->as_boolean();
    if (value == nullptr) fail(*node, dotted, dotted + " must be true or false " + got(*node));
    out = value->get();
    return true;
  }

  // A string from a fixed list; false when absent.
  bool read_choice(const toml::table& table, const std::string& prefix, std::string_view key, const Names& choices,
                   std::string& out) const {
    std::string value;
    if (!read_string(table, prefix, key, value)) return false;
    if (!contains(choices, value)) {
      const std::string dotted = prefix + std::string(key);
      const std::string suggestion = models::closest_match(value, choices);
      fail(*table.get(key), dotted,
           dotted + " must be one of " + join(choices, ", ") + " (got '" + value + "')" +
               (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?"));
    }
    out = value;
    return true;
  }

  // --- Sections ----------------------------------------------------------------------------------

  void read_scenario(models::FleetConfig& config) const {
    const toml::table* table = table_at(root_, "scenario", "scenario");
    if (table == nullptr) return;
    check_keys(*table, "[scenario]", "scenario.", scenario_keys());
    read_string(*table, "scenario.", "name", config.name);
    read_string(*table, "scenario.", "description", config.description);
  }

  void read_run(models::RunConfig& run) const {
    const toml::table* table = table_at(root_, "run", "run");
    if (table == nullptr) return;
    check_keys(*table, "[run]", "run.", run_keys());
    read_float(*table, "run.", "duration_s", above_upto(0.0, kMaxDurationS), run.duration_s);
    const toml::node* duration = table->get("duration_s");
    const toml::node* interval = table->get("sample_interval_s");
    if (interval == nullptr && duration != nullptr && run.sample_interval_s > run.duration_s) {
      fail(*duration, "run.duration_s",
           "run.duration_s = " + human_number(run.duration_s) + " is shorter than run.sample_interval_s = " +
               human_number(run.sample_interval_s) + " (its default): set run.sample_interval_s as well");
    }
    read_float(*table, "run.", "sample_interval_s", Range{0.0, run.duration_s, true, false, "", "run.duration_s"},
               run.sample_interval_s);
    const double samples = run.duration_s / run.sample_interval_s;
    if (samples > kMaxSamples) {
      const toml::node* at = interval != nullptr ? interval : duration;
      fail(at != nullptr ? at->source() : no_region(), interval != nullptr ? "run.sample_interval_s" : "run.duration_s",
           "run.duration_s / run.sample_interval_s must be <= " + human_number(kMaxSamples) + " samples (got " +
               human_number(std::ceil(samples)) + "): raise run.sample_interval_s");
    }
    read_int(*table, "run.", "seed", 0, kIntMax, run.seed);
    read_int(*table, "run.", "replication", 0, kIntMax, run.replication);
  }

  void read_fleet(models::FleetSection& fleet) const {
    const toml::table* table = table_at(root_, "fleet", "fleet");
    if (table == nullptr) return;
    check_keys(*table, "[fleet]", "fleet.", fleet_keys());
    read_int(*table, "fleet.", "servers", 1, 100000, fleet.servers);
    read_int(*table, "fleet.", "max_connections", 1, 1000000000, fleet.max_connections);
    read_int(*table, "fleet.", "cpu_cores", 1, 1024, fleet.cpu_cores);
    read_float(*table, "fleet.", "memory_per_connection_kib", at_least(0.0), fleet.memory_per_connection_kib);
    read_float(*table, "fleet.", "base_memory_mib", at_least(0.0), fleet.base_memory_mib);
    read_float(*table, "fleet.", "cost_per_hour", between(0.0, 1e12), fleet.cost_per_hour);
    read_float(*table, "fleet.", "memory_limit_mib", between(0.0, 1e9), fleet.memory_limit_mib);
    read_classes(*table, fleet);
    // A limit at or below the idle process would kill the server the moment anything connects.
    for (std::size_t i = 0; i < std::max<std::size_t>(1, fleet.classes.size()); ++i) {
      const bool own = !fleet.classes.empty();
      const double limit = own ? fleet.classes[i].memory_limit_mib : fleet.memory_limit_mib;
      const double base = own ? fleet.classes[i].base_memory_mib : fleet.base_memory_mib;
      if (limit > 0.0 && limit <= base) {
        const std::string key = own ? "fleet.classes." + std::to_string(i) + ".memory_limit_mib" : "fleet.memory_limit_mib";
        const toml::node* at = root_.at_path(key).node();
        fail(at != nullptr ? at->source() : table->source(), key,
             key + " = " + human_number(limit) + " must be above the server's base_memory_mib = " + human_number(base) +
                 " (or 0 for no limit)");
      }
    }
    read_weights(*table, fleet);
    read_float(*table, "fleet.", "idle_close_s", at_least(0.0), fleet.idle_close_s);
    read_float(*table, "fleet.", "restart_s", between(0.0, kMaxDurationS), fleet.restart_s);
    if (const toml::table* adm = table_at(*table, "admission", "fleet.admission")) {
      const std::string q = "fleet.admission.";
      check_keys(*adm, "[fleet.admission]", q, admission_keys());
      read_float(*adm, q, "max_handshakes_per_s", between(0.0, 1e9), fleet.admission.max_handshakes_per_s);
      read_float(*adm, q, "reject_above_backlog_ms", between(0.0, 1e9), fleet.admission.reject_above_backlog_ms);
      read_float(*adm, q, "reject_us", between(0.0, kMaxCpuCostUs), fleet.admission.reject_us);
      read_float(*adm, q, "retry_after_s", between(0.0, kMaxDurationS), fleet.admission.retry_after_s);
    }
    if (const toml::table* rb = table_at(*table, "rebalance", "fleet.rebalance")) {
      const std::string q = "fleet.rebalance.";
      check_keys(*rb, "[fleet.rebalance]", q, rebalance_keys());
      read_float(*rb, q, "interval_s", between(0.0, kMaxDurationS), fleet.rebalance.interval_s);
      read_float(*rb, q, "tolerance", between(0.0, 100.0), fleet.rebalance.tolerance);
      read_int(*rb, q, "max_per_interval", 1, 1000000000, fleet.rebalance.max_per_interval);
    }
    if (const toml::table* cpu = table_at(*table, "cpu", "fleet.cpu")) {
      check_keys(*cpu, "[fleet.cpu]", "fleet.cpu.", cpu_keys());
      const Range cost = between(0.0, kMaxCpuCostUs);
      read_float(*cpu, "fleet.cpu.", "handshake_us", cost, fleet.cpu.handshake_us);
      read_float(*cpu, "fleet.cpu.", "inbound_message_us", cost, fleet.cpu.inbound_message_us);
      read_float(*cpu, "fleet.cpu.", "outbound_message_us", cost, fleet.cpu.outbound_message_us);
      read_float(*cpu, "fleet.cpu.", "heartbeat_us", cost, fleet.cpu.heartbeat_us);
      std::string service;
      if (read_choice(*cpu, "fleet.cpu.", "service_time", {"deterministic", "exponential"}, service)) {
        fleet.cpu.service_time =
            service == "deterministic" ? models::ServiceTime::Deterministic : models::ServiceTime::Exponential;
      }
    }
  }

  // [[fleet.classes]]: each class's keys default to [fleet]'s; fleet.servers becomes their sum (it
  // must not be given as well: the classes' counts vary in sweeps and plans on their own).
  void read_classes(const toml::table& table, models::FleetSection& fleet) const {
    if (table.get("classes") == nullptr) return;
    const auto entries = table_array(table, "classes", "fleet.classes", class_keys(),
                                     "{name = \"large\", servers = 2, max_connections = 40000, cpu_cores = 4}");
    if (entries.empty()) fail(*table.get("classes"), "fleet.classes", "fleet.classes needs at least one entry");
    Names names;
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const toml::table& entry = *entries[i];
      const std::string prefix = "fleet.classes." + std::to_string(i) + ".";
      models::ServerClass c;
      c.name = required_name(entry, prefix, "name", "the class's name, e.g. \"large\"");
      if (contains(names, c.name)) fail(*entry.get("name"), prefix + "name", prefix + "name '" + c.name + "' is used by an earlier class");
      if (c.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != std::string::npos ||
          std::all_of(c.name.begin(), c.name.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
        fail(*entry.get("name"), prefix + "name",
             prefix + "name must be made of letters, digits, '_' and '-' and not be a number (got '" + c.name +
                 "'): it names the class in keys such as fleet.classes.NAME.servers");
      }
      names.push_back(c.name);
      if (!read_int(entry, prefix, "servers", 1, 100000, c.servers)) {
        fail(entry, prefix + "servers", prefix + "servers is required: how many servers of this class (>= 1)");
      }
      c.max_connections = fleet.max_connections;
      c.cpu_cores = fleet.cpu_cores;
      c.base_memory_mib = fleet.base_memory_mib;
      c.memory_per_connection_kib = fleet.memory_per_connection_kib;
      c.cost_per_hour = fleet.cost_per_hour;
      c.memory_limit_mib = fleet.memory_limit_mib;
      read_int(entry, prefix, "max_connections", 1, 1000000000, c.max_connections);
      read_int(entry, prefix, "cpu_cores", 1, 1024, c.cpu_cores);
      read_float(entry, prefix, "base_memory_mib", at_least(0.0), c.base_memory_mib);
      read_float(entry, prefix, "memory_per_connection_kib", at_least(0.0), c.memory_per_connection_kib);
      read_float(entry, prefix, "weight", Range{0.0, 1e6, true, false, "", ""}, c.weight);
      read_float(entry, prefix, "cost_per_hour", between(0.0, 1e12), c.cost_per_hour);
      read_float(entry, prefix, "memory_limit_mib", between(0.0, 1e9), c.memory_limit_mib);
      sum += c.servers;
      fleet.classes.push_back(c);
    }
    const toml::node* servers = table.get("servers");
    if (servers != nullptr) {
      fail(*servers, "fleet.servers",
           "fleet.servers cannot be given with [[fleet.classes]]: the fleet is the sum of the classes' servers (" +
               std::to_string(sum) + " here); remove fleet.servers and set fleet.classes.NAME.servers instead");
    }
    if (const toml::node* weights = table.get("weights")) {
      fail(*weights, "fleet.weights", "fleet.weights cannot be given with [[fleet.classes]]: give each class a weight");
    }
    if (sum > 100000) fail(*table.get("classes"), "fleet.classes", "the [[fleet.classes]] servers must add up to <= 100000 (got " + std::to_string(sum) + ")");
    fleet.servers = static_cast<std::uint32_t>(sum);
  }

  void read_weights(const toml::table& table, models::FleetSection& fleet) const {
    const toml::node* node = table.get("weights");
    if (node == nullptr) return;
    const toml::array* array = node->as_array();
    if (array == nullptr) fail(*node, "fleet.weights", "fleet.weights must be an array of numbers " + got(*node));
    std::vector<double> weights;
    weights.reserve(array->size());
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      const std::string dotted = "fleet.weights." + std::to_string(i);
      const double weight = number_of(element, dotted);
      if (!std::isfinite(weight) || weight <= 0.0) {
        fail(element, dotted, dotted + " must be a finite number > 0 (got " + human_number(weight) + ")");
      }
      weights.push_back(weight);
    }
    if (!weights.empty() && weights.size() != fleet.servers) {
      fail(*node, "fleet.weights",
           "fleet.weights has " + std::to_string(weights.size()) + " entries but fleet.servers is " +
               std::to_string(fleet.servers) + ": give one weight per server (or [] for all 1)");
    }
    fleet.weights = std::move(weights);
  }

  // The per-server time series is held in memory: refuse runs whose series alone would need
  // gigabytes, with the keys that set its size, rather than failing half-way through.
  void check_size(const models::FleetConfig& config) const {
    constexpr double kMaxServerRows = 2e7;  // 16 columns of 8 bytes: about 2.5 GB
    const double samples = std::ceil(config.run.duration_s / config.run.sample_interval_s);
    const double rows = samples * static_cast<double>(config.total_servers());
    if (rows <= kMaxServerRows) return;
    const toml::node* servers = root_.at_path("fleet.servers").node();
    fail(servers != nullptr ? servers->source() : no_region(), "fleet.servers",
         "fleet.servers x (run.duration_s / run.sample_interval_s) must be <= " + human_number(kMaxServerRows) +
             " per-server samples (got " + std::to_string(config.fleet.servers) + " x " + human_number(samples) +
             "): raise run.sample_interval_s");
  }

  void read_clients(models::ClientsSection& clients) const {
    const toml::table* table = table_at(root_, "clients", "clients");
    if (table == nullptr) return;
    check_keys(*table, "[clients]", "clients.", clients_keys());
    read_int(*table, "clients.", "count", 0, 1000000000, clients.count);
    read_float(*table, "clients.", "ramp_s", at_least(0.0), clients.ramp_s);
    read_session(*table, clients);
    std::string end;
    if (read_choice(*table, "clients.", "on_session_end", {"leave", "reconnect"}, end)) {
      clients.on_session_end = end == "leave" ? models::SessionEnd::Leave : models::SessionEnd::Reconnect;
    }
    read_float(*table, "clients.", "messages_per_minute", between(0.0, 1e6), clients.messages_per_minute);
    read_float(*table, "clients.", "replies_per_message", between(0.0, 1e4), clients.replies_per_message);
    read_float(*table, "clients.", "message_bytes", between(0.0, 1e9), clients.message_bytes);
    read_float(*table, "clients.", "heartbeat_interval_s", at_least(0.0), clients.heartbeat_interval_s);
    read_float(*table, "clients.", "connect_timeout_s", above(0.0), clients.connect_timeout_s);
    read_float(*table, "clients.", "vanish_share", between(0.0, 1.0), clients.vanish_share);
  }

  // clients.session: "never", or a table {distribution = "...", <its parameters>}.
  void read_session(const toml::table& clients, models::ClientsSection& out) const {
    const toml::node* node = clients.get("session");
    if (node == nullptr) return;
    const std::string key = "clients.session";
    Names kinds;
    for (const DistributionKeys& entry : distribution_keys()) kinds.push_back(entry.name);
    const std::string example = "{distribution = \"exponential\", mean_s = 600}";
    if (const auto* text = node->as_string()) {
      const std::string& name = text->get();
      if (name == "never") {
        out.session_s = sim::Distribution::never();
        return;
      }
      if (const DistributionKeys* entry = find_distribution_keys(name)) {
        fail(*node, key,
             key + " = \"" + name + "\" needs its parameters: write a table {distribution = \"" + name + "\", " +
                 join(entry->keys, " = ..., ") + " = ...}");
      }
      fail(*node, key, key + " must be \"never\" or a table such as " + example + " (got string '" + name + "')");
    }
    const toml::table* table = node->as_table();
    if (table == nullptr) {
      fail(*node, key, key + " must be a table such as " + example + " or the string \"never\" " + got(*node));
    }
    std::string name;
    if (!read_string(*table, key + ".", "distribution", name)) {
      fail(*table, key + ".distribution", key + " needs a 'distribution': one of " + join(kinds, ", "));
    }
    const DistributionKeys* entry = find_distribution_keys(name);
    if (entry == nullptr) {
      const std::string suggestion = models::closest_match(name, kinds);
      fail(*table->get("distribution"), key + ".distribution",
           key + ".distribution must be one of " + join(kinds, ", ") + " (got '" + name + "')" +
               (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?"));
    }
    Names allowed = {"distribution"};
    allowed.insert(allowed.end(), entry->keys.begin(), entry->keys.end());
    check_keys(*table, key + " (distribution '" + name + "')", key + ".", allowed);
    std::vector<double> params;
    for (const std::string& param : entry->keys) {
      if (table->get(param) == nullptr) {
        fail(*table, key + "." + param,
             key + "." + param + " is required for distribution '" + name + "' (it takes " +
                 join(entry->keys, ", ") + ")");
      }
      Range range = at_least(0.0);  // value_s, stddev_s, low_s
      if (param == "mean_s" || param == "scale_s" || param == "shape") range = above(0.0);
      if (param == "high_s") range = Range{params.at(0), kInf, false, false, key + ".low_s", ""};
      double value = 0.0;
      read_float(*table, key + ".", param, range, value);
      params.push_back(value);
    }
    try {
      out.session_s = sim::Distribution::make(entry->kind, params);
    } catch (const std::invalid_argument& e) {
      fail(*table, key, key + ": " + e.what());
    }
  }

  // How one policy section ([balancer], [backoff]) differs from the other.
  struct PolicyKind {
    std::string section;                                         // "balancer"
    const Names* own_keys;                                       // keys that are not policy parameters
    std::string noun;                                            // "balancing", for messages
    const std::vector<models::PolicyInfo>* registry;             // the known policies
    std::function<void(const std::string&, const models::Params&)> build;  // validates by building
  };

  static PolicyKind balancing_kind() {
    return {"balancer", &balancer_keys(), "balancing", &models::balancing_policies(),
            [](const std::string& name, const models::Params& params) { models::make_balancing_policy(name, params); }};
  }
  static PolicyKind backoff_kind() {
    static const Names backoff_own = {"policy"};
    return {"backoff", &backoff_own, "backoff", &models::backoff_policies(),
            [](const std::string& name, const models::Params& params) { models::make_backoff_policy(name, params); }};
  }

  // `policy = "<name>"` plus that policy's parameters as the other keys of the section.
  void read_policy(const PolicyKind& kind, std::string& policy, models::Params& params) const {
    const std::string& section = kind.section;
    const toml::table* table = table_at(root_, section, section);
    const toml::node* policy_node = nullptr;
    if (table != nullptr) {
      read_string(*table, section + ".", "policy", policy);
      policy_node = table->get("policy");
    }
    const models::PolicyInfo* info = models::find_policy(*kind.registry, policy);
    if (info == nullptr) {
      const models::ParamError error = models::unknown_policy_error(kind.noun, policy, *kind.registry);
      fail(policy_node != nullptr ? policy_node->source() : no_region(), section + ".policy", error.what());
    }
    Names allowed = *kind.own_keys;
    for (const models::ParamSpec& spec : info->params) allowed.push_back(spec.name);
    // `--set balancer.policy=...` switches policy: the file's parameters for its own policy that the
    // new one does not take are dropped (an override cannot delete keys). Parameters the new policy
    // does take are kept, and unknown parameters given by --set are still errors.
    const bool policy_overridden = policy_node != nullptr && from_override(policy_node->source());
    models::Params given;
    if (table != nullptr) {
      const std::string where = "[" + section + "] for policy '" + policy + "'";
      for (auto&& [key, value] : *table) {
        if (contains(*kind.own_keys, key.str())) continue;
        if (!contains(allowed, key.str())) {
          if (policy_overridden && !from_override(value.source())) continue;
          fail_unknown_key(key, value, where, section + ".", allowed);
        }
        given[std::string(key.str())] = number_of(value, section + "." + std::string(key.str()));
      }
    }
    try {
      kind.build(policy, given);
      params = models::resolve_params(policy, info->params, given);
    } catch (const models::ParamError& e) {
      // The registry names parameters "<policy>.<param>"; in a scenario the key is "<section>.<param>".
      const std::string param = e.param();
      std::string message = e.what();
      const std::string qualified = policy + "." + param;
      const std::string dotted = section + "." + (param.empty() ? "policy" : param);
      if (!param.empty() && message.starts_with(qualified)) message = dotted + message.substr(qualified.size());
      const toml::node* at = (table != nullptr && !param.empty()) ? table->get(param) : nullptr;
      if (at == nullptr) at = table;
      fail(at != nullptr ? at->source() : no_region(), dotted, message);
    } catch (const std::invalid_argument& e) {
      fail(table != nullptr ? table->source() : no_region(), section, section + ": " + e.what());
    }
  }

  // The balancer's own keys of [balancer], over the defaults of the software its policy imitates.
  void read_balancer(models::BalancerSection& out) const {
    models::BalancerSection b = models::balancer_defaults(out.policy);
    b.policy = out.policy;
    b.params = out.params;
    const toml::table* table = table_at(root_, "balancer", "balancer");
    if (table != nullptr) {
      const std::string p = "balancer.";
      read_int(*table, p, "count", 1, 64, b.count);
      read_int(*table, p, "tries", 0, 1000000, b.tries);
      read_int(*table, p, "max_connections_per_backend", 0, 1000000000, b.max_connections_per_backend);
      read_float(*table, p, "max_new_connections_per_s", between(0.0, 1e9), b.max_new_connections_per_s);
      read_int(*table, p, "source_ports", 0, 65536, b.source_ports);
      read_int(*table, p, "source_addresses", 1, 65536, b.source_addresses);
      read_float(*table, p, "metrics_interval_s", above_upto(0.0, kMaxDurationS), b.metrics_interval_s);
      std::string sticky;
      if (read_choice(*table, p, "sticky", {"none", "cookie", "source_ip"}, sticky)) {
        b.sticky = sticky == "none" ? models::Stickiness::None
                   : sticky == "cookie" ? models::Stickiness::Cookie
                                        : models::Stickiness::SourceIp;
      }
      read_float(*table, p, "failover_s", at_least(0.0), b.failover_s);
      read_float(*table, p, "idle_timeout_s", at_least(0.0), b.idle_timeout_s);
      if (const toml::table* hc = table_at(*table, "health_check", "balancer.health_check")) {
        const std::string q = "balancer.health_check.";
        check_keys(*hc, "[balancer.health_check]", q, health_check_keys());
        std::string mode;
        if (read_choice(*hc, q, "mode", {"active", "instant", "none"}, mode)) {
          b.health_check.mode = mode == "active"    ? models::HealthCheckMode::Active
                                : mode == "instant" ? models::HealthCheckMode::Instant
                                                    : models::HealthCheckMode::None;
        }
        read_float(*hc, q, "interval_s", Range{1e-3, kMaxDurationS, false, false, "", ""}, b.health_check.interval_s);
        read_float(*hc, q, "timeout_s", Range{1e-6, kMaxDurationS, false, false, "", ""}, b.health_check.timeout_s);
        read_int(*hc, q, "fall", 1, 1000, b.health_check.fall);
        read_int(*hc, q, "rise", 1, 1000, b.health_check.rise);
      }
      if (const toml::table* passive = table_at(*table, "passive", "balancer.passive")) {
        const std::string q = "balancer.passive.";
        check_keys(*passive, "[balancer.passive]", q, passive_keys());
        read_int(*passive, q, "max_fails", 0, 1000000, b.passive.max_fails);
        read_float(*passive, q, "fail_timeout_s", above_upto(0.0, kMaxDurationS), b.passive.fail_timeout_s);
      }
      if (const toml::table* ss = table_at(*table, "slow_start", "balancer.slow_start")) {
        const std::string q = "balancer.slow_start.";
        check_keys(*ss, "[balancer.slow_start]", q, slow_start_keys());
        read_float(*ss, q, "window_s", between(0.0, kMaxDurationS), b.slow_start.window_s);
        std::string curve;
        if (read_choice(*ss, q, "curve", {"linear", "power"}, curve)) {
          b.slow_start.curve = curve == "linear" ? models::SlowStartCurve::Linear : models::SlowStartCurve::Power;
        }
        read_float(*ss, q, "aggression", above_upto(0.0, 1e3), b.slow_start.aggression);
        read_float(*ss, q, "min_weight_percent", above_upto(0.0, 100.0), b.slow_start.min_weight_percent);
      }
    }
    out = b;
  }

  // [heartbeat]: a library preset's settings, overridden by the keys given (its ping interval goes
  // to clients.heartbeat_interval_s unless that key is given).
  void read_heartbeat(models::FleetConfig& config) const {
    const toml::table* table = table_at(root_, "heartbeat", "heartbeat");
    if (table == nullptr) return;
    const std::string p = "heartbeat.";
    check_keys(*table, "[heartbeat]", p, heartbeat_keys());
    models::HeartbeatSection& hb = config.heartbeat;
    Names presets;
    for (const auto& preset : models::heartbeat_presets()) presets.push_back(preset.name);
    std::string name;
    if (read_choice(*table, p, "preset", presets, name)) {
      const models::HeartbeatPreset* preset = models::find_heartbeat_preset(name);
      hb = preset->section;
      if (root_.at_path("clients.heartbeat_interval_s").node() == nullptr) {
        config.clients.heartbeat_interval_s = preset->interval_s;
      }
    }
    std::string sender, mode;
    if (read_choice(*table, p, "sender", {"client", "server"}, sender)) {
      hb.sender = sender == "client" ? models::HeartbeatSender::Client : models::HeartbeatSender::Server;
    }
    if (read_choice(*table, p, "mode", {"periodic", "when_idle"}, mode)) {
      hb.mode = mode == "periodic" ? models::HeartbeatMode::Periodic : models::HeartbeatMode::WhenIdle;
    }
    read_float(*table, p, "timeout_s", at_least(0.0), hb.timeout_s);
    read_float(*table, p, "peer_timeout_s", at_least(0.0), hb.peer_timeout_s);
    read_float(*table, p, "frame_bytes", between(0.0, 1e6), hb.frame_bytes);
  }

  void read_scaling(models::FleetConfig& config) const {
    const toml::node* node = root_.get("scaling");
    if (node == nullptr) return;
    const toml::array* events = node->as_array();
    if (events == nullptr) {
      fail(*node, "scaling", "scaling must be an array of tables, written [[scaling]] " + got(*node));
    }
    std::uint64_t total = config.fleet.servers;
    for (std::size_t i = 0; i < events->size(); ++i) {
      const std::string name = "scaling." + std::to_string(i);
      const std::string prefix = name + ".";
      const toml::node& element = *events->get(i);
      const toml::table* table = element.as_table();
      if (table == nullptr) fail(element, name, name + " must be a table such as {at_s = 300, add = 2} " + got(element));
      check_keys(*table, "[[scaling]] entry " + std::to_string(i), prefix, scaling_keys());
      models::ScalingEvent e;
      if (!read_float(*table, prefix, "at_s", Range{0.0, config.run.duration_s, false, false, "", "run.duration_s"}, e.at_s)) {
        fail(*table, prefix + "at_s", prefix + "at_s is required: when the fleet changes, s");
      }
      read_int(*table, prefix, "add", 0, 100000, e.add);
      read_int(*table, prefix, "remove", 0, 100000, e.remove);
      if (e.add == 0 && e.remove == 0) {
        fail(*table, prefix + "add", name + " changes nothing: give add = N (servers that join) or remove = N (servers drained and removed)");
      }
      read_float(*table, prefix, "drain_timeout_s", at_least(0.0), e.drain_timeout_s);
      Names classes;
      for (const models::ServerClass& c : models::fleet_classes(config.fleet)) classes.push_back(c.name);
      if (!read_choice(*table, prefix, "class", classes, e.server_class) && !config.fleet.classes.empty()) {
        e.server_class = classes.back();  // the last class by default
      }
      if (!read_float(*table, prefix, "weight", Range{0.0, 1e6, true, false, "", ""}, e.weight) &&
          !config.fleet.classes.empty()) {
        e.weight = config.fleet.classes[static_cast<std::size_t>(models::find_fleet_class(config.fleet, e.server_class))].weight;
      }
      total += e.add;
      if (total > 100000) fail(*table, prefix + "add", "fleet.servers plus every [[scaling]] add must be <= 100000 (got " + std::to_string(total) + ")");
      config.scaling.push_back(e);
    }
  }

  // The array of tables at `key` of `table` ([[topology.links]] ...), each checked against `keys`.
  std::vector<const toml::table*> table_array(const toml::table& table, std::string_view key, const std::string& dotted,
                                              const Names& keys, const std::string& example) const {
    std::vector<const toml::table*> out;
    const toml::node* node = table.get(key);
    if (node == nullptr) return out;
    const toml::array* array = node->as_array();
    if (array == nullptr) fail(*node, dotted, dotted + " must be an array of tables, written [[" + dotted + "]] " + got(*node));
    for (std::size_t i = 0; i < array->size(); ++i) {
      const std::string name = dotted + "." + std::to_string(i);
      const toml::node& element = *array->get(i);
      const toml::table* entry = element.as_table();
      if (entry == nullptr) fail(element, name, name + " must be a table such as " + example + " " + got(element));
      check_keys(*entry, "[[" + dotted + "]] entry " + std::to_string(i), name + ".", keys);
      out.push_back(entry);
    }
    return out;
  }

  // A required, non-empty string.
  std::string required_name(const toml::table& table, const std::string& prefix, std::string_view key,
                            const std::string& what) const {
    std::string value;
    if (!read_string(table, prefix, key, value)) fail(table, prefix + std::string(key), prefix + std::string(key) + " is required: " + what);
    if (value.empty()) fail(*table.get(key), prefix + std::string(key), prefix + std::string(key) + " must not be empty");
    return value;
  }

  void read_topology(models::FleetConfig& config) const {
    const toml::table* table = table_at(root_, "topology", "topology");
    if (table == nullptr) return;
    check_keys(*table, "[topology]", "topology.", topology_keys());
    models::TopologySection& topo = config.topology;
    const auto links = table_array(*table, "links", "topology.links", link_keys(),
                                   "{between = [\"eu\", \"eu-west\"], latency_ms = 12}");
    for (std::size_t i = 0; i < links.size(); ++i) {
      const std::string prefix = "topology.links." + std::to_string(i) + ".";
      const toml::node* ends_node = links[i]->get("between");
      const toml::array* ends = ends_node != nullptr ? ends_node->as_array() : nullptr;
      if (ends == nullptr || ends->size() != 2 || !ends->get(0)->is_string() || !ends->get(1)->is_string()) {
        fail(ends_node != nullptr ? ends_node->source() : links[i]->source(), prefix + "between",
             prefix + "between must name the two places it joins, e.g. [\"eu\", \"eu-west\"]");
      }
      models::TopologyLink link;
      link.a = ends->get(0)->as_string()->get();
      link.b = ends->get(1)->as_string()->get();
      if (link.a.empty() || link.b.empty() || link.a == link.b) {
        fail(*ends_node, prefix + "between", prefix + "between must name two different, non-empty places");
      }
      if (!read_float(*links[i], prefix, "latency_ms", between(0.0, 1e6), link.latency_ms)) {
        fail(*links[i], prefix + "latency_ms", prefix + "latency_ms is required: the one-way latency of the link, ms");
      }
      topo.links.push_back(link);
    }
    const auto sites = table_array(*table, "sites", "topology.sites", site_keys(), "{name = \"eu-west\", servers = 4}");
    Names site_names;
    for (std::size_t i = 0; i < sites.size(); ++i) {
      const std::string prefix = "topology.sites." + std::to_string(i) + ".";
      models::TopologySite site;
      site.name = required_name(*sites[i], prefix, "name", "the place (a node of the links) the site is at");
      if (contains(site_names, site.name)) fail(*sites[i]->get("name"), prefix + "name", prefix + "name '" + site.name + "' is used by an earlier site");
      site_names.push_back(site.name);
      const bool counted = read_int(*sites[i], prefix, "servers", 1, 100000, site.servers);
      const bool shared = read_float(*sites[i], prefix, "share", above_upto(0.0, 1.0), site.share);
      if (counted == shared) {
        fail(*sites[i], prefix + (counted ? "share" : "servers"),
             prefix + (counted ? "servers and share exclude each other" : "servers or share is required") +
                 ": give how many of the fleet's servers the site holds (servers = 4), or its share of them "
                 "(share = 0.5, which follows fleet.servers)");
      }
      topo.sites.push_back(site);
    }
    const auto regions = table_array(*table, "regions", "topology.regions", region_keys(), "{name = \"eu\", share = 0.4}");
    Names region_names;
    for (std::size_t i = 0; i < regions.size(); ++i) {
      const std::string prefix = "topology.regions." + std::to_string(i) + ".";
      models::TopologyRegion region;
      region.name = required_name(*regions[i], prefix, "name", "the place (a node of the links) the clients are at");
      if (contains(region_names, region.name)) fail(*regions[i]->get("name"), prefix + "name", prefix + "name '" + region.name + "' is used by an earlier region");
      region_names.push_back(region.name);
      if (!read_float(*regions[i], prefix, "share", above_upto(0.0, 1.0), region.share)) {
        fail(*regions[i], prefix + "share", prefix + "share is required: the fraction of the clients there");
      }
      topo.regions.push_back(region);
    }
    if (topo.sites.empty()) fail(*table, "topology.sites", "[topology] needs at least one [[topology.sites]] entry");
    if (topo.regions.empty()) fail(*table, "topology.regions", "[topology] needs at least one [[topology.regions]] entry");
    if (topo.regions.size() > 255) fail(*table, "topology.regions", "[topology] may have at most 255 regions");
    if (topo.sites.size() * config.balancer.count > 64) {
      fail(*table, "topology.sites", "sites x balancer.count must be <= 64 (got " + std::to_string(topo.sites.size()) +
                                         " x " + std::to_string(config.balancer.count) + ")");
    }
    try {
      models::site_server_counts(topo.sites, config.total_servers());
    } catch (const std::invalid_argument& e) {
      fail(*table->get("sites"), "topology.sites", std::string(e.what()));
    }
    try {
      models::Topology check(topo, config.total_servers());
    } catch (const std::invalid_argument& e) {
      std::string message = e.what();
      const std::string key = message.find("share") != std::string::npos     ? "topology.regions"
                              : message.find("servers") != std::string::npos ? "topology.sites"
                                                                             : "topology";
      fail(*table, key, message);
    }
  }

  // [pubsub] and its sub-tables.
  void read_pubsub(models::FleetConfig& config) const {
    const toml::table* table = table_at(root_, "pubsub", "pubsub");
    if (table == nullptr) return;
    const std::string p = "pubsub.";
    check_keys(*table, "[pubsub]", p, pubsub_keys());
    models::PubSubSection& ps = config.pubsub;
    read_int(*table, p, "channels", 0, 10000000, ps.channels);
    if (ps.channels == 0) {
      fail(*table, p + "channels", "[pubsub] needs pubsub.channels >= 1 (the number of channels); without it, leave [pubsub] out");
    }
    read_float(*table, p, "zipf_s", between(0.0, 10.0), ps.zipf_s);
    read_int(*table, p, "subscriptions", 1, std::min<std::int64_t>(64, ps.channels), ps.subscriptions,
             ps.channels < 64 ? "pubsub.channels" : "");
    read_float(*table, p, "message_bytes", Range{0.0, 1e8, true, false, "", ""}, ps.message_bytes);
    read_float(*table, p, "fanout_us", between(0.0, kMaxCpuCostUs), ps.fanout_us);
    read_float(*table, p, "client_publish_share", between(0.0, 1.0), ps.client_publish_share);
    if (const toml::table* feed = table_at(*table, "feed", "pubsub.feed")) {
      const std::string q = "pubsub.feed.";
      check_keys(*feed, "[pubsub.feed]", q, feed_keys());
      read_int(*feed, q, "channels", 0, ps.channels, ps.feed.channels, "pubsub.channels");
      read_float(*feed, q, "rate_per_s", Range{0.0, 1e6, true, false, "", ""}, ps.feed.rate_per_s);
      std::string process;
      if (read_choice(*feed, q, "process", {"poisson", "periodic"}, process)) {
        ps.feed.process = process == "poisson" ? models::FeedProcess::Poisson : models::FeedProcess::Periodic;
      }
    }
    const auto links = table_array(*table, "links", "pubsub.links", link_class_keys(),
                                   "{name = \"mobile\", share = 0.2, drain_kib_per_s = 50}");
    double total_share = 0.0;
    for (std::size_t i = 0; i < links.size(); ++i) {
      const std::string q = "pubsub.links." + std::to_string(i) + ".";
      models::LinkClass link;
      read_string(*links[i], q, "name", link.name);
      if (!read_float(*links[i], q, "share", between(0.0, 1.0), link.share)) {
        fail(*links[i], q + "share", q + "share is required: the fraction of the clients on such links");
      }
      double messages = 0.0;
      const bool by_bytes = read_float(*links[i], q, "drain_kib_per_s", between(0.0, 1e9), link.drain_kib_per_s);
      const bool by_messages = read_float(*links[i], q, "drain_messages_per_s", between(0.0, 1e9), messages);
      if (by_bytes && by_messages) {
        fail(*links[i]->get("drain_messages_per_s"), q + "drain_messages_per_s",
             q + "drain_kib_per_s and " + q + "drain_messages_per_s are two ways to say the same thing: give one");
      }
      if (!by_bytes && !by_messages) {
        fail(*links[i], q + "drain_kib_per_s",
             q + "drain_kib_per_s (or drain_messages_per_s) is required: how fast such a client reads; 0 = at once");
      }
      if (by_messages) link.drain_kib_per_s = messages * ps.message_bytes / 1024.0;
      total_share += link.share;
      ps.links.push_back(link);
    }
    if (!links.empty() && std::abs(total_share - 1.0) > 1e-9) {
      fail(*table->get("links"), "pubsub.links", "the shares of [[pubsub.links]] must add up to 1 (got " + human_number(total_share) + ")");
    }
    if (const toml::table* buffer = table_at(*table, "buffer", "pubsub.buffer")) read_buffer(*buffer, ps.buffer);
    if (const toml::table* broker = table_at(*table, "broker", "pubsub.broker")) {
      const std::string q = "pubsub.broker.";
      check_keys(*broker, "[pubsub.broker]", q, broker_keys());
      std::string mode;
      if (read_choice(*broker, q, "mode", {"sharded", "broadcast"}, mode)) {
        ps.broker.mode = mode == "sharded" ? models::BrokerMode::Sharded : models::BrokerMode::Broadcast;
      }
      read_float(*broker, q, "capacity_per_s", Range{0.0, 1e12, true, false, "", ""}, ps.broker.capacity_per_s);
      read_float(*broker, q, "latency_ms", between(0.0, 1e6), ps.broker.latency_ms);
    }
    if (const toml::table* resume = table_at(*table, "resume", "pubsub.resume")) {
      const std::string q = "pubsub.resume.";
      check_keys(*resume, "[pubsub.resume]", q, resume_keys());
      read_float(*resume, q, "window_s", between(0.0, kMaxDurationS), ps.resume.window_s);
      read_int(*resume, q, "cache_messages", 0, 1000000000, ps.resume.cache_messages);
    }
    if (const toml::table* history = table_at(*table, "history", "pubsub.history")) {
      const std::string q = "pubsub.history.";
      check_keys(*history, "[pubsub.history]", q, history_keys());
      read_int(*history, q, "size", 0, 1000000000, ps.history.size);
      read_float(*history, q, "ttl_s", between(0.0, kMaxDurationS), ps.history.ttl_s);
      read_float(*history, q, "fetch_ms", between(0.0, 1e7), ps.history.fetch_ms);
      std::string fetch;
      if (read_choice(*history, q, "fetch", {"position", "rewind"}, fetch)) {
        ps.history.fetch = fetch == "position" ? models::HistoryFetch::Position : models::HistoryFetch::Rewind;
      }
      read_int(*history, q, "rewind", 1, 1000000000, ps.history.rewind);
      if (!ps.history.enabled()) {
        fail(*history, q + "size", "[pubsub.history] keeps nothing: give pubsub.history.size (messages per channel) or ttl_s (s), or leave it out");
      }
    }
    const double cells = static_cast<double>(config.total_servers()) * ps.channels;
    if (cells > 5e7) {
      fail(*table->get("channels"), "pubsub.channels",
           "servers x pubsub.channels must be <= 50,000,000 (got " + human_number(cells) + "): one subscriber list per pair");
    }
  }

  // [pubsub.buffer]: a library's semantics (preset), overridden by the keys given.
  void read_buffer(const toml::table& buffer, models::BufferSection& b) const {
    const std::string q = "pubsub.buffer.";
    check_keys(buffer, "[pubsub.buffer]", q, buffer_keys());
    Names preset_names;
    for (const auto& pr : models::buffer_presets()) preset_names.push_back(pr.name);
    std::string preset;
    if (read_choice(buffer, q, "preset", preset_names, preset)) b = models::find_buffer_preset(preset)->section;
    const Names& policies = models::buffer_policy_names();
    std::string policy;
    if (read_choice(buffer, q, "policy", policies, policy)) {
      b.policy = static_cast<models::BufferPolicy>(std::find(policies.begin(), policies.end(), policy) - policies.begin());
    }
    read_float(buffer, q, "limit_kib", Range{0.0, 1e9, true, false, "", ""}, b.limit_kib);
    read_bool(buffer, q, "close_on_limit", b.close_on_limit);
    if (b.close_on_limit && b.policy != models::BufferPolicy::Uws) {
      fail(*buffer.get("close_on_limit"), q + "close_on_limit",
           q + "close_on_limit is uWebSockets' closeOnBackpressureLimit: it needs policy = \"uws\" (for closing at the limit otherwise, use policy = \"close\")");
    }
    read_float(buffer, q, "delta_ratio", above_upto(0.0, 1.0), b.delta_ratio);
  }

  // [transport]: the clients on fallback transports and what their HTTP requests cost (docs/transports.md).
  void read_transport(models::TransportSection& t) const {
    const toml::table* table = table_at(root_, "transport", "transport");
    if (table == nullptr) return;
    const std::string p = "transport.";
    check_keys(*table, "[transport]", p, transport_keys());
    read_float(*table, p, "long_polling_share", between(0.0, 1.0), t.long_polling_share);
    read_float(*table, p, "sse_share", between(0.0, 1.0), t.sse_share);
    if (t.long_polling_share + t.sse_share > 1.0) {
      const toml::node* at = table->get("sse_share") != nullptr ? table->get("sse_share") : table->get("long_polling_share");
      fail(*at, table->get("sse_share") != nullptr ? "transport.sse_share" : "transport.long_polling_share",
           "transport.long_polling_share + transport.sse_share must be <= 1 (got " + human_number(t.long_polling_share) +
               " + " + human_number(t.sse_share) + "): they are shares of the same clients");
    }
    if (const toml::table* lp = table_at(*table, "long_polling", "transport.long_polling")) {
      const std::string q = "transport.long_polling.";
      check_keys(*lp, "[transport.long_polling]", q, long_polling_keys());
      read_float(*lp, q, "poll_timeout_s", between(1e-6, kMaxDurationS), t.long_polling.poll_timeout_s);
      read_float(*lp, q, "request_us", between(0.0, kMaxCpuCostUs), t.long_polling.request_us);
      read_float(*lp, q, "memory_per_request_kib", between(0.0, 1e7), t.long_polling.memory_per_request_kib);
      read_float(*lp, q, "request_bytes", between(0.0, 1e9), t.long_polling.request_bytes);
      read_bool(*lp, q, "pong_posts", t.long_polling.pong_posts);
    }
    if (const toml::table* sse = table_at(*table, "sse", "transport.sse")) {
      const std::string q = "transport.sse.";
      check_keys(*sse, "[transport.sse]", q, sse_keys());
      read_float(*sse, q, "request_us", between(0.0, kMaxCpuCostUs), t.sse.request_us);
      read_float(*sse, q, "request_bytes", between(0.0, 1e9), t.sse.request_bytes);
    }
  }

  void read_faults(models::FleetConfig& config) const {
    const toml::node* node = root_.get("faults");
    if (node == nullptr) return;
    const toml::array* faults = node->as_array();
    if (faults == nullptr) fail(*node, "faults", "faults must be an array of tables, written [[faults]] " + got(*node));
    const std::int64_t last_server = static_cast<std::int64_t>(config.total_servers()) - 1;
    const std::string last_label = config.scaling.empty() ? "fleet.servers - 1" : "fleet.servers + [[scaling]] adds - 1";
    for (std::size_t i = 0; i < faults->size(); ++i) {
      const std::string name = "faults." + std::to_string(i);
      const std::string prefix = name + ".";
      const toml::node& element = *faults->get(i);
      const toml::table* table = element.as_table();
      if (table == nullptr) {
        fail(element, name, name + " must be a table such as {type = \"crash\", server = 3, at_s = 300} " + got(element));
      }
      check_keys(*table, "[[faults]] entry " + std::to_string(i), prefix, fault_keys());
      std::string type;
      if (!read_choice(*table, prefix, "type", {"crash", "balancer_crash", "site_crash", "broker_outage", "websocket_block"}, type)) {
        fail(*table, prefix + "type",
             prefix + "type is required: the kind of fault (one of: crash, balancer_crash, site_crash, broker_outage, websocket_block)");
      }
      models::CrashFault fault;
      for (const char* key : {"server", "balancer", "site", "share"}) {
        const std::string k = key;
        const bool belongs = (type == "crash" && k == "server") || (type == "balancer_crash" && k == "balancer") ||
                             (type == "site_crash" && k == "site") || (type == "websocket_block" && k == "share");
        if (const toml::node* wrong = table->get(key); wrong != nullptr && !belongs) {
          const std::string owner = k == "server" ? "crash" : k == "balancer" ? "balancer_crash" : k == "site" ? "site_crash" : "websocket_block";
          fail(*wrong, prefix + key, prefix + key + " is for type = \"" + owner + "\"; " +
                                         (type == "broker_outage" ? std::string("a broker_outage names nothing (there is one broker)")
                                                                  : "a " + type + " names its " +
                                                                        (type == "crash" ? "server" : type == "balancer_crash" ? "balancer" : type == "site_crash" ? "site" : "share")));
        }
      }
      if (type == "broker_outage") {
        fault.target = models::FaultTarget::Broker;
        if (!config.pubsub.enabled()) fail(*table, prefix + "type", prefix + "type = \"broker_outage\" needs [pubsub] (pubsub.channels >= 1)");
      } else if (type == "websocket_block") {
        fault.target = models::FaultTarget::WebSocketBlock;
        if (!read_float(*table, prefix, "share", above_upto(0.0, 1.0), fault.share)) {
          fail(*table, prefix + "share", prefix + "share is required: the share of the clients whose WebSocket breaks, > 0 and <= 1");
        }
      } else if (type == "site_crash") {
        fault.target = models::FaultTarget::Site;
        Names sites;
        for (const auto& site : config.topology.sites) sites.push_back(site.name);
        if (sites.empty()) fail(*table, prefix + "type", prefix + "type = \"site_crash\" needs [[topology.sites]]");
        if (!read_choice(*table, prefix, "site", sites, fault.site)) {
          fail(*table, prefix + "site", prefix + "site is required: the name of a [[topology.sites]] entry (" + join(sites, ", ") + ")");
        }
      } else if (type == "crash") {
        read_int(*table, prefix, "server", 0, last_server, fault.server, last_label);
      } else {
        fault.target = models::FaultTarget::Balancer;
        const std::int64_t sites = std::max<std::int64_t>(1, static_cast<std::int64_t>(config.topology.sites.size()));
        read_int(*table, prefix, "balancer", 0, static_cast<std::int64_t>(config.balancer.count) * sites - 1,
                 fault.balancer, sites > 1 ? "balancer.count x sites - 1" : "balancer.count - 1");
      }
      read_float(*table, prefix, "at_s", Range{0.0, config.run.duration_s, false, false, "", "run.duration_s"},
                 fault.at_s);
      double recover_after_s = 0.0;
      if (read_float(*table, prefix, "recover_after_s", above(0.0), recover_after_s)) {
        fault.recover_after_s = recover_after_s;
      }
      config.faults.push_back(fault);
    }
  }

  const toml::table& root_;
  std::string source_;
};

// Closes a FILE* when it goes out of scope.
struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

}  // namespace

models::FleetConfig load_scenario_string(std::string_view toml, const std::string& source_name,
                                         const std::vector<std::string>& overrides) {
  toml::table root;
  check_toml_depth(toml, source_name);  // before toml++, which recurses once per level
  try {
    root = toml::parse(toml, std::string(source_name));
  } catch (const toml::parse_error& e) {
    throw ScenarioError(source_name, e.source().begin.line, e.source().begin.column, "",
                        "TOML syntax error: " + std::string(e.description()));
  }
  for (const std::string& override_text : overrides) apply_override(root, override_text);
  return ScenarioReader(root, source_name).read();
}

models::FleetConfig load_scenario_file(const std::string& path, const std::vector<std::string>& overrides) {
  const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    const int error = errno;
    throw ScenarioError(path, 0, 0, "", std::string("cannot open scenario file: ") + std::strerror(error));
  }
  std::string text;
  char buffer[1 << 16];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) {
    text.append(buffer, got);
    if (text.size() > kMaxScenarioFileBytes) {
      throw ScenarioError(path, 0, 0, "",
                          "scenario file is larger than " + std::to_string(kMaxScenarioFileBytes >> 20) +
                              " MiB: refusing to parse it");
    }
  }
  if (std::ferror(file.get())) {
    const int error = errno;
    throw ScenarioError(path, 0, 0, "", std::string("cannot read scenario file: ") + std::strerror(error));
  }
  return load_scenario_string(text, path, overrides);
}

}  // namespace wsfleet::experiments
