#include "experiments/distribution_keys.hpp"

namespace wsfleet::experiments {

using Kind = sim::Distribution::Kind;

const std::vector<DistributionKeys>& distribution_keys() {
  static const std::vector<DistributionKeys> all = {
      {Kind::Constant, "constant", {"value_s"}},
      {Kind::Exponential, "exponential", {"mean_s"}},
      {Kind::Uniform, "uniform", {"low_s", "high_s"}},
      {Kind::LogNormal, "lognormal", {"mean_s", "stddev_s"}},
      {Kind::Pareto, "pareto", {"scale_s", "shape"}},
      {Kind::Never, "never", {}},
  };
  return all;
}

const DistributionKeys& distribution_keys(Kind kind) {
  for (const DistributionKeys& entry : distribution_keys()) {
    if (entry.kind == kind) return entry;
  }
  return distribution_keys().back();  // unreachable: every kind is listed (a test checks it)
}

const DistributionKeys* find_distribution_keys(const std::string& name) {
  for (const DistributionKeys& entry : distribution_keys()) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

}  // namespace wsfleet::experiments
