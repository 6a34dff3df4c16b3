#include "models/balancing/least_connections.hpp"

#include "models/balancing/connection_load.hpp"

namespace wsfleet::models {

int LeastConnections::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  (void)rng;
  const std::size_t n = backends.size();
  if (n == 0) return kNoBackend;
  const std::size_t start = start_ % n;
  // The scan runs from the rotating start to the end, then from 0 to the start (no division per
  // candidate), the best so far held in locals: a fleet of hundreds of servers picks once per
  // connection.
  std::size_t best = n;
  double best_conns = 0.0;
  double best_weight = 1.0;
  auto scan = [&](std::size_t from, std::size_t to) {
    for (std::size_t index = from; index < to; ++index) {
      const BackendState& candidate = backends[index];
      if (!candidate.eligible) continue;
      const auto conns = static_cast<double>(candidate.active_connections);
      // Strictly fewer only: among equals the first met in scan order (from the rotating start) wins.
      if (best == n || fewer_connections_per_weight(conns, candidate.weight, best_conns, best_weight)) {
        best = index;
        best_conns = conns;
        best_weight = candidate.weight;
      }
    }
  };
  scan(start, n);
  scan(0, start);
  if (best == n) return kNoBackend;
  start_ = best + 1;
  return static_cast<int>(best);
}

}  // namespace wsfleet::models
