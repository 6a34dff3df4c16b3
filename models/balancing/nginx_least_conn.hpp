#pragma once
// NGINX `least_conn` (src/http/modules/ngx_http_upstream_least_conn_module.c).
#include "models/balancing/nginx_peers.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `nginx_least_conn`: the available peer with the fewest conns/weight, compared as
/// `conns * best.weight < best.conns * weight` (whole-number weights). When several peers tie
/// for the minimum, a smooth-WRR pass over the tied peers only (current_weight += effective_weight,
/// highest wins, first on a tie, winner gives back the total) chooses among them; the smooth-WRR
/// state is the same one NGINX's round robin keeps.
class NginxLeastConn final : public BalancingPolicy {
 public:
  std::string name() const override { return "nginx_least_conn"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;
  void on_backends_changed(std::span<const BackendState> backends) override { wrr_.sync(backends); }

 private:
  SmoothWrr wrr_{true};
};

}  // namespace wsfleet::models
