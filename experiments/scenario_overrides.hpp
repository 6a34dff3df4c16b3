#pragma once
// `--set dotted.key=value` overrides, applied to a parsed scenario before it is validated, so an
// override goes through exactly the checks a file does. Used by the scenario loader.
#include <string>

#include <toml++/toml.h>

namespace wsfleet::experiments {

/// Applies one override, "dotted.key=value", to the scenario table `root`.
/// The key is a dotted path of bare TOML keys; an all-digit segment indexes an array
/// ("faults.0.at_s", "fleet.weights.2"; the index equal to the array's length appends an entry).
/// The value is parsed as one TOML value (5000, 1.5, "text", {distribution = "never"}, [1, 2]);
/// text that is not one valid TOML value is taken as a string (least_connections). A value
/// replaces what was there, tables included; missing tables and arrays on the path are created.
/// Every node added carries "--set KEY=VALUE" as its TOML source path, which the loader uses to
/// attribute later errors to the override. Unknown keys are NOT rejected here (validation does).
/// Throws ScenarioError (file "--set KEY=VALUE", no position) for a malformed override: no '=',
/// a bad key, an index out of range, or a path through a non-table value.
void apply_override(toml::table& root, const std::string& override_text);

/// The prefix of every override's source: "--set ".
inline constexpr const char* kOverrideSourcePrefix = "--set ";

}  // namespace wsfleet::experiments
