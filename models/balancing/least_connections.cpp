#include "models/balancing/least_connections.hpp"

#include "models/balancing/connection_load.hpp"

namespace wsfleet::models {

int LeastConnections::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  (void)rng;
  const std::size_t n = backends.size();
  if (n == 0) return kNoBackend;
  const std::size_t start = start_ % n;
  int best = kNoBackend;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t index = (start + i) % n;
    const BackendState& candidate = backends[index];
    if (!candidate.eligible) continue;
    // Strictly fewer only: among equals the first met in scan order (from the rotating start) wins.
    if (best == kNoBackend || fewer_connections_per_weight(candidate, backends[static_cast<std::size_t>(best)])) {
      best = static_cast<int>(index);
    }
  }
  if (best != kNoBackend) start_ = static_cast<std::size_t>(best) + 1;
  return best;
}

}  // namespace wsfleet::models
