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
#include "experiments/toml_text.hpp"
#include "models/backoff_policy.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::experiments {

namespace {

using Names = std::vector<std::string>;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::int64_t kIntMax = std::numeric_limits<std::int64_t>::max();

// The schema. Keys are listed in documentation order; "Allowed: ..." messages show them so.
const Names& section_names() {
  static const Names names = {"scenario", "run", "fleet", "clients", "balancer", "backoff", "faults", "sweep", "plan"};
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
                             "base_memory_mib", "weights", "cpu"};
  return keys;
}
const Names& cpu_keys() {
  static const Names keys = {"handshake_us", "inbound_message_us", "outbound_message_us", "heartbeat_us",
                             "service_time"};
  return keys;
}
const Names& clients_keys() {
  static const Names keys = {"count", "ramp_s", "session", "on_session_end", "messages_per_minute",
                             "replies_per_message", "heartbeat_interval_s", "connect_timeout_s"};
  return keys;
}
const Names& fault_keys() {
  static const Names keys = {"type", "server", "at_s", "recover_after_s"};
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
    read_policy(backoff_kind(), config.backoff.policy, config.backoff.params);
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
        {"fleet.cpu", &cpu_keys()},     {"clients", &clients_keys()}, {"faults", &fault_keys()}};
    Names bracketed;
    for (const std::string& s : sections) bracketed.push_back(s == "faults" ? "[[faults]]" : "[" + s + "]");
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
    read_weights(*table, fleet);
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
    const double rows = samples * static_cast<double>(config.fleet.servers);
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
    read_float(*table, "clients.", "heartbeat_interval_s", at_least(0.0), clients.heartbeat_interval_s);
    read_float(*table, "clients.", "connect_timeout_s", above(0.0), clients.connect_timeout_s);
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
    std::string noun;                                            // "balancing", for messages
    const std::vector<models::PolicyInfo>* registry;             // the known policies
    std::function<void(const std::string&, const models::Params&)> build;  // validates by building
  };

  static PolicyKind balancing_kind() {
    return {"balancer", "balancing", &models::balancing_policies(),
            [](const std::string& name, const models::Params& params) { models::make_balancing_policy(name, params); }};
  }
  static PolicyKind backoff_kind() {
    return {"backoff", "backoff", &models::backoff_policies(),
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
    Names allowed = {"policy"};
    for (const models::ParamSpec& spec : info->params) allowed.push_back(spec.name);
    // `--set balancer.policy=...` switches policy: the file's parameters for its own policy that the
    // new one does not take are dropped (an override cannot delete keys). Parameters the new policy
    // does take are kept, and unknown parameters given by --set are still errors.
    const bool policy_overridden = policy_node != nullptr && from_override(policy_node->source());
    models::Params given;
    if (table != nullptr) {
      const std::string where = "[" + section + "] for policy '" + policy + "'";
      for (auto&& [key, value] : *table) {
        if (key.str() == "policy") continue;
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

  void read_faults(models::FleetConfig& config) const {
    const toml::node* node = root_.get("faults");
    if (node == nullptr) return;
    const toml::array* faults = node->as_array();
    if (faults == nullptr) fail(*node, "faults", "faults must be an array of tables, written [[faults]] " + got(*node));
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
      if (!read_choice(*table, prefix, "type", {"crash"}, type)) {
        fail(*table, prefix + "type", prefix + "type is required: the kind of fault (one of: crash)");
      }
      models::CrashFault fault;
      read_int(*table, prefix, "server", 0, static_cast<std::int64_t>(config.fleet.servers) - 1, fault.server,
               "fleet.servers - 1");
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
