#pragma once
// Uniform random choice among eligible backends (Envoy's `random`; weights ignored).

#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `random`: each eligible backend with equal probability, whatever its weight or load. One draw
/// of rng.below(eligible count) per pick.
class UniformRandom final : public BalancingPolicy {
 public:
  /// The registry name, "random".
  std::string name() const override { return "random"; }
  /// A uniformly chosen eligible backend, or kNoBackend.
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;
};

}  // namespace wsfleet::models
