// The scenario reader's [[scaling]], [topology] and [[faults]]: keys from the schema, and the
// checks that tie them to the rest of the scenario (server and balancer indices, site names).
#include <algorithm>
#include <cmath>
#include <optional>
#include <cstdint>
#include <string>
#include <utility>

#include "experiments/scenario_reader.hpp"
#include "experiments/schema/limits.hpp"
#include "models/faults/fault_type.hpp"
#include "models/server_classes.hpp"
#include "models/policy_params.hpp"
#include "models/topology.hpp"
#include "sim/time.hpp"

namespace wsfleet::experiments {

using schema::contains;
using schema::Names;
using schema::Range;
using schema::section;

namespace {

// A time on the run's nanosecond clock, as a double: what the engine will use. Results computed
// from it (a fault's detection time) can then never be before it.
double on_clock(double seconds) { return sim::to_seconds(sim::from_seconds(seconds)); }

}  // namespace

void ScenarioReader::read_scaling(models::FleetConfig& config) const {
  const toml::node* node = root().get("scaling");
  if (node == nullptr) return;
  const toml::array* events = node->as_array();
  if (events == nullptr) fail(*node, "scaling", "scaling must be an array of tables, written [[scaling]] " + got(*node));
  const schema::Section& sec = section("scaling");
  const Range when{0.0, config.run.duration_s, false, false, "", "run.duration_s", false};
  std::uint64_t total = config.fleet.servers;
  for (std::size_t i = 0; i < events->size(); ++i) {
    const std::string name = "scaling." + std::to_string(i);
    const std::string prefix = name + ".";
    const toml::node& element = *events->get(i);
    const toml::table* table = element.as_table();
    if (table == nullptr) fail(element, name, name + " must be a table such as {at_s = 300, add = 2} " + got(element));
    check_keys(*table, sec, "[[scaling]] entry " + std::to_string(i), prefix);
    models::ScalingEvent e;
    if (!read(*table, sec, "at_s", prefix, e, &when)) fail(*table, prefix + "at_s", prefix + "at_s is required: when the fleet changes, s");
    read(*table, sec, "add", prefix, e);
    read(*table, sec, "remove", prefix, e);
    read(*table, sec, "min_replicas", prefix, e);
    read(*table, sec, "max_replicas", prefix, e);
    read_string(*table, prefix, "site", e.site);
    for (const char* key : {"min_replicas", "max_replicas"}) {
      const std::optional<double>& v = std::string(key) == "min_replicas" ? e.min_replicas : e.max_replicas;
      if (v && *v != std::floor(*v)) fail(*table->get(key), prefix + key, prefix + key + " must be a whole count (got " + models::format_number(*v) + ")");
    }
    // Under [autoscaler] an entry is a scheduled action (new bounds); without it, servers that join or leave.
    const bool autoscaled = root().get("autoscaler") != nullptr;
    if (autoscaled) {
      for (const char* key : {"add", "remove", "class", "weight", "drain_timeout_s"}) {
        if (const toml::node* n = table->get(key)) {
          fail(*n, prefix + key,
               prefix + key + " cannot be used with [autoscaler]: the autoscaler sets the number of servers (a manual scale of "
               "an HPA-managed Deployment is overridden at the HPA's next sync). A [[scaling]] entry under [autoscaler] is a "
               "scheduled action: give min_replicas and/or max_replicas, the autoscaler's bounds from at_s on (AWS scheduled "
               "scaling: below the new minimum it scales out to it, above the new maximum in to it)");
        }
      }
      if (!e.is_scheduled_action()) {
        fail(*table, prefix + "min_replicas",
             name + " changes nothing: under [autoscaler] a [[scaling]] entry is a scheduled action; give min_replicas "
                    "and/or max_replicas (the autoscaler's new bounds from at_s on)");
      }
      if (e.min_replicas && e.max_replicas && *e.min_replicas > *e.max_replicas) {
        fail(*table->get("min_replicas"), prefix + "min_replicas",
             prefix + "min_replicas must be <= " + prefix + "max_replicas (got " + models::format_number(*e.min_replicas) +
                 " > " + models::format_number(*e.max_replicas) + ")");
      }
      config.scaling.push_back(e);
      continue;
    }
    for (const char* key : {"min_replicas", "max_replicas", "site"}) {
      if (const toml::node* n = table->get(key)) {
        fail(*n, prefix + key, prefix + key + " needs [autoscaler]: it is a scheduled action's new bound for the autoscaler "
                                              "(without one, give add = N or remove = N)");
      }
    }
    if (e.add == 0 && e.remove == 0) {
      fail(*table, prefix + "add", name + " changes nothing: give add = N (servers that join) or remove = N (servers drained and removed)");
    }
    read(*table, sec, "drain_timeout_s", prefix, e);
    Names classes;
    for (const models::ServerClass& c : models::fleet_classes(config.fleet)) classes.push_back(c.name);
    if (!read_choice(*table, prefix, "class", classes, e.server_class) && !config.fleet.classes.empty()) {
      e.server_class = classes.back();  // the last class by default
    }
    schema::Scalar weight;
    if (read_value(*table, sec.key("weight"), prefix, weight)) {
      e.weight = std::get<double>(weight);
    } else if (!config.fleet.classes.empty()) {
      e.weight = config.fleet.classes[static_cast<std::size_t>(models::find_fleet_class(config.fleet, e.server_class))].weight;
    }
    total += e.add;
    if (total > 100000) fail(*table, prefix + "add", "fleet.servers plus every [[scaling]] add must be <= 100000 (got " + std::to_string(total) + ")");
    config.scaling.push_back(e);
  }
}

void ScenarioReader::read_count_or_percent(const toml::table& table, const std::string& prefix, std::string_view key,
                                           double& value, bool& percent) const {
  const toml::node* node = table.get(key);
  if (node == nullptr) return;
  const std::string dotted = prefix + std::string(key);
  const std::string allowed = " must be a count (an integer >= 0) or a percent of the replicas such as \"25%\" (at most 100%)";
  if (const auto* i = node->as_integer()) {
    if (i->get() < 0 || i->get() > 100000) fail(*node, dotted, dotted + allowed + " (got " + std::to_string(i->get()) + ")");
    value = static_cast<double>(i->get());
    percent = false;
    return;
  }
  const auto* s = node->as_string();
  if (s == nullptr) fail(*node, dotted, dotted + allowed + " " + got(*node));
  const std::string text = s->get();
  std::size_t digits = 0;
  bool dot = false, ok = text.size() >= 2 && text.back() == '%';
  for (std::size_t k = 0; ok && k + 1 < text.size(); ++k) {
    const char c = text[k];
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c == '.' && !dot && digits > 0) {
      dot = true;
    } else {
      ok = false;
    }
  }
  if (!ok || digits == 0 || text[text.size() - 2] == '.') fail(*node, dotted, dotted + allowed + " (got \"" + text + "\")");
  const double v = std::stod(text.substr(0, text.size() - 1));
  if (v > 100.0) fail(*node, dotted, dotted + allowed + " (got \"" + text + "\")");
  value = v;
  percent = true;
}

void ScenarioReader::read_deploys(models::FleetConfig& config) const {
  const toml::node* node = root().get("deploys");
  if (node == nullptr) return;
  const toml::array* entries = node->as_array();
  if (entries == nullptr) fail(*node, "deploys", "deploys must be an array of tables, written [[deploys]] " + got(*node));
  if (const toml::table* topo = root().get_as<toml::table>("topology");
      topo != nullptr && topo->get("sites") != nullptr && root().get("autoscaler") == nullptr) {
    fail(*node, "deploys",
         "[[deploys]] with [[topology.sites]] needs [autoscaler] (one controller per site: a rollout's new servers take "
         "the slots of the site whose servers they replace); without it the new servers would all land in the last site");
  }
  const schema::Section& sec = section("deploys");
  const Range when{0.0, config.run.duration_s, false, false, "", "run.duration_s", false};
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const std::string name = "deploys." + std::to_string(i);
    const std::string prefix = name + ".";
    const toml::node& element = *entries->get(i);
    const toml::table* table = element.as_table();
    if (table == nullptr) fail(element, name, name + " must be a table such as {at_s = 300, max_surge = 1} " + got(element));
    check_keys(*table, sec, "[[deploys]] entry " + std::to_string(i), prefix);
    models::DeployEvent e;
    if (!read(*table, sec, "at_s", prefix, e, &when)) fail(*table, prefix + "at_s", prefix + "at_s is required: when the rollout starts, s");
    for (const char* key : {"strategy", "ready_after_s", "ready_jitter_s", "min_ready_s", "prestop_s", "grace_s", "on_sigterm",
                            "canary_hold_s"}) {
      read(*table, sec, key, prefix, e);
    }
    read_count_or_percent(*table, prefix, "max_surge", e.max_surge, e.max_surge_percent);
    read_count_or_percent(*table, prefix, "max_unavailable", e.max_unavailable, e.max_unavailable_percent);
    read_count_or_percent(*table, prefix, "canary", e.canary, e.canary_percent);
    if (const toml::node* ps = table->get("per_site")) {
      const std::string dotted = prefix + "per_site";
      if (const auto* b = ps->as_boolean()) {
        e.per_site = b->get();
      } else if (const auto* s = ps->as_string(); s == nullptr || s->get() != "auto") {
        fail(*ps, dotted, dotted + " must be true (one Deployment per site), false (one over every site) or \"auto\" " +
                              (s != nullptr ? "(got \"" + s->get() + "\")" : got(*ps)));
      }
    }
    if (e.max_surge == 0.0 && e.max_unavailable == 0.0) {
      const toml::node* at = table->get("max_unavailable");
      fail(at ? *at : *table, prefix + "max_unavailable",
           prefix + "max_unavailable may not be 0 when max_surge is 0: the rollout could never start (as the Deployment API rules)");
    }
    if (e.strategy == models::DeployStrategy::Canary && e.canary == 0.0) {
      const toml::node* at = table->get("canary");
      fail(at ? *at : *table, prefix + "canary", prefix + "canary must be at least 1 server (or a percent above 0)");
    }
    if (i > 0 && e.at_s < config.deploys.back().at_s) {
      fail(*table, prefix + "at_s", prefix + "at_s must not be before the previous deploy's (" + models::format_number(config.deploys.back().at_s) + ")");
    }
    const std::uint64_t total = static_cast<std::uint64_t>(config.base_servers()) * (i + 2);
    if (total > 100000) {
      fail(*table, name, "every [[deploys]] entry starts a new set of fleet.servers plus [[scaling]] adds servers; with this one " +
                             std::to_string(total) + " servers would exist, over 100000");
    }
    config.deploys.push_back(e);
  }
}

void ScenarioReader::read_topology(models::FleetConfig& config) const {
  const toml::table* table = table_at(root(), "topology", "topology");
  if (table == nullptr) return;
  check_keys(*table, section("topology"), "[topology]", "topology.");
  models::TopologySection& topo = config.topology;
  const schema::Section& link_sec = section("topology.links");
  const auto links = table_array(*table, "links", link_sec, "{between = [\"eu\", \"eu-west\"], latency_ms = 12}");
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
    if (!read(*links[i], link_sec, "latency_ms", prefix, link)) {
      fail(*links[i], prefix + "latency_ms", prefix + "latency_ms is required: the one-way latency of the link, ms");
    }
    topo.links.push_back(link);
  }
  const schema::Section& site_sec = section("topology.sites");
  const auto sites = table_array(*table, "sites", site_sec, "{name = \"eu-west\", servers = 4}");
  Names site_names;
  for (std::size_t i = 0; i < sites.size(); ++i) {
    const std::string prefix = "topology.sites." + std::to_string(i) + ".";
    models::TopologySite site;
    site.name = unique_name(*sites[i], prefix, "the place (a node of the links) the site is at", site_names, "site");
    const bool counted = read(*sites[i], site_sec, "servers", prefix, site);
    const bool shared = read(*sites[i], site_sec, "share", prefix, site);
    if (counted == shared) {
      fail(*sites[i], prefix + (counted ? "share" : "servers"),
           prefix + (counted ? "servers and share exclude each other" : "servers or share is required") +
               ": give how many of the fleet's servers the site holds (servers = 4), or its share of them "
               "(share = 0.5, which follows fleet.servers)");
    }
    topo.sites.push_back(site);
  }
  const schema::Section& region_sec = section("topology.regions");
  const auto regions = table_array(*table, "regions", region_sec, "{name = \"eu\", share = 0.4}");
  Names region_names;
  for (std::size_t i = 0; i < regions.size(); ++i) {
    const std::string prefix = "topology.regions." + std::to_string(i) + ".";
    models::TopologyRegion region;
    region.name = unique_name(*regions[i], prefix, "the place (a node of the links) the clients are at", region_names, "region");
    if (!read(*regions[i], region_sec, "share", prefix, region)) {
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

void ScenarioReader::read_faults(models::FleetConfig& config) const {
  const toml::node* node = root().get("faults");
  if (node == nullptr) return;
  const toml::array* faults = node->as_array();
  if (faults == nullptr) fail(*node, "faults", "faults must be an array of tables, written [[faults]] " + got(*node));
  const schema::Section& sec = section("faults");
  const Names& types = sec.key("type").choices;
  const std::int64_t last_server = static_cast<std::int64_t>(config.total_servers()) - 1;
  std::string last_label = config.scaling.empty() ? "fleet.servers - 1" : "fleet.servers + [[scaling]] adds - 1";
  if (!config.deploys.empty()) last_label = "(fleet.servers + [[scaling]] adds) x (1 + [[deploys]] entries) - 1";
  for (std::size_t i = 0; i < faults->size(); ++i) {
    const std::string name = "faults." + std::to_string(i);
    const std::string prefix = name + ".";
    const toml::node& element = *faults->get(i);
    const toml::table* table = element.as_table();
    if (table == nullptr) fail(element, name, name + " must be a table such as {type = \"crash\", server = 3, at_s = 300} " + got(element));
    check_keys(*table, sec, "[[faults]] entry " + std::to_string(i), prefix);
    std::string type;
    if (!read_choice(*table, prefix, "type", types, type)) {
      fail(*table, prefix + "type", prefix + "type is required: the kind of fault (one of: " + join(types, ", ") + ")");
    }
    // The kind (models/faults/) says which key names what it hits: the others do not belong.
    const models::FaultType& kind = *models::find_fault_type(type);
    const std::string own_key(kind.target_key());
    models::CrashFault fault;
    fault.target = kind.target();
    for (const models::FaultType* other : models::fault_types()) {
      const std::string key(other->target_key());
      if (key.empty() || key == own_key) continue;
      if (const toml::node* wrong = table->get(key); wrong != nullptr) {
        fail(*wrong, prefix + key, prefix + key + " is for type = \"" + std::string(other->name()) + "\"; " +
                                       (own_key.empty() ? "a " + type + " names nothing (there is one broker)"
                                                        : "a " + type + " names its " + own_key));
      }
    }
    if (fault.target == models::FaultTarget::Broker && !config.pubsub.enabled()) {
      fail(*table, prefix + "type", prefix + "type = \"" + type + "\" needs [pubsub] (pubsub.channels >= 1)");
    }
    if (own_key == "share") {
      if (!read(*table, sec, "share", prefix, fault)) {
        fail(*table, prefix + "share", prefix + "share is required: the share of the clients whose WebSocket breaks, > 0 and <= 1");
      }
    } else if (own_key == "site") {
      Names sites;
      for (const auto& site : config.topology.sites) sites.push_back(site.name);
      if (sites.empty()) fail(*table, prefix + "type", prefix + "type = \"" + type + "\" needs [[topology.sites]]");
      if (!read_choice(*table, prefix, "site", sites, fault.site)) {
        fail(*table, prefix + "site", prefix + "site is required: the name of a [[topology.sites]] entry (" + join(sites, ", ") + ")");
      }
    } else if (own_key == "server") {
      read_int(*table, prefix, "server", 0, last_server, fault.server, last_label);
    } else if (own_key == "balancer") {
      const std::int64_t sites = std::max<std::int64_t>(1, static_cast<std::int64_t>(config.topology.sites.size()));
      read_int(*table, prefix, "balancer", 0, static_cast<std::int64_t>(config.balancer.count) * sites - 1,
               fault.balancer, sites > 1 ? "balancer.count x sites - 1" : "balancer.count - 1");
    }
    // The gray failures' own keys belong to their kind only.
    using T = models::FaultTarget;
    const std::pair<const char*, std::vector<T>> own[] = {{"factor", {T::SlowServer}},
                                                          {"period_s", {T::HealthFlap}},
                                                          {"latency_ms", {T::LinkDegrade}},
                                                          {"loss", {T::DroppedMessages, T::LinkLoss}},
                                                          {"region", {T::LinkDown}}};
    for (const auto& [key, targets] : own) {
      if (std::find(targets.begin(), targets.end(), fault.target) != targets.end()) {
        read(*table, sec, key, prefix, fault);
      } else if (const toml::node* wrong = table->get(key); wrong != nullptr) {
        std::string kinds;
        for (const T t : targets) kinds += std::string(kinds.empty() ? "" : " or ") + "type = \"" + std::string(models::fault_type(t).name()) + "\"";
        fail(*wrong, prefix + key, prefix + key + " is for " + kinds + ", not \"" + type + "\"");
      }
    }
    if (fault.target == T::LinkLoss && !(fault.loss < 1.0)) {
      fail(*table->get("loss"), prefix + "loss", prefix + "loss must be < 1 for type = \"link_loss\" (a link that loses every packet is type = \"link_down\")");
    }
    if (fault.target == T::LinkDown && !fault.region.empty()) {
      Names regions;
      for (const auto& r : config.topology.regions) regions.push_back(r.name);
      if (regions.empty()) fail(*table->get("region"), prefix + "region", prefix + "region needs [[topology.regions]]");
      if (!read_choice(*table, prefix, "region", regions, fault.region)) {
        fail(*table, prefix + "region", prefix + "region must name a [[topology.regions]] entry (" + join(regions, ", ") + ")");
      }
    }
    const Range when{0.0, config.run.duration_s, false, false, "", "run.duration_s", false};
    if (read(*table, sec, "at_s", prefix, fault, &when)) fault.at_s = on_clock(fault.at_s);
    schema::Scalar recover;
    if (read_value(*table, sec.key("recover_after_s"), prefix, recover)) fault.recover_after_s = std::get<double>(recover);
    config.faults.push_back(fault);
  }
}

}  // namespace wsfleet::experiments
