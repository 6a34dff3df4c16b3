#pragma once
// Least bandwidth: the backend currently moving the fewest bytes per second per unit of weight.
#include "models/balancing/least_score.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `least_bandwidth`: the eligible backend with the lowest bandwidth_bps / weight (last reported
/// traffic); ties take turns (rotating scan start).
class LeastBandwidth final : public BalancingPolicy {
 public:
  std::string name() const override { return "least_bandwidth"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;

 private:
  LeastScore least_;
};

}  // namespace wsfleet::models
