#pragma once
// A consistent-hashing ring (Karger et al.), points per unit of weight configurable.
#include "models/balancing/backend_changes.hpp"
#include "models/balancing/hash_ring.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `consistent_hash`: each backend gets round(points_per_weight * weight) points (at least 1) at
/// mix64(mix64(id) + i); a key maps to the first point at or after mix64(key), walking on past
/// points of ineligible backends (the same result as removing them from the ring). Adding a
/// backend moves only about 1/n of the keys, all of them to the new backend.
class ConsistentHash final : public BalancingPolicy {
 public:
  explicit ConsistentHash(double points_per_weight) : points_per_weight_(points_per_weight) {}
  std::string name() const override { return "consistent_hash"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;
  void on_backends_changed(std::span<const BackendState> backends) override;

 private:
  double points_per_weight_;
  HashRing ring_;
  BackendSnapshot snapshot_;
};

/// Walks the ring from `position` to the first point whose backend is eligible; kNoBackend if
/// none is (checks at most every point once).
int first_eligible_point(const HashRing& ring, std::size_t position, std::span<const BackendState> backends);

}  // namespace wsfleet::models
