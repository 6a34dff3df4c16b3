#include "models/load_balancer.hpp"

#include <utility>
#include <stdexcept>

namespace wsfleet::models {

LoadBalancer::LoadBalancer(std::unique_ptr<BalancingPolicy> policy, const std::vector<double>& weights, sim::Rng rng)
    : policy_(std::move(policy)), rng_(rng) {
  if (!policy_) throw std::invalid_argument("LoadBalancer: null policy");
  if (weights.empty()) throw std::invalid_argument("LoadBalancer: needs at least one backend");
  backends_.resize(weights.size());
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (!(weights[i] > 0.0)) throw std::invalid_argument("LoadBalancer: weights must be > 0");
    backends_[i].weight = weights[i];
    backends_[i].id = i;  // distinct identities for the hashing policies
  }
  policy_->on_backends_changed(backends_);
}

int LoadBalancer::pick(std::uint64_t key) {
  const int b = policy_->pick(backends_, PickRequest{key}, rng_);
  if (b != kNoBackend && (b < 0 || static_cast<std::size_t>(b) >= backends_.size() || !backends_[static_cast<std::size_t>(b)].eligible)) {
    throw std::logic_error("balancing policy '" + policy_->name() + "' picked an invalid or ineligible backend");
  }
  return b;
}

BackendState& LoadBalancer::at(int b) {
  if (b < 0 || static_cast<std::size_t>(b) >= backends_.size()) throw std::out_of_range("LoadBalancer: bad backend index");
  return backends_[static_cast<std::size_t>(b)];
}

void LoadBalancer::connection_opened(int b) { ++at(b).active_connections; }

void LoadBalancer::connection_closed(int b) {
  auto& s = at(b);
  if (s.active_connections <= 0) throw std::logic_error("LoadBalancer: closing a connection that is not open");
  --s.active_connections;
}

void LoadBalancer::drop_all(int b) { at(b).active_connections = 0; }

void LoadBalancer::set_eligible(int b, bool eligible) {
  at(b).eligible = eligible;
  policy_->on_backends_changed(backends_);
}

}  // namespace wsfleet::models
