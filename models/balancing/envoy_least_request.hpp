#pragma once
// Envoy's least_request (source/extensions/load_balancing_policies/least_request/least_request_lb.cc).
#include <cstddef>
#include <vector>

#include "models/balancing/backend_changes.hpp"
#include "models/balancing/edf_scheduler.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `envoy_least_request`: over the eligible (healthy) hosts, in index order. Equal weights:
/// `choice_count` hosts drawn uniformly WITH replacement (random % n); a later draw replaces the
/// candidate only with strictly fewer active requests (an upgraded WebSocket is one active request
/// for its life: active_connections + queued). Unequal weights: the EDF schedule of
/// envoy_round_robin with the dynamic weight `weight / (active + 1)^active_request_bias`, computed
/// for the picked host when it is re-added (other hosts' deadlines stay as they were, as in Envoy).
/// The schedule is rebuilt when eligibility or the backend set changes.
class EnvoyLeastRequest final : public BalancingPolicy {
 public:
  EnvoyLeastRequest(std::size_t choice_count, double active_request_bias)
      : choice_count_(choice_count), bias_(active_request_bias) {}
  std::string name() const override { return "envoy_least_request"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;

 private:
  double dynamic_weight(const BackendState& b) const;
  void refresh(std::span<const BackendState> backends);
  std::size_t choice_count_;
  double bias_;
  std::vector<std::size_t> hosts_;
  bool weighted_ = false;
  EdfScheduler edf_;
  BackendSnapshot snapshot_;
};

}  // namespace wsfleet::models
