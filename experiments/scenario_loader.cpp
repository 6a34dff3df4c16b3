#include "experiments/scenario_loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <utility>

#include <toml++/toml.h>

#include "experiments/distribution_keys.hpp"
#include "experiments/resource_estimate.hpp"
#include "experiments/scenario_overrides.hpp"
#include "experiments/scenario_reader.hpp"
#include "experiments/schema/limits.hpp"
#include "experiments/toml_depth.hpp"
#include "experiments/toml_text.hpp"
#include "models/backoff_policy.hpp"
#include "models/balancer/balancer_defaults.hpp"
#include "models/balancing_policy.hpp"
#include "models/heartbeat_presets.hpp"
#include "models/server_classes.hpp"

namespace wsfleet::experiments {

using schema::contains;
using schema::Names;
using schema::Range;
using schema::section;

models::FleetConfig ScenarioReader::read() {
  models::FleetConfig config;
  check_sections();
  read_scenario(config);
  read_run(config.run);
  read_fleet(config.fleet);
  read_clients(config.clients);
  read_policy(balancing_kind(), config.balancer.policy, config.balancer.params);
  read_balancer(config.balancer);
  read_policy(backoff_kind(), config.backoff.policy, config.backoff.params);
  // Weight 0 is IPVS's "no new connections, existing ones kept" (the kernel schedulers skip such a
  // destination); the other balancers have no such weight.
  for (std::size_t i = 0; i < config.fleet.weights.size(); ++i) {
    if (config.fleet.weights[i] != 0.0 || config.balancer.policy.rfind("ipvs_", 0) == 0) continue;
    const std::string dotted = "fleet.weights." + std::to_string(i);
    const toml::node* weights = root().at_path("fleet.weights").node();
    const toml::array* array = weights != nullptr ? weights->as_array() : nullptr;
    fail(array != nullptr && i < array->size() ? array->get(i)->source() : no_region(), dotted,
         dotted + " is 0, which only an ipvs_* balancer policy allows (IPVS weight 0: no new connections); "
                  "balancer.policy is \"" + config.balancer.policy + "\": give a weight > 0");
  }
  read_heartbeat(config);
  read_scaling(config);
  read_deploys(config);
  read_topology(config);
  read_pubsub(config);
  read_transport(config.transport);
  read_faults(config);
  read_alerts(config.alerts);
  read_autoscaler(config);
  check_size(config);
  return config;
}

// [alerts] rules: a path relative to the folder of the file that gave it (an override's: the
// working directory), stored absolute so that the run directory's scenario.toml still finds it.
void ScenarioReader::read_alerts(models::AlertsSection& alerts) const {
  const toml::table* table = table_at(root(), "alerts", "alerts");
  if (table == nullptr) return;
  read_all(*table, section("alerts"), "[alerts]", "alerts.", alerts);
  if (alerts.rules.empty()) return;
  const toml::node* node = table->get("rules");
  namespace fs = std::filesystem;
  fs::path path(alerts.rules);
  std::error_code ec;
  if (path.is_relative()) {
    fs::path base = fs::current_path(ec);
    if (node != nullptr && node->source().path && fs::is_regular_file(*node->source().path, ec)) {
      base = fs::absolute(fs::path(*node->source().path), ec).parent_path();
    }
    path = base / path;
  }
  path = path.lexically_normal();
  if (!fs::is_regular_file(path, ec)) {
    fail(node != nullptr ? node->source() : no_region(), "alerts.rules",
         "alerts.rules: rules file not found: " + path.string() +
             " (a relative path is relative to the scenario file's folder)");
  }
  alerts.rules = path.string();
}

// Top level: only the known sections. A lone key that belongs in a section says which.
void ScenarioReader::check_sections() const {
  const schema::Section& top = section("");
  const Names sections = top.names();
  Names bracketed;
  for (const schema::Key& k : top.keys) {
    bracketed.push_back(k.type == schema::KeyType::TableArray ? "[[" + k.name + "]]" : "[" + k.name + "]");
  }
  const std::string allowed = " Allowed sections: " + join(bracketed, ", ");
  for (auto&& [key, value] : root()) {
    const std::string name(key.str());
    if (contains(sections, name) && section(name).open && !value.is_table()) {
      fail(key_region(key, value), name, name + " must be a table, written [" + name + "] " + got(value));
    }
    if (contains(sections, name)) continue;
    const std::string suggestion = models::closest_match(name, sections);
    const std::string did_you_mean = suggestion.empty() ? "." : "; did you mean [" + suggestion + "]?";
    if (value.is_table() || value.is_array_of_tables()) {
      fail(key_region(key, value), name, "unknown section [" + name + "]" + did_you_mean + allowed);
    }
    for (const schema::Section& home : schema::sections()) {
      if (!home.path.empty() && home.has(name)) {
        fail(key_region(key, value), name, "key '" + name + "' is outside any section: it belongs in [" + home.path + "]");
      }
    }
    fail(key_region(key, value), name, "unknown top-level key '" + name + "'" + did_you_mean + allowed);
  }
}

void ScenarioReader::read_scenario(models::FleetConfig& config) const {
  const toml::table* table = table_at(root(), "scenario", "scenario");
  if (table != nullptr) read_all(*table, section("scenario"), "[scenario]", "scenario.", config);
}

void ScenarioReader::read_run(models::RunConfig& run) const {
  const toml::table* table = table_at(root(), "run", "run");
  if (table == nullptr) return;
  const schema::Section& sec = section("run");
  check_keys(*table, sec, "[run]", "run.");
  read(*table, sec, "duration_s", "run.", run);
  const toml::node* duration = table->get("duration_s");
  const toml::node* interval = table->get("sample_interval_s");
  if (interval == nullptr && duration != nullptr && run.sample_interval_s > run.duration_s) {
    fail(*duration, "run.duration_s",
         "run.duration_s = " + human_number(run.duration_s) + " is shorter than run.sample_interval_s = " +
             human_number(run.sample_interval_s) + " (its default): set run.sample_interval_s as well");
  }
  const Range sample{0.0, run.duration_s, true, false, "", "run.duration_s", false};
  read(*table, sec, "sample_interval_s", "run.", run, &sample);
  const double samples = run.duration_s / run.sample_interval_s;
  if (samples > schema::kMaxSamples) {
    const toml::node* at = interval != nullptr ? interval : duration;
    fail(at != nullptr ? at->source() : no_region(), interval != nullptr ? "run.sample_interval_s" : "run.duration_s",
         "run.duration_s / run.sample_interval_s must be <= " + human_number(schema::kMaxSamples) + " samples (got " +
             human_number(std::ceil(samples)) + "): raise run.sample_interval_s");
  }
  read(*table, sec, "seed", "run.", run);
  read(*table, sec, "replication", "run.", run);
  read(*table, sec, "per_connection_timers", "run.", run);
  read(*table, sec, "max_events", "run.", run);
}

void ScenarioReader::read_fleet(models::FleetSection& fleet) const {
  const toml::table* table = table_at(root(), "fleet", "fleet");
  if (table == nullptr) return;
  const schema::Section& sec = section("fleet");
  check_keys(*table, sec, "[fleet]", "fleet.");
  schema::Scalar servers;
  if (read_value(*table, sec.key("servers"), "fleet.", servers)) fleet.servers = static_cast<std::uint32_t>(std::get<std::int64_t>(servers));
  for (const char* key : {"max_connections", "cpu_cores", "memory_per_connection_kib", "base_memory_mib", "cost_per_hour",
                          "memory_limit_mib"}) {
    read(*table, sec, key, "fleet.", fleet);
  }
  read_classes(*table, fleet);
  // A limit at or below the idle process would kill the server the moment anything connects.
  for (std::size_t i = 0; i < std::max<std::size_t>(1, fleet.classes.size()); ++i) {
    const bool own = !fleet.classes.empty();
    const double limit = own ? fleet.classes[i].memory_limit_mib : fleet.memory_limit_mib;
    const double base = own ? fleet.classes[i].base_memory_mib : fleet.base_memory_mib;
    if (limit > 0.0 && limit <= base) {
      const std::string key = own ? "fleet.classes." + std::to_string(i) + ".memory_limit_mib" : "fleet.memory_limit_mib";
      const toml::node* at = root().at_path(key).node();
      fail(at != nullptr ? at->source() : table->source(), key,
           key + " = " + human_number(limit) + " must be above the server's base_memory_mib = " + human_number(base) +
               " (or 0 for no limit)");
    }
  }
  read_weights(*table, fleet);
  read(*table, sec, "idle_close_s", "fleet.", fleet);
  read(*table, sec, "restart_s", "fleet.", fleet);
  if (const toml::table* adm = table_at(*table, "admission", "fleet.admission")) {
    read_all(*adm, section("fleet.admission"), "[fleet.admission]", "fleet.admission.", fleet.admission);
  }
  if (const toml::table* rb = table_at(*table, "rebalance", "fleet.rebalance")) {
    read_all(*rb, section("fleet.rebalance"), "[fleet.rebalance]", "fleet.rebalance.", fleet.rebalance);
  }
  if (const toml::table* cpu = table_at(*table, "cpu", "fleet.cpu")) {
    read_all(*cpu, section("fleet.cpu"), "[fleet.cpu]", "fleet.cpu.", fleet.cpu);
  }
}

// [[fleet.classes]]: each class's keys default to [fleet]'s; fleet.servers becomes their sum (it
// must not be given as well: the classes' counts vary in sweeps and plans on their own).
void ScenarioReader::read_classes(const toml::table& table, models::FleetSection& fleet) const {
  if (table.get("classes") == nullptr) return;
  const schema::Section& sec = section("fleet.classes");
  const auto entries = table_array(table, "classes", sec, "{name = \"large\", servers = 2, max_connections = 40000, cpu_cores = 4}");
  if (entries.empty()) fail(*table.get("classes"), "fleet.classes", "fleet.classes needs at least one entry");
  Names names;
  std::uint64_t sum = 0;
  const models::ServerClass from_fleet = models::fleet_classes(fleet).front();  // [fleet]'s values
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const toml::table& entry = *entries[i];
    const std::string prefix = "fleet.classes." + std::to_string(i) + ".";
    models::ServerClass c = from_fleet;
    c.name = unique_name(entry, prefix, "the class's name, e.g. \"large\"", names, "class");
    if (c.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != std::string::npos ||
        std::all_of(c.name.begin(), c.name.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      fail(*entry.get("name"), prefix + "name",
           prefix + "name must be made of letters, digits, '_' and '-' and not be a number (got '" + c.name +
               "'): it names the class in keys such as fleet.classes.NAME.servers");
    }
    schema::Scalar servers;
    if (!read_value(entry, sec.key("servers"), prefix, servers)) {
      fail(entry, prefix + "servers", prefix + "servers is required: how many servers of this class (>= 1)");
    }
    c.servers = static_cast<std::uint32_t>(std::get<std::int64_t>(servers));
    for (const schema::Key& k : sec.keys) {
      if (k.bound()) read(entry, sec, k.name, prefix, c);
    }
    sum += c.servers;
    fleet.classes.push_back(c);
  }
  if (const toml::node* servers = table.get("servers")) {
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

void ScenarioReader::read_weights(const toml::table& table, models::FleetSection& fleet) const {
  const toml::node* node = table.get("weights");
  if (node == nullptr) return;
  const toml::array* array = node->as_array();
  if (array == nullptr) fail(*node, "fleet.weights", "fleet.weights must be an array of numbers " + got(*node));
  const Range& range = section("fleet").key("weights").range;
  std::vector<double> weights;
  weights.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const std::string dotted = "fleet.weights." + std::to_string(i);
    const double weight = number_of(element, dotted);
    if (!std::isfinite(weight) || !range.contains(weight)) {
      fail(element, dotted, dotted + " must be a finite number " + range.describe() + " (got " + human_number(weight) + ")");
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
// gigabytes, and runs that would not fit this machine's memory, with the keys that set their size,
// rather than failing half-way through.
void ScenarioReader::check_size(const models::FleetConfig& config) const {
  constexpr double kMaxServerRows = 2e7;  // 16 columns of 8 bytes: about 2.5 GB
  const double samples = std::ceil(config.run.duration_s / config.run.sample_interval_s);
  const double rows = samples * static_cast<double>(config.total_servers());
  if (rows <= kMaxServerRows) {
    const MemoryEstimate estimate = estimate_memory(config);
    const std::string refusal = memory_refusal(estimate, machine_memory_bytes());
    if (!refusal.empty()) {
      const toml::node* at = root().at_path(estimate.largest_key).node();
      fail(at != nullptr ? at->source() : no_region(), estimate.largest_key, refusal);
    }
    // Runs that would take hours or days: refused before they start, at the key that makes most
    // of their events (or, when it was not written, at run.max_events or run.duration_s).
    const EventEstimate events = estimate_events(config);
    const std::string too_long = events_refusal(events, config.run.max_events);
    if (too_long.empty()) return;
    const toml::node* at = root().at_path(events.largest_key).node();
    for (const char* fallback : {"run.max_events", "run.duration_s"}) {
      if (at == nullptr) at = root().at_path(fallback).node();
    }
    fail(at != nullptr ? at->source() : no_region(), events.largest_key, too_long);
  }
  if (config.autoscaler.enabled() && samples * (config.total_servers() - config.autoscaler_slots()) <= kMaxServerRows) {
    // The slots the autoscaler reserves (2 x max_replicas) make the difference.
    const toml::node* at = root().at_path("autoscaler.max_replicas").node();
    fail(at != nullptr ? at->source() : no_region(), "autoscaler.max_replicas",
         "autoscaler.max_replicas reserves 2 x max_replicas server slots, sampled like every server: (servers + slots) x "
         "(run.duration_s / run.sample_interval_s) must be <= " + human_number(kMaxServerRows) + " (got " +
             std::to_string(config.total_servers()) + " x " + human_number(samples) +
             "): lower autoscaler.max_replicas or raise run.sample_interval_s");
  }
  const toml::node* servers = root().at_path("fleet.servers").node();
  fail(servers != nullptr ? servers->source() : no_region(), "fleet.servers",
       "fleet.servers x (run.duration_s / run.sample_interval_s) must be <= " + human_number(kMaxServerRows) +
           " per-server samples (got " + std::to_string(config.fleet.servers) + " x " + human_number(samples) +
           "): raise run.sample_interval_s");
}

void ScenarioReader::read_clients(models::ClientsSection& clients) const {
  const toml::table* table = table_at(root(), "clients", "clients");
  if (table == nullptr) return;
  read_all(*table, section("clients"), "[clients]", "clients.", clients);
  read_session(*table, clients);
  const toml::node* transport = table->get("signalr_transport");
  if (transport != nullptr && clients.skip_negotiation && clients.signalr_transport != models::SignalRTransport::WebSockets) {
    // HttpConnection.startInternal: "Negotiation can only be skipped when using the WebSocket transport directly."
    fail(*transport, "clients.signalr_transport",
         "clients.signalr_transport must be \"websockets\" with clients.skip_negotiation = true (SignalR skips "
         "the negotiation only for the WebSocket transport)");
  }
}

// clients.session: "never", or a table {distribution = "...", <its parameters>}.
void ScenarioReader::read_session(const toml::table& clients, models::ClientsSection& out) const {
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
  out.session_s = read_distribution_table(*table, key);
}

// A distribution written as a table {distribution = "...", <its parameters>} at `key`.
sim::Distribution ScenarioReader::read_distribution_table(const toml::table& t, const std::string& key) const {
  const toml::table* table = &t;
  Names kinds;
  for (const DistributionKeys& entry : distribution_keys()) kinds.push_back(entry.name);
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
  for (auto&& [k, value] : *table) {
    if (!contains(allowed, k.str())) fail_unknown_key(k, value, key + " (distribution '" + name + "')", key + ".", allowed);
  }
  std::vector<double> params;
  for (const std::string& param : entry->keys) {
    if (table->get(param) == nullptr) {
      fail(*table, key + "." + param,
           key + "." + param + " is required for distribution '" + name + "' (it takes " + join(entry->keys, ", ") + ")");
    }
    // Sessions longer than the run are allowed (they outlast it); the engine saturates them.
    Range range = schema::at_least(0.0);  // value_s, stddev_s, low_s
    if (param == "mean_s" || param == "scale_s" || param == "shape") range = schema::above(0.0);
    if (param == "high_s") range = Range{params.at(0), schema::kInf, false, false, key + ".low_s", "", false};
    double value = 0.0;
    read_float(*table, key + ".", param, range, value);
    params.push_back(value);
  }
  try {
    return sim::Distribution::make(entry->kind, params);
  } catch (const std::invalid_argument& e) {
    fail(*table, key, key + ": " + e.what());
  }
}

ScenarioReader::PolicyKind ScenarioReader::balancing_kind() {
  return {"balancer", "balancing", &models::balancing_policies(),
          [](const std::string& name, const models::Params& params) { models::make_balancing_policy(name, params); }};
}

ScenarioReader::PolicyKind ScenarioReader::backoff_kind() {
  return {"backoff", "backoff", &models::backoff_policies(),
          [](const std::string& name, const models::Params& params) { models::make_backoff_policy(name, params); }};
}

// `policy = "<name>"` plus that policy's parameters as the other keys of the section.
void ScenarioReader::read_policy(const PolicyKind& kind, std::string& policy, models::Params& params) const {
  const std::string& name = kind.section;
  const Names own = section(name).names();
  const toml::table* table = table_at(root(), name, name);
  const toml::node* policy_node = nullptr;
  if (table != nullptr) {
    read_string(*table, name + ".", "policy", policy);
    policy_node = table->get("policy");
  }
  const models::PolicyInfo* info = models::find_policy(*kind.registry, policy);
  if (info == nullptr) {
    const models::ParamError error = models::unknown_policy_error(kind.noun, policy, *kind.registry);
    fail(policy_node != nullptr ? policy_node->source() : no_region(), name + ".policy", error.what());
  }
  Names allowed = own;
  for (const models::ParamSpec& spec : info->params) allowed.push_back(spec.name);
  // `--set balancer.policy=...` switches policy: the file's parameters for its own policy that the
  // new one does not take are dropped (an override cannot delete keys). Parameters the new policy
  // does take are kept, and unknown parameters given by --set are still errors.
  const bool policy_overridden = policy_node != nullptr && from_override(policy_node->source());
  models::Params given;
  if (table != nullptr) {
    const std::string where = "[" + name + "] for policy '" + policy + "'";
    for (auto&& [key, value] : *table) {
      if (contains(own, key.str())) continue;
      if (!contains(allowed, key.str())) {
        if (policy_overridden && !from_override(value.source())) continue;
        fail_unknown_key(key, value, where, name + ".", allowed);
      }
      given[std::string(key.str())] = number_of(value, name + "." + std::string(key.str()));
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
    const std::string dotted = name + "." + (param.empty() ? "policy" : param);
    if (!param.empty() && message.starts_with(qualified)) message = dotted + message.substr(qualified.size());
    const toml::node* at = (table != nullptr && !param.empty()) ? table->get(param) : nullptr;
    if (at == nullptr) at = table;
    fail(at != nullptr ? at->source() : no_region(), dotted, message);
  } catch (const std::invalid_argument& e) {
    fail(table != nullptr ? table->source() : no_region(), name, name + ": " + e.what());
  }
}

// The balancer's own keys of [balancer], over the defaults of the software its policy imitates.
void ScenarioReader::read_balancer(models::BalancerSection& out) const {
  models::BalancerSection b = models::balancer_defaults(out.policy);
  b.policy = out.policy;
  b.params = out.params;
  if (const toml::table* table = table_at(root(), "balancer", "balancer")) {
    const schema::Section& sec = section("balancer");
    for (const schema::Key& k : sec.keys) {
      if (k.bound()) read(*table, sec, k.name, "balancer.", b);
    }
    if (const toml::node* ct = table->get("connect_timeout_s"); ct != nullptr && models::balancer_software(b.policy) == "HAProxy") {
      fail(*ct, "balancer.connect_timeout_s",
           "balancer.connect_timeout_s does not apply to an HAProxy preset (" + b.policy +
               "): HAProxy's `timeout connect` is its parameter timeout_connect_s (it also paces its retries)");
    }
    if (const toml::table* hc = table_at(*table, "health_check", "balancer.health_check")) {
      read_all(*hc, section("balancer.health_check"), "[balancer.health_check]", "balancer.health_check.", b.health_check);
    }
    if (const toml::table* passive = table_at(*table, "passive", "balancer.passive")) {
      read_all(*passive, section("balancer.passive"), "[balancer.passive]", "balancer.passive.", b.passive);
    }
    if (const toml::table* ss = table_at(*table, "slow_start", "balancer.slow_start")) {
      read_all(*ss, section("balancer.slow_start"), "[balancer.slow_start]", "balancer.slow_start.", b.slow_start);
    }
  }
  out = b;
}

// [heartbeat]: a library preset's settings, overridden by the keys given (its ping interval goes
// to clients.heartbeat_interval_s unless that key is given).
void ScenarioReader::read_heartbeat(models::FleetConfig& config) const {
  const toml::table* table = table_at(root(), "heartbeat", "heartbeat");
  if (table == nullptr) return;
  const schema::Section& sec = section("heartbeat");
  check_keys(*table, sec, "[heartbeat]", "heartbeat.");
  models::HeartbeatSection& hb = config.heartbeat;
  schema::Scalar name;
  if (read_value(*table, sec.key("preset"), "heartbeat.", name)) {
    const models::HeartbeatPreset* preset = models::find_heartbeat_preset(std::get<std::string>(name));
    hb = preset->section;
    if (root().at_path("clients.heartbeat_interval_s").node() == nullptr) config.clients.heartbeat_interval_s = preset->interval_s;
  }
  read_all(*table, sec, "[heartbeat]", "heartbeat.", hb);
}

// Closes a FILE* when it goes out of scope.
namespace {
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
