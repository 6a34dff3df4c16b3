#pragma once
// What every NGINX upstream module shares (src/http/ngx_http_upstream_round_robin.c): the peer
// availability test and the smooth weighted round robin that the other modules fall back to.
#include "models/balancing/smooth_wrr.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// NGINX skips a peer that is down or failed (here: not eligible) or whose max_conns is reached.
inline bool nginx_available(const BackendState& b) {
  return b.eligible && !(b.max_connections > 0 && b.active_connections >= b.max_connections);
}

/// ngx_http_upstream_get_peer: smooth WRR over the available peers with NGINX's whole-number
/// weights and effective_weight ramp.
inline int nginx_round_robin_pick(SmoothWrr& wrr, std::span<const BackendState> backends) {
  wrr.sync(backends);
  return wrr.pick(backends.size(), [&](std::size_t i) { return nginx_available(backends[i]); });
}

}  // namespace wsfleet::models
