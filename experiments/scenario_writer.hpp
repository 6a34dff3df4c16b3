#pragma once
// The effective scenario as TOML: written next to run results so a run can be repeated exactly.
#include <string>

#include "models/fleet_config.hpp"

namespace wsfleet::experiments {

/// The complete scenario as TOML text: every section and key with its value (defaults filled in,
/// policy parameters included), floats in shortest round-trip form, so that loading it back
/// (load_scenario_string) gives a FleetConfig equal to `config` for any valid `config`.
/// Empty fleet.weights is written as `weights = []` (all 1); a session that never ends as
/// `session = "never"`; faults as [[faults]] tables. Throws std::invalid_argument when an
/// integer does not fit a TOML integer (seed, replication or client count above 2^63 - 1).
std::string scenario_to_toml(const models::FleetConfig& config);

}  // namespace wsfleet::experiments
