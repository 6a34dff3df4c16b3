#pragma once
// NGINX `hash $remote_addr consistent` (src/http/modules/ngx_http_upstream_hash_module.c): ketama.
#include "models/balancing/backend_changes.hpp"
#include "models/balancing/hash_ring.hpp"
#include "models/balancing/nginx_peers.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `nginx_hash_consistent`: each peer gets 160 * weight points (whole-number weights): with
/// base = crc32 of host "\0" port (the peer's address is backend_address(id), "10.0.0.1:80" for
/// id 0), point j is crc32(base, previous point as 4 little-endian bytes), the first previous
/// point being 0; points are sorted and duplicate hashes dropped. The key is the client address
/// text "a.b.c.d" (client_ipv4(key)); it maps to the first point >= crc32(key), wrapping. An
/// unavailable peer moves on to the next point, up to 20 times, then NGINX's round robin takes
/// over (also with a single peer).
class NginxHashConsistent final : public BalancingPolicy {
 public:
  std::string name() const override { return "nginx_hash_consistent"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;
  void on_backends_changed(std::span<const BackendState> backends) override;

 private:
  HashRing ring_;
  BackendSnapshot snapshot_;
  SmoothWrr wrr_{true};
};

}  // namespace wsfleet::models
