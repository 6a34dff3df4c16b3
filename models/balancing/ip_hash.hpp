#pragma once
// Modulo hashing of the client identity (generic "IP hash" / source hash).
#include <cstdint>
#include <vector>

#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `ip_hash`: h = mix64(key); the backend is found by walking the weights to the point
/// (h / 2^64) * total_weight over ALL configured backends. If that backend is ineligible, h is
/// rehashed (h = mix64(h)) and tried again, up to `tries` times in all; then the first eligible
/// backend after the last candidate, in index order. Deterministic for a given key and fleet; a
/// change in the backend count or weights remaps most keys (unlike consistent_hash and maglev).
class IpHash final : public BalancingPolicy {
 public:
  explicit IpHash(std::size_t tries) : tries_(tries) {}
  std::string name() const override { return "ip_hash"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;
  void on_backends_changed(std::span<const BackendState> backends) override;

 private:
  std::size_t tries_;
  std::vector<double> cumulative_;  ///< cumulative weights, index order
};

}  // namespace wsfleet::models
