#pragma once
// Least loaded by CPU utilisation.
#include "models/balancing/least_score.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `least_loaded`: the eligible backend with the lowest cpu_utilisation / weight (the reported,
/// possibly stale, utilisation); ties take turns (rotating scan start).
class LeastLoaded final : public BalancingPolicy {
 public:
  std::string name() const override { return "least_loaded"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;

 private:
  LeastScore least_;
};

}  // namespace wsfleet::models
