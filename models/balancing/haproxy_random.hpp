#pragma once
// HAProxy `balance random(N)` (src/backend.c get_server_rnd).
#include <cstddef>

#include "models/balancing/haproxy_chash.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `haproxy_random`: `draws` times, a random 32-bit value is looked up in HAProxy's
/// consistent-hash tree (so a server's chance follows its share of the tree, i.e. its weight);
/// each new draw replaces the kept server unless it carries more connections per unit of weight
/// (served * kept.eweight > kept.served * eweight keeps the earlier one). Equal loads keep the
/// newer draw (HAProxy would compare recent session rates, which the simulation does not track).
/// Draws are with replacement. A saturated winner gives kNoBackend (HAProxy queues the request).
class HaproxyRandom final : public BalancingPolicy {
 public:
  explicit HaproxyRandom(std::size_t draws) : draws_(draws) {}
  std::string name() const override { return "haproxy_random"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;

 private:
  std::size_t draws_;
  HaproxyChash tree_;
};

}  // namespace wsfleet::models
