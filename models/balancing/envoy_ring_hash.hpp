#pragma once
// Envoy's ring_hash (source/extensions/load_balancing_policies/ring_hash/ring_hash_lb.cc).
#include <cstdint>

#include "models/balancing/backend_changes.hpp"
#include "models/balancing/hash_ring.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `envoy_ring_hash`: a ketama ring over the eligible (healthy) hosts. With normalized weights
/// w_i = weight_i / total, scale = min(ceil(min_w * minimum_ring_size) / min_w, maximum_ring_size);
/// walking the hosts in index order with running sums current/target (target += scale * w_i), a
/// host adds entries while current < target, entry j at xxHash64("<address>_<j>") with the address
/// backend_address(id) ("10.0.0.1:80"). The request hash is xxHash64 of the client address text
/// (Envoy's source_ip hash policy; client_ipv4(key)); it maps to the first entry >= hash, wrapping.
/// Rebuilt when eligibility, weights or the backend set change (Envoy rebuilds on host changes).
class EnvoyRingHash final : public BalancingPolicy {
 public:
  EnvoyRingHash(std::uint64_t minimum_ring_size, std::uint64_t maximum_ring_size)
      : min_ring_(minimum_ring_size), max_ring_(maximum_ring_size) {}
  std::string name() const override { return "envoy_ring_hash"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;
  /// Ring entries (for tests).
  std::size_t ring_size() const { return ring_.size(); }

 private:
  void rebuild(std::span<const BackendState> backends);
  std::uint64_t min_ring_, max_ring_;
  HashRing ring_;
  BackendSnapshot snapshot_;
};

}  // namespace wsfleet::models
