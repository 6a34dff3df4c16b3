#pragma once
// Least response time, optionally combined with active connections (NGINX Plus least_time-like).
#include "models/balancing/least_score.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `least_response_time`: the eligible backend with the lowest
/// `response_time_s * (active_connections + 1)^connections_exponent / weight`. With exponent 0
/// (the default) only the smoothed response time counts; with 1 it is the expected wait behind
/// the backend's open connections. Ties take turns (rotating scan start).
class LeastResponseTime final : public BalancingPolicy {
 public:
  /// `connections_exponent` >= 0.
  explicit LeastResponseTime(double connections_exponent) : exponent_(connections_exponent) {}
  std::string name() const override { return "least_response_time"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;

 private:
  double exponent_;
  LeastScore least_;
};

}  // namespace wsfleet::models
