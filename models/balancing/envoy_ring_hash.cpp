#include "models/balancing/envoy_ring_hash.hpp"

#include <algorithm>
#include <cmath>

#include "models/balancing/hash_functions.hpp"

namespace wsfleet::models {

void EnvoyRingHash::rebuild(std::span<const BackendState> backends) {
  ring_.clear();
  double total = 0.0;
  for (const BackendState& b : backends) {
    if (b.eligible) total += b.weight;
  }
  if (total <= 0.0) return;
  double min_normalized = 1.0;
  for (const BackendState& b : backends) {
    if (b.eligible) min_normalized = std::min(min_normalized, b.weight / total);
  }
  const double scale = std::min(std::ceil(min_normalized * static_cast<double>(min_ring_)) / min_normalized,
                                static_cast<double>(max_ring_));
  double current = 0.0, target = 0.0;
  for (std::size_t h = 0; h < backends.size(); ++h) {
    if (!backends[h].eligible) continue;
    const std::string prefix = backend_address(backends[h].id) + "_";
    target += scale * (backends[h].weight / total);
    for (std::uint64_t j = 0; current < target; ++j, current += 1.0) {
      ring_.add(xxhash64(prefix + std::to_string(j)), h);
    }
  }
  ring_.sort();
}

int EnvoyRingHash::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)rng;
  const bool weights = snapshot_.weights_changed(backends);
  const bool health = snapshot_.eligibility_changed(backends);
  if (weights || health) rebuild(backends);
  if (ring_.empty()) return kNoBackend;
  const std::uint64_t hash = xxhash64(client_address_text(request.key));
  return static_cast<int>(ring_.at(ring_.first_at_or_after(hash)).backend);
}

}  // namespace wsfleet::models
