#include "models/balancing/haproxy_leastconn.hpp"

#include "models/balancing/haproxy_roundrobin.hpp"

namespace wsfleet::models {

int HaproxyLeastconn::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  (void)rng;
  if (positions_.size() != backends.size()) positions_.assign(backends.size(), Position{});
  int best = kNoBackend;
  for (std::size_t s = 0; s < backends.size(); ++s) {
    const BackendState& b = backends[s];
    Position& pos = positions_[s];
    if (!b.eligible) {
      pos.queued = false;  // out of the tree while down
      continue;
    }
    const auto inflight = static_cast<std::uint64_t>(b.active_connections + b.queued);
    const std::uint64_t key =
        inflight == 0 ? 0 : (inflight + 1) * 4096u / static_cast<std::uint64_t>(haproxy_eweight(b.weight));
    if (!pos.queued || pos.key != key) {
      pos.key = key;
      pos.seq = seq_++;
      pos.queued = true;
    }
    if (b.max_connections > 0 && b.active_connections + b.queued >= b.max_connections) continue;
    if (best == kNoBackend) {
      best = static_cast<int>(s);
      continue;
    }
    const Position& bp = positions_[static_cast<std::size_t>(best)];
    if (pos.key < bp.key || (pos.key == bp.key && pos.seq < bp.seq)) best = static_cast<int>(s);
  }
  return best;
}

}  // namespace wsfleet::models
