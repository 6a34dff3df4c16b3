#pragma once
// The balancer in front of the fleet: keeps its view of every backend and asks its policy to pick.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "models/balancing_policy.hpp"
#include "sim/random.hpp"

namespace wsfleet::models {

/// One load balancer: a policy plus the balancer's own view of the backends.
class LoadBalancer {
 public:
  /// A balancer over one backend per weight (weights > 0), drawing from its own random stream.
  LoadBalancer(std::unique_ptr<BalancingPolicy> policy, const std::vector<double>& weights, sim::Rng rng);

  /// Picks a backend for a new connection from a client with stable identity `key`; kNoBackend if none is eligible.
  int pick(std::uint64_t key);
  /// A connection to backend `b` was opened (counts toward its active connections).
  void connection_opened(int b);
  /// A connection to backend `b` closed.
  void connection_closed(int b);
  /// All connections to backend `b` are gone (it crashed).
  void drop_all(int b);
  /// Marks backend `b` up (eligible) or down.
  void set_eligible(int b, bool eligible);

  /// The balancer's current view.
  std::span<const BackendState> backends() const { return backends_; }
  /// The policy's registry name.
  std::string policy_name() const { return policy_->name(); }

 private:
  BackendState& at(int b);
  std::unique_ptr<BalancingPolicy> policy_;
  std::vector<BackendState> backends_;
  sim::Rng rng_;
};

}  // namespace wsfleet::models
