#include "models/balancing/least_connections.hpp"

#include "models/balancing/connection_load.hpp"

namespace wsfleet::models {

void LeastConnections::track(std::span<const BackendState> backends) {
  tracked_ = backends.data();
  index_.rebuild(backends);
}

void LeastConnections::on_backends_changed(std::span<const BackendState> backends) {
  if (tracked_ != nullptr && backends.data() == tracked_) index_.rebuild(backends);
}

void LeastConnections::on_backend_changed(std::span<const BackendState> backends, std::size_t backend) {
  if (tracked_ == nullptr || backends.data() != tracked_) return;
  if (backends.size() != index_.size()) return index_.rebuild(backends);
  index_.update(backend, backends[backend]);
}

int LeastConnections::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  (void)rng;
  const std::size_t n = backends.size();
  if (n == 0) return kNoBackend;
  if (tracked_ != nullptr && backends.data() == tracked_ && n == index_.size() && index_.usable()) {
    const int best = index_.pick(start_ % n);
    if (best != kNoBackend) start_ = static_cast<std::size_t>(best) + 1;
    return best;
  }
  return scan(backends);
}

int LeastConnections::scan(std::span<const BackendState> backends) {
  const std::size_t n = backends.size();
  const std::size_t start = start_ % n;
  // The scan runs from the rotating start to the end, then from 0 to the start (no division per
  // candidate), the best so far held in locals: a fleet of hundreds of servers picks once per
  // connection.
  std::size_t best = n;
  double best_conns = 0.0;
  double best_weight = 1.0;
  auto over = [&](std::size_t from, std::size_t to) {
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
  over(start, n);
  over(0, start);
  if (best == n) return kNoBackend;
  start_ = best + 1;
  return static_cast<int>(best);
}

}  // namespace wsfleet::models
