#pragma once
// HAProxy's server map (src/lb_map.c), used by `static-rr` and the map-based hashes (`source`,
// `uri`, ... without `hash-type consistent`).
#include <cstdint>
#include <vector>

#include "models/balancing/backend_changes.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// The map of `tot` slots (tot = sum of the usable servers' weights divided by the GCD of all
/// weights), filled by recalc_server_map: for each slot every usable server adds its weight to its
/// score, the server with the highest (score + tot) / tot (integer division; the first in
/// configuration order on a tie) takes the slot and gives back tot. Weights are HAProxy's whole
/// numbers: round(weight), 1..256. Rebuilt when eligibility or weights change (checked in O(n)).
class HaproxyMap {
 public:
  /// Rebuilds if the view changed since the last call; true if it did.
  bool refresh(std::span<const BackendState> backends);
  /// Backend index per slot (empty when no backend is usable).
  const std::vector<std::uint32_t>& slots() const { return map_; }
  /// Number of usable servers.
  std::size_t used() const { return used_; }

 private:
  void rebuild(std::span<const BackendState> backends);
  std::vector<std::uint32_t> map_;
  std::size_t used_ = 0;
  BackendSnapshot snapshot_;
};

}  // namespace wsfleet::models
