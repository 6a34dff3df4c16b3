#pragma once
// NGINX `ip_hash` (src/http/modules/ngx_http_upstream_ip_hash_module.c).
#include "models/balancing/nginx_peers.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `nginx_ip_hash`: the client's IPv4 address is client_ipv4(key); starting from hash = 89, each
/// try runs `hash = (hash * 113 + octet) % 6271` over the first three octets, then walks the peers'
/// whole-number weights to `hash % total_weight` (total over ALL peers). An unavailable peer means
/// another try, continuing from the current hash; after 20 failed tries (or with fewer than two
/// peers) NGINX falls back to its smooth weighted round robin. Clients of one /24 share a peer.
class NginxIpHash final : public BalancingPolicy {
 public:
  std::string name() const override { return "nginx_ip_hash"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;
  void on_backends_changed(std::span<const BackendState> backends) override { wrr_.sync(backends); }

 private:
  SmoothWrr wrr_{true};
};

}  // namespace wsfleet::models
