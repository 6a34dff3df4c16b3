#pragma once
// NGINX `random two least_conn` (src/http/modules/ngx_http_upstream_random_module.c).
#include <vector>

#include "models/balancing/nginx_peers.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `nginx_random_two_least_conn`: draws peers at random in proportion to their whole-number
/// weights (x = random % total_weight located in the cumulative ranges); a draw equal to the
/// first pick or unavailable is a wasted try. Of two distinct available draws the second is kept
/// unless it has more conns per weight (`conns2 * weight1 > conns1 * weight2`), so a tie keeps the
/// second. After 20 wasted tries (or with fewer than two peers) NGINX's round robin takes over.
class NginxRandomTwoLeastConn final : public BalancingPolicy {
 public:
  std::string name() const override { return "nginx_random_two_least_conn"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;
  void on_backends_changed(std::span<const BackendState> backends) override { wrr_.sync(backends); }

 private:
  SmoothWrr wrr_{true};
  std::vector<double> range_;  ///< cumulative weight before each peer
};

}  // namespace wsfleet::models
