#include "models/server_classes.hpp"

#include <stdexcept>
#include <utility>

#include "models/topology.hpp"

namespace wsfleet::models {

std::vector<ServerClass> fleet_classes(const FleetSection& fleet) {
  if (!fleet.classes.empty()) return fleet.classes;
  ServerClass c;
  c.name = "default";
  c.servers = fleet.servers;
  c.max_connections = fleet.max_connections;
  c.cpu_cores = fleet.cpu_cores;
  c.base_memory_mib = fleet.base_memory_mib;
  c.memory_per_connection_kib = fleet.memory_per_connection_kib;
  c.cost_per_hour = fleet.cost_per_hour;
  c.memory_limit_mib = fleet.memory_limit_mib;
  return {c};
}

int find_fleet_class(const FleetSection& fleet, const std::string& name) {
  const std::vector<ServerClass> classes = fleet_classes(fleet);
  for (std::size_t i = 0; i < classes.size(); ++i) {
    if (classes[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

namespace {

ServerSpec spec_of(const ServerClass& c, std::uint32_t index) {
  ServerSpec s;
  s.class_index = index;
  s.max_connections = c.max_connections;
  s.cpu_cores = c.cpu_cores;
  s.base_memory_mib = c.base_memory_mib;
  s.memory_per_connection_kib = c.memory_per_connection_kib;
  s.weight = c.weight;
  s.cost_per_hour = c.cost_per_hour;
  s.memory_limit_mib = c.memory_limit_mib;
  return s;
}

void check_classes(const FleetSection& fleet) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < fleet.classes.size(); ++i) {
    const ServerClass& c = fleet.classes[i];
    const std::string key = "fleet.classes." + std::to_string(i);
    if (c.name.empty()) throw std::invalid_argument(key + ".name must not be empty");
    for (std::size_t j = 0; j < i; ++j) {
      if (fleet.classes[j].name == c.name) {
        throw std::invalid_argument(key + ".name '" + c.name + "' is used by an earlier class");
      }
    }
    if (c.servers == 0) throw std::invalid_argument(key + ".servers must be >= 1");
    if (c.max_connections == 0 || c.cpu_cores == 0) {
      throw std::invalid_argument(key + ": max_connections and cpu_cores must be >= 1");
    }
    if (!(c.weight > 0.0)) throw std::invalid_argument(key + ".weight must be > 0");
    sum += c.servers;
  }
  if (sum != fleet.servers) {
    throw std::invalid_argument("fleet.servers is " + std::to_string(fleet.servers) + " but the [[fleet.classes]] hold " +
                                std::to_string(sum) + " servers: with classes, fleet.servers is their sum");
  }
  if (!fleet.weights.empty()) {
    throw std::invalid_argument("fleet.weights cannot be used with [[fleet.classes]]: give each class a weight");
  }
}

}  // namespace

std::vector<ServerSpec> server_specs(const FleetConfig& config) {
  const FleetSection& fleet = config.fleet;
  if (!fleet.classes.empty()) check_classes(fleet);
  if (!fleet.weights.empty() && fleet.weights.size() != fleet.servers) {
    throw std::invalid_argument("fleet.weights must have one entry per server");
  }
  const std::vector<ServerClass> classes = fleet_classes(fleet);
  std::vector<ServerSpec> specs;
  specs.reserve(config.total_servers());
  for (std::uint32_t k = 0; k < classes.size(); ++k) {
    for (std::uint32_t i = 0; i < classes[k].servers; ++i) specs.push_back(spec_of(classes[k], k));
  }
  for (std::size_t i = 0; i < fleet.weights.size(); ++i) specs[i].weight = fleet.weights[i];
  for (std::size_t n = 0; n < config.scaling.size(); ++n) {
    const ScalingEvent& e = config.scaling[n];
    int k = static_cast<int>(classes.size()) - 1;
    if (!e.server_class.empty()) {
      k = find_fleet_class(fleet, e.server_class);
      if (k < 0) {
        throw std::invalid_argument("scaling." + std::to_string(n) + ".class '" + e.server_class +
                                    "' is not a [[fleet.classes]] name");
      }
    }
    ServerSpec s = spec_of(classes[static_cast<std::size_t>(k)], static_cast<std::uint32_t>(k));
    s.weight = e.weight;
    specs.insert(specs.end(), e.add, s);
  }
  // Each [[deploys]] entry's new servers: a copy of the base servers (the k-th new server started
  // has the spec of base server k).
  const std::size_t base = specs.size();
  for (std::size_t d = 0; d < config.deploy_sets(); ++d) {
    for (std::size_t i = 0; i < base; ++i) specs.push_back(specs[i]);
  }
  if (config.autoscaler.enabled()) {
    int k = static_cast<int>(classes.size()) - 1;
    if (!config.autoscaler.server_class.empty()) {
      k = find_fleet_class(fleet, config.autoscaler.server_class);
      if (k < 0) {
        throw std::invalid_argument("autoscaler.class '" + config.autoscaler.server_class + "' is not a [[fleet.classes]] name");
      }
    }
    const ServerSpec added = spec_of(classes[static_cast<std::size_t>(k)], static_cast<std::uint32_t>(k));
    const std::vector<std::uint32_t> site_slots = config.autoscaler_site_slots();
    if (site_slots.empty()) {
      specs.insert(specs.end(), config.autoscaler_slots(), added);
    } else {
      // One autoscaler per site: each site's slots follow its own servers (models::Topology's extra).
      const std::vector<std::uint32_t> counts = site_server_counts(config.topology.sites, static_cast<std::uint32_t>(specs.size()));
      std::vector<ServerSpec> laid;
      laid.reserve(config.total_servers());
      std::size_t next = 0;
      for (std::size_t site = 0; site < counts.size(); ++site) {
        laid.insert(laid.end(), specs.begin() + static_cast<std::ptrdiff_t>(next),
                    specs.begin() + static_cast<std::ptrdiff_t>(next + counts[site]));
        next += counts[site];
        laid.insert(laid.end(), site_slots[site], added);
      }
      specs = std::move(laid);
    }
  }
  return specs;
}

}  // namespace wsfleet::models
