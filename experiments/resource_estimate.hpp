#pragma once
// How much memory a run needs, estimated from the scenario before it starts, so that a run that
// cannot fit this machine is refused with the keys that make it large rather than dying half-way
// (measured on the engine: about 100 bytes per client, 160 more per pub/sub subscription).
#include <cstdint>
#include <string>

#include "models/fleet_config.hpp"

namespace wsfleet::experiments {

/// The estimate, with the key that contributes most.
struct MemoryEstimate {
  double bytes = 0.0;        ///< the whole run's peak, roughly (within a factor of about 1.5)
  std::string largest_key;   ///< "clients.count", "fleet.servers" or "pubsub.channels"
};

/// The memory `config` needs to run.
MemoryEstimate estimate_memory(const models::FleetConfig& config);

/// Physical memory of this machine, bytes (0 when unknown).
double machine_memory_bytes();

/// "" when the run fits in `machine_bytes` (or that is 0), else the refusal: "this scenario needs
/// about 93.2 GB of memory; this machine has 24.0 GB: reduce clients.count".
std::string memory_refusal(const MemoryEstimate& estimate, double machine_bytes);

}  // namespace wsfleet::experiments
