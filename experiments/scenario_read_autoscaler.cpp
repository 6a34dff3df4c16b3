// The scenario reader's [autoscaler] and [[autoscaler.sites]]: the policy and its parameters, the
// metric, the class and provisioning of the servers it adds, and every controller's bounds (per site,
// through the [[scaling]] scheduled actions) checked as the run will replay them.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>

#include <toml++/toml.h>

#include "experiments/scenario_reader.hpp"
#include "experiments/toml_text.hpp"
#include "models/autoscaling_policy.hpp"
#include "models/server_classes.hpp"

namespace wsfleet::experiments {

using schema::contains;
using schema::Names;
using schema::section;

ScenarioReader::PolicyKind ScenarioReader::autoscaling_kind() {
  return {"autoscaler", "autoscaling", &models::autoscaling_policies(),
          [](const std::string& name, const models::Params& params) { models::make_autoscaling_policy(name, params); }};
}

// [autoscaler]: off without the section; with it, a policy and its parameters, the metric, the class
// of the servers it adds and their provisioning.
void ScenarioReader::read_autoscaler(models::FleetConfig& config) const {
  const toml::table* table = table_at(root(), "autoscaler", "autoscaler");
  if (table == nullptr) return;
  models::AutoscalerSection& a = config.autoscaler;
  const schema::Section& sec = section("autoscaler");
  Names names;
  for (const models::PolicyInfo& info : models::autoscaling_policies()) names.push_back(info.name);
  if (table->get("policy") == nullptr) {
    fail(*table, "autoscaler.policy", "[autoscaler] needs a policy: one of " + join(names, ", "));
  }
  read_policy(autoscaling_kind(), a.policy, a.params);
  read(*table, sec, "metric", "autoscaler.", a);
  read(*table, sec, "readiness_delay_s", "autoscaler.", a);
  read(*table, sec, "drain_timeout_s", "autoscaler.", a);
  if (read_string(*table, "autoscaler.", "class", a.server_class) &&
      models::find_fleet_class(config.fleet, a.server_class) < 0) {
    Names classes;
    for (const models::ServerClass& c : config.fleet.classes) classes.push_back(c.name);
    fail(*table->get("class"), "autoscaler.class",
         "autoscaler.class '" + a.server_class + "' is not a [[fleet.classes]] name" +
             (classes.empty() ? std::string(" (there are no [[fleet.classes]])") : " (classes: " + join(classes, ", ") + ")"));
  }
  if (const toml::node* node = table->get("provisioning")) {
    const toml::table* dist = node->as_table();
    if (dist == nullptr) {
      fail(*node, "autoscaler.provisioning",
           "autoscaler.provisioning must be a table such as {distribution = \"constant\", value_s = 60} " + got(*node));
    }
    a.provisioning_s = read_distribution_table(*dist, "autoscaler.provisioning");
    if (a.provisioning_s.kind() == sim::Distribution::Kind::Never) {
      fail(*node, "autoscaler.provisioning", "autoscaler.provisioning cannot be 'never': a server it adds must boot");
    }
  }
  read_autoscaler_sites(config, *table);
  if (a.metric == models::AutoscalerMetric::P99Latency) {
    const auto it = a.params.find("target_average_value");
    if (it != a.params.end() && !(it->second > 0.0)) {
      fail(*table, "autoscaler.target_average_value",
           "autoscaler.metric = \"p99_latency\" needs target_average_value > 0: the p99 latency to aim for, ms "
           "(a latency has no capacity to take target_utilization_pct of)");
    }
  }
  if (a.metric == models::AutoscalerMetric::BufferedBytes && !config.pubsub.enabled()) {
    fail(*table, "autoscaler.metric", "autoscaler.metric = \"buffered_bytes\" needs [pubsub] (there are no send buffers without it)");
  }
}

// [[autoscaler.sites]] (one controller per [[topology.sites]] site, each with its own bounds) and the
// [[scaling]] scheduled actions under [autoscaler]: every controller's bounds, replayed in time
// order, must stay valid.
void ScenarioReader::read_autoscaler_sites(models::FleetConfig& config, const toml::table& table) const {
  models::AutoscalerSection& a = config.autoscaler;
  const schema::Section& sec = section("autoscaler.sites");
  Names site_names;
  for (const models::TopologySite& site : config.topology.sites) site_names.push_back(site.name);
  const std::vector<const toml::table*> entries =
      table_array(table, "sites", sec, "{site = \"eu-west\", min_replicas = 2, max_replicas = 20}");
  if (!entries.empty() && !config.topology.enabled()) {
    fail(*table.get("sites"), "autoscaler.sites", "[[autoscaler.sites]] needs [[topology.sites]]: it gives a site's own bounds");
  }
  Names seen;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string prefix = "autoscaler.sites." + std::to_string(i) + ".";
    models::AutoscalerSite entry;
    entry.site = required_name(*entries[i], prefix, "site", "a [[topology.sites]] name");
    if (!contains(site_names, entry.site)) {
      fail(*entries[i]->get("site"), prefix + "site",
           prefix + "site '" + entry.site + "' is not a [[topology.sites]] name (sites: " + join(site_names, ", ") + ")");
    }
    if (contains(seen, entry.site)) fail(*entries[i]->get("site"), prefix + "site", prefix + "site '" + entry.site + "' is given twice");
    seen.push_back(entry.site);
    read(*entries[i], sec, "min_replicas", prefix, entry);
    read(*entries[i], sec, "max_replicas", prefix, entry);
    for (const char* key : {"min_replicas", "max_replicas"}) {
      const std::optional<double>& v = std::string(key) == "min_replicas" ? entry.min_replicas : entry.max_replicas;
      if (v && *v != std::floor(*v)) fail(*entries[i]->get(key), prefix + key, prefix + key + " must be a whole count (got " + models::format_number(*v) + ")");
    }
    a.sites.push_back(entry);
  }
  if (config.topology.enabled()) {
    // Each site's slots follow its own servers, so a fault's server number counts the scenario's own
    // servers (site by site, as [[topology.sites]] lays them out) and the run maps it into its site
    // (models::Topology::scenario_server); a server an autoscaler launches has no number of its own.
    if (const toml::array* faults = root().get("faults") != nullptr ? root().get("faults")->as_array() : nullptr) {
      for (std::size_t i = 0; i < faults->size(); ++i) {
        const toml::table* f = faults->get(i)->as_table();
        const toml::node* server = f != nullptr ? f->get("server") : nullptr;
        if (server == nullptr || config.faults[i].server < config.base_servers()) continue;
        const std::string key = "faults." + std::to_string(i) + ".server";
        fail(*server, key,
             key + " must be at most " + std::to_string(config.base_servers() - 1) +
                 " (fleet.servers + [[scaling]] adds - 1) with [autoscaler] and [[topology.sites]]: a fault names one of "
                 "the scenario's own servers, numbered site by site; the servers a site's autoscaler launches have no "
                 "number in the scenario (got " + std::to_string(config.faults[i].server) + ")");
      }
    }
  }
  // Each controller's parameters, then its bounds through the scheduled actions in time order.
  Names groups = config.topology.enabled() ? site_names : Names{""};
  std::vector<std::size_t> order(config.scaling.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return config.scaling[x].at_s < config.scaling[y].at_s; });
  for (std::size_t i = 0; i < config.scaling.size(); ++i) {
    const models::ScalingEvent& e = config.scaling[i];
    if (e.site.empty()) continue;
    const std::string key = "scaling." + std::to_string(i) + ".site";
    const toml::node* at = root().at_path(key).node();
    if (!config.topology.enabled()) {
      fail(at != nullptr ? at->source() : table.source(), key, key + " needs [[topology.sites]] (without sites there is one autoscaler)");
    }
    if (!contains(site_names, e.site)) {
      fail(at != nullptr ? at->source() : table.source(), key,
           key + " '" + e.site + "' is not a [[topology.sites]] name (sites: " + join(site_names, ", ") + ")");
    }
  }
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    const std::string& site = groups[gi];
    const models::Params params = a.site_params(site);
    std::unique_ptr<models::AutoscalingPolicy> policy;
    try {
      policy = models::make_autoscaling_policy(a.policy, params);
    } catch (const std::exception& e) {
      fail(table, "autoscaler.sites", "[autoscaler] for site " + site + ": " + e.what());
    }
    // A site at zero has no server to report its metric: only a controller that reads the demand
    // from outside can bring it back (KEDA: its activation reads the site's own demand). The others
    // would stay at zero for good, so a per-site minimum of 0 is refused for them, with the reason.
    // The HPA with the HPAScaleToZero gate on (scale_to_zero = 1) and an External metric
    // (external_target_per_s > 0: the site's own demand, read from outside) may go to zero.
    const bool gate = a.policy == "kubernetes_hpa" && params.count("scale_to_zero") != 0 && params.at("scale_to_zero") == 1.0;
    const bool external = a.policy == "kubernetes_hpa" && params.count("external_target_per_s") != 0 &&
                          params.at("external_target_per_s") > 0.0;
    auto zero_check = [&](std::int32_t min, const std::string& key, const toml::source_region& region) {
      if (!config.topology.enabled() || min != 0 || a.policy == "keda" || (gate && external)) return;
      std::string why;
      if (a.policy != "kubernetes_hpa") {
        why = "at zero instances no instance reports the metric (its alarms have no datapoints), so the site would "
              "never scale back";
      } else if (!gate) {
        why = "the HPA allows minReplicas 0 only behind the alpha HPAScaleToZero feature gate (scale_to_zero = 1, off) "
              "and with an Object or External metric; this autoscaler's metric is per pod (Resource/Pods): the API "
              "refuses it, and a site at zero would have no pod to report and never scale back";
      } else {
        why = "scale_to_zero = 1 (HPAScaleToZero) needs an Object or External metric, and this autoscaler's only metric is "
              "per pod (Resource/Pods), which no pod reports at zero: give external_target_per_s > 0 (the site's "
              "connection attempts per second per replica, read from outside)";
      }
      fail(region, key,
           key + ": site " + site + "'s " + a.policy + " autoscaler cannot have a minimum of 0: " + why +
               "; give a minimum >= 1, " + (a.policy == "kubernetes_hpa" && !(gate && external)
                                                ? "set scale_to_zero = 1 with external_target_per_s > 0, "
                                                : "") +
               "or use policy = \"keda\" (its activation reads the site's own demand from outside and scales it back "
               "from zero)");
    };
    {
      // Point at the key that set this site's minimum: its [[autoscaler.sites]] entry, else the section's.
      std::string key = "autoscaler." + a.min_key();
      const toml::node* at = table.get(a.min_key());
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (a.sites[i].site == site && a.sites[i].min_replicas) {
          key = "autoscaler.sites." + std::to_string(i) + ".min_replicas";
          at = entries[i]->get("min_replicas");
        }
      }
      zero_check(policy->min_replicas(), key, at != nullptr ? at->source() : table.source());
    }
    for (std::size_t k : order) {
      const models::ScalingEvent& e = config.scaling[k];
      if (!e.site.empty() && e.site != site) continue;
      const std::int32_t min = e.min_replicas ? static_cast<std::int32_t>(*e.min_replicas) : policy->min_replicas();
      const std::int32_t max = e.max_replicas ? static_cast<std::int32_t>(*e.max_replicas) : policy->max_replicas();
      const std::string key = "scaling." + std::to_string(k);
      const toml::node* at = root().at_path(key).node();
      const toml::source_region& region = at != nullptr ? at->source() : table.source();
      if (min > max) {
        fail(region, key + (e.min_replicas ? ".min_replicas" : ".max_replicas"),
             key + " leaves the autoscaler" + (site.empty() ? std::string() : " of site " + site) + " with min " +
                 std::to_string(min) + " > max " + std::to_string(max) + " (bounds carry over from earlier entries and [autoscaler])");
      }
      zero_check(min, key + ".min_replicas", region);
      policy->set_bounds(min, max);
    }
  }
}

}  // namespace wsfleet::experiments
