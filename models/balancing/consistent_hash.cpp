#include "models/balancing/consistent_hash.hpp"

#include <algorithm>
#include <cmath>

#include "models/balancing/ring_budget.hpp"

namespace wsfleet::models {

int first_eligible_point(const HashRing& ring, std::size_t position, std::span<const BackendState> backends) {
  bool any = false;
  for (const BackendState& b : backends) any = any || b.eligible;
  if (!any || ring.empty()) return kNoBackend;
  for (std::size_t step = 0; step < ring.size(); ++step) {
    const std::size_t backend = ring.at(position + step).backend;
    if (backend < backends.size() && backends[backend].eligible) return static_cast<int>(backend);
  }
  return kNoBackend;
}

void ConsistentHash::on_backends_changed(std::span<const BackendState> backends) {
  if (!snapshot_.weights_changed(backends)) return;
  ring_.clear();
  double total = 0.0;
  for (const BackendState& b : backends) total += std::max(1.0, std::round(points_per_weight_ * b.weight));
  const double scale = ring_scale(total);
  for (std::size_t b = 0; b < backends.size(); ++b) {
    const std::uint64_t points = ring_points(points_per_weight_ * backends[b].weight, scale);
    const std::uint64_t base = sim::mix64(backends[b].id);
    for (std::uint64_t i = 0; i < points; ++i) ring_.add(sim::mix64(base + i), b);
  }
  ring_.sort();
}

int ConsistentHash::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)rng;
  if (backends.empty()) return kNoBackend;
  on_backends_changed(backends);  // no-op unless the weights or ids changed unsignalled (O(n) compare)
  return first_eligible_point(ring_, ring_.first_at_or_after(sim::mix64(request.key)), backends);
}

}  // namespace wsfleet::models
