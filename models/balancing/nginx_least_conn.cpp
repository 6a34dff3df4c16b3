#include "models/balancing/nginx_least_conn.hpp"

namespace wsfleet::models {

int NginxLeastConn::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  (void)rng;
  wrr_.sync(backends);
  int best = kNoBackend;
  bool many = false;
  for (std::size_t i = 0; i < backends.size(); ++i) {
    if (!nginx_available(backends[i])) continue;
    if (best == kNoBackend) {
      best = static_cast<int>(i);
      continue;
    }
    const auto b = static_cast<std::size_t>(best);
    const double lhs = static_cast<double>(backends[i].active_connections) * wrr_.weight(b);
    const double rhs = static_cast<double>(backends[b].active_connections) * wrr_.weight(i);
    if (lhs < rhs) {
      best = static_cast<int>(i);
      many = false;
    } else if (lhs == rhs) {
      many = true;
    }
  }
  if (best == kNoBackend || !many) return best;
  const auto b = static_cast<std::size_t>(best);
  const double best_conns = static_cast<double>(backends[b].active_connections);
  const double best_weight = wrr_.weight(b);
  // Peers before `best` cannot tie with it (best is the first minimum), so the pass covers the tied set.
  return wrr_.pick(backends.size(), [&](std::size_t i) {
    return i >= b && nginx_available(backends[i]) &&
           static_cast<double>(backends[i].active_connections) * best_weight == best_conns * wrr_.weight(i);
  });
}

}  // namespace wsfleet::models
