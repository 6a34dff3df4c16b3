#pragma once
// Scenario files: TOML in, a validated models::FleetConfig out. The schema, its defaults and its
// ranges are documented in experiments/scenarios/default.toml; every rule is enforced here with a
// message that points at the offending key ("FILE:LINE:COL: ...").
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "experiments/scenario_error.hpp"
#include "experiments/scenario_writer.hpp"  // scenario_to_toml, the inverse of loading
#include "models/fleet_config.hpp"

namespace wsfleet::experiments {

/// Loads and validates the scenario file at `path`, then applies `overrides` ("dotted.key=value",
/// as given to `wsfleet run --set`, in order; see apply_override) and validates the result as one.
/// Keys not given keep the FleetConfig defaults; policy parameters come back complete (defaults
/// filled). Throws ScenarioError: "PATH: cannot open scenario file: ..." when unreadable, otherwise
/// "PATH:LINE:COL: ..." at the offending key or value, or "--set KEY=VALUE: ..." for an override.
models::FleetConfig load_scenario_file(const std::string& path, const std::vector<std::string>& overrides = {});

/// The same for TOML text; `source_name` names it in messages (e.g. a file name or "<string>").
models::FleetConfig load_scenario_string(std::string_view toml, const std::string& source_name,
                                         const std::vector<std::string>& overrides = {});

/// The largest scenario file read, bytes (64 MiB); larger files are refused, not parsed.
inline constexpr std::size_t kMaxScenarioFileBytes = 64u * 1024u * 1024u;

}  // namespace wsfleet::experiments
