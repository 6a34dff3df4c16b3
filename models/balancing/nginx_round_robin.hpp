#pragma once
// NGINX's default upstream balancing (src/http/ngx_http_upstream_round_robin.c).
#include "models/balancing/nginx_peers.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `nginx_round_robin`: smooth weighted round robin with whole-number weights (round(weight),
/// at least 1): each pick adds every available peer's effective_weight to its current_weight
/// (and raises effective_weight by 1 towards weight), takes the highest current_weight (the
/// first in configuration order on a tie) and subtracts the total. Weights 5,1,1 give
/// a a b a c a a. A failed attempt (on_failure) lowers the peer's effective_weight by
/// weight / max_fails (integer division, floor 0), which then climbs back by 1 per pick; marking
/// the peer down after max_fails failures for fail_timeout is the balancer's job (eligible).
/// Peers at max_connections (NGINX max_conns) are skipped.
class NginxRoundRobin final : public BalancingPolicy {
 public:
  explicit NginxRoundRobin(double max_fails) : max_fails_(max_fails) {}
  std::string name() const override { return "nginx_round_robin"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;
  void on_backends_changed(std::span<const BackendState> backends) override { wrr_.sync(backends); }
  void on_failure(std::size_t backend) override { wrr_.fail(backend, max_fails_); }
  /// The peer's effective_weight now (for tests and notebooks).
  double effective_weight(std::size_t backend) const { return wrr_.effective_weight(backend); }

 private:
  double max_fails_;
  SmoothWrr wrr_{true};
};

}  // namespace wsfleet::models
