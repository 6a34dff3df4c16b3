#include "models/balancing/envoy_least_request.hpp"

#include <cmath>

#include "models/balancing/envoy_round_robin.hpp"

namespace wsfleet::models {

double EnvoyLeastRequest::dynamic_weight(const BackendState& b) const {
  const double active = static_cast<double>(b.active_connections + b.queued) + 1.0;
  if (bias_ == 1.0) return b.weight / active;
  if (bias_ == 0.0) return b.weight;
  return b.weight / std::pow(active, bias_);
}

void EnvoyLeastRequest::refresh(std::span<const BackendState> backends) {
  hosts_.clear();
  for (std::size_t i = 0; i < backends.size(); ++i) {
    if (backends[i].eligible) hosts_.push_back(i);
  }
  weighted_ = hosts_.size() > 1 && !eligible_weights_equal(backends);
  edf_.clear();
  if (weighted_) {
    for (const std::size_t h : hosts_) edf_.add(h, dynamic_weight(backends[h]));
  }
}

int EnvoyLeastRequest::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  const bool members = snapshot_.members_changed(backends);
  const bool health = snapshot_.eligibility_changed(backends);
  if (members || health) refresh(backends);
  if (hosts_.empty()) return kNoBackend;
  if (weighted_) {
    const std::size_t h = edf_.pop();
    edf_.add(h, dynamic_weight(backends[h]));
    return static_cast<int>(h);
  }
  std::size_t candidate = hosts_[rng.below(hosts_.size())];
  for (std::size_t choice = 1; choice < choice_count_; ++choice) {
    const std::size_t sampled = hosts_[rng.below(hosts_.size())];
    if (backends[sampled].active_connections + backends[sampled].queued <
        backends[candidate].active_connections + backends[candidate].queued) {
      candidate = sampled;
    }
  }
  return static_cast<int>(candidate);
}

}  // namespace wsfleet::models
