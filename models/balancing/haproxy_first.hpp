#pragma once
// HAProxy `balance first` (src/lb_fas.c).
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `haproxy_first`: the first eligible server in configuration (index) order that is not
/// saturated (max_connections unset, or active < max_connections and nothing queued). Without
/// max_connections the first server takes every connection; with it servers fill up one after
/// another, so idle ones can be stopped. None left gives kNoBackend (HAProxy queues the request).
class HaproxyFirst final : public BalancingPolicy {
 public:
  std::string name() const override { return "haproxy_first"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;
};

}  // namespace wsfleet::models
