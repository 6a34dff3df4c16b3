#pragma once
// HAProxy's consistent-hash tree (src/lb_chash.c), used by `hash-type consistent` and `random`.
#include <cstdint>

#include "models/balancing/backend_changes.hpp"
#include "models/balancing/hash_ring.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// Each usable server owns eweight = round(weight * 16) nodes (16 per unit of weight) at
/// full_hash(puid * 4096 + node) with puid = id + 1 (HAProxy's default `hash-key id`). A hash
/// maps to the CLOSER of the node at or after it and the node before it (the one before on a
/// tie), wrapping around. Down servers' nodes leave the tree: it is rebuilt over the eligible
/// servers when eligibility or weights change (checked in O(n) per lookup).
class HaproxyChash {
 public:
  /// Rebuilds if needed, then the server for `hash`, or kNoBackend when none is eligible.
  int lookup(std::span<const BackendState> backends, std::uint32_t hash);
  /// Number of usable servers after the last lookup.
  std::size_t used() const { return used_; }

 private:
  void rebuild(std::span<const BackendState> backends);
  HashRing ring_;
  std::size_t used_ = 0;
  BackendSnapshot snapshot_;
};

}  // namespace wsfleet::models
