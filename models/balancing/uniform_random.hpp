#pragma once
// Uniform random choice among eligible backends (Envoy's `random`; weights ignored).

#include <string>
#include <utility>

#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `random`: each eligible backend with equal probability, whatever its weight or load. One draw
/// of rng.below(eligible count) per pick. Also the preset `envoy_random` (Envoy's random load
/// balancer: random() % number of healthy hosts, weights ignored).
class UniformRandom final : public BalancingPolicy {
 public:
  /// `name`: the registry name this instance answers to ("random", "envoy_random").
  explicit UniformRandom(std::string name = "random") : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  /// A uniformly chosen eligible backend, or kNoBackend.
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;

 private:
  std::string name_;
};

}  // namespace wsfleet::models
