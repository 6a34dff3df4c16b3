#pragma once
// HAProxy `balance static-rr` (src/lb_map.c, map_get_server_rr).
#include <cstddef>

#include "models/balancing/haproxy_map.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `haproxy_static_rr`: walks HAProxy's server map (see HaproxyMap) slot by slot from where the
/// last pick stopped, passing over saturated servers (max_connections reached or queued). Weights
/// 5,1,1 give a a a b a a c; weights 1,2 give a b b and 3,2,1 give a a b a b c (roundrobin: b b a
/// and a b a c a b). Weights
/// are whole numbers and do not change at run time in HAProxy (no slow start); a changed weight or
/// eligibility rebuilds the map, keeping the position.
class HaproxyStaticRr final : public BalancingPolicy {
 public:
  std::string name() const override { return "haproxy_static_rr"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;

 private:
  HaproxyMap map_;
  std::size_t rr_idx_ = 0;
};

}  // namespace wsfleet::models
