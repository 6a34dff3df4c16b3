#pragma once
// Server classes: what each server of the fleet is (its limits, cores, memory, weight and price),
// resolved from [fleet] and [[fleet.classes]] for every server that ever exists (fleet.servers,
// then every [[scaling]] add in order).
#include <cstdint>
#include <string>
#include <vector>

#include "models/fleet_config.hpp"

namespace wsfleet::models {

/// One server's resolved settings.
struct ServerSpec {
  std::uint32_t class_index = 0;          ///< into fleet_classes()
  std::uint32_t max_connections = 0;      ///< hard connection limit
  std::uint32_t cpu_cores = 1;            ///< cores serving its CPU queue
  double base_memory_mib = 0.0;           ///< memory of the idle process, MiB
  double memory_per_connection_kib = 0.0; ///< per open connection, KiB
  double weight = 1.0;                    ///< balancer weight
  double cost_per_hour = 0.0;             ///< price per hour
  double memory_limit_mib = 0.0;          ///< killed above this memory, MiB; 0 = no limit
};

/// The fleet's classes: [[fleet.classes]], or without them one class named "default" with the
/// [fleet] keys and fleet.servers servers.
std::vector<ServerClass> fleet_classes(const FleetSection& fleet);

/// The index of the class named `name` in fleet_classes(fleet), or -1.
int find_fleet_class(const FleetSection& fleet, const std::string& name);

/// Every server that ever exists, in index order. Servers are assigned to the classes in class
/// order; a [[scaling]] add's servers are of its class (the last class when it names none) and
/// have its weight. Throws std::invalid_argument naming the key when the classes are inconsistent
/// (duplicate or empty names, a class without servers, counts that do not add up to fleet.servers,
/// fleet.weights with classes or of the wrong length, an unknown class in [[scaling]]).
std::vector<ServerSpec> server_specs(const FleetConfig& config);

}  // namespace wsfleet::models
