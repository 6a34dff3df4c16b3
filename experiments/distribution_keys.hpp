#pragma once
// How a sim::Distribution is spelled in scenario files: its name and parameter keys. Shared by the
// loader and the writer so the two can never disagree.
#include <string>
#include <vector>

#include "sim/distribution.hpp"

namespace wsfleet::experiments {

/// One distribution kind as written in a scenario file.
struct DistributionKeys {
  sim::Distribution::Kind kind;   ///< the kind
  std::string name;               ///< `distribution = "<name>"`, as in sim::Distribution::kind_names()
  std::vector<std::string> keys;  ///< parameter keys in factory order (seconds, except pareto's unitless shape)
};

/// Every kind: constant {value_s}, exponential {mean_s}, uniform {low_s, high_s},
/// lognormal {mean_s, stddev_s}, pareto {scale_s, shape}, never {}.
const std::vector<DistributionKeys>& distribution_keys();

/// The entry for `kind` (every kind has one).
const DistributionKeys& distribution_keys(sim::Distribution::Kind kind);

/// The entry named `name`, or nullptr.
const DistributionKeys* find_distribution_keys(const std::string& name);

}  // namespace wsfleet::experiments
