// The built-in balancing policies, registered explicitly in one table (no self-registration, which a
// static library's linker may drop).
#include <functional>

#include "models/balancing/least_connections.hpp"
#include "models/balancing/random_two_choices.hpp"
#include "models/balancing/round_robin.hpp"
#include "models/balancing/uniform_random.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

namespace {

/// One registered policy: its description and how to build it from resolved parameters.
struct BalancingEntry {
  PolicyInfo info;
  std::function<std::unique_ptr<BalancingPolicy>(const Params&)> make;
};

const std::vector<BalancingEntry>& builtin_balancing_policies() {
  static const std::vector<BalancingEntry> entries = {
      {{"round_robin", "cycle through the backends in index order, skipping ineligible ones (weights ignored)", {}},
       [](const Params&) { return std::make_unique<RoundRobin>(); }},
      {{"least_connections",
        "fewest active connections per unit of weight; ties take turns (round robin among the tied)",
        {}},
       [](const Params&) { return std::make_unique<LeastConnections>(); }},
      {{"random", "uniformly random eligible backend (weights ignored)", {}},
       [](const Params&) { return std::make_unique<UniformRandom>(); }},
      {{"random_two_choices",
        "sample `choices` distinct eligible backends, keep the fewest connections per unit of weight",
        {ParamSpec{"choices", 2.0, 2.0, 32.0, true, "distinct backends sampled and compared per pick (count)"}}},
       [](const Params& p) { return std::make_unique<RandomTwoChoices>(static_cast<std::size_t>(p.at("choices"))); }},
  };
  return entries;
}

}  // namespace

const std::vector<PolicyInfo>& balancing_policies() {
  static const std::vector<PolicyInfo> infos = [] {
    std::vector<PolicyInfo> out;
    for (const BalancingEntry& entry : builtin_balancing_policies()) out.push_back(entry.info);
    return out;
  }();
  return infos;
}

std::unique_ptr<BalancingPolicy> make_balancing_policy(const std::string& name, const Params& params) {
  for (const BalancingEntry& entry : builtin_balancing_policies()) {
    if (entry.info.name == name) return entry.make(resolve_params(name, entry.info.params, params));
  }
  throw unknown_policy_error("balancing", name, balancing_policies());
}

}  // namespace wsfleet::models
