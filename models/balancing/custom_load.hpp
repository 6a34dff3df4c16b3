#pragma once
// A weighted score over the backends' load vector (the seed list's SNMP-style balancer).
#include <Eigen/Dense>

#include "models/balancing/least_score.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// Number of custom metrics (BackendState::metrics[0..3]) custom_load can weigh.
inline constexpr std::size_t kCustomLoadMetrics = 4;
/// Length of the load vector custom_load reads.
inline constexpr std::size_t kCustomLoadSize = kLoadVectorFixed + kCustomLoadMetrics;

/// `custom_load`: the eligible backend with the lowest score `c . v / weight`, where v is the
/// backend's load vector (cpu, memory, connections, response time, bandwidth, queued, metrics[0..3];
/// see LoadVectorIndex) and c the coefficients given as parameters. Ties take turns.
class CustomLoad final : public BalancingPolicy {
 public:
  using Vector = Eigen::Matrix<double, static_cast<int>(kCustomLoadSize), 1>;
  /// `coefficients` in load-vector order.
  explicit CustomLoad(const Vector& coefficients) : coefficients_(coefficients) {}
  std::string name() const override { return "custom_load"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;
  /// The score of one backend (lower is preferred).
  double score(const BackendState& backend) const;

 private:
  Vector coefficients_;
  LeastScore least_;
};

}  // namespace wsfleet::models
