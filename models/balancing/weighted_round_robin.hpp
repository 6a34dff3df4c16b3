#pragma once
// Smooth weighted round robin (NGINX's algorithm, real-valued weights).
#include "models/balancing/smooth_wrr.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `weighted_round_robin`: smooth WRR over the eligible backends: each pick adds every eligible
/// backend's weight to its current weight, takes the highest (first in index order on a tie) and
/// subtracts the total from it. Weights 5,1,1 give a a b a c a a; every window of sum(weights)
/// picks matches the weights exactly while no eligibility changes. Weights may be fractional.
/// A weight change keeps the accumulated current weights; a count change resets them.
class WeightedRoundRobin final : public BalancingPolicy {
 public:
  std::string name() const override { return "weighted_round_robin"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;
  void on_backends_changed(std::span<const BackendState> backends) override { wrr_.sync(backends); }

 private:
  SmoothWrr wrr_{false};
};

}  // namespace wsfleet::models
