#pragma once
// Helpers shared by the balancing-policy tests: backends of given weights, and picks that each open
// a connection that stays open (as `wsfleet balance`).
#include <cstdint>
#include <vector>

#include "models/balancing_policy.hpp"
#include "sim/random.hpp"

namespace wsfleet::testing {

/// One backend per weight, numbered from 0.
inline std::vector<models::BackendState> weighted(const std::vector<double>& weights) {
  std::vector<models::BackendState> out(weights.size());
  for (std::size_t i = 0; i < weights.size(); ++i) {
    out[i].weight = weights[i];
    out[i].id = i;
  }
  return out;
}

/// Picks `count` times (client key i for the i-th), each pick opening a connection that stays open.
inline std::vector<int> open_picks(models::BalancingPolicy& policy, std::vector<models::BackendState>& backends, int count,
                                   sim::Rng& rng) {
  policy.on_backends_changed(backends);
  std::vector<int> out;
  for (int i = 0; i < count; ++i) {
    const int b = policy.pick(backends, {sim::mix64(static_cast<std::uint64_t>(i))}, rng);
    out.push_back(b);
    if (b >= 0) ++backends[static_cast<std::size_t>(b)].active_connections;
  }
  return out;
}

}  // namespace wsfleet::testing
