#include "models/balancing/haproxy_random.hpp"

#include "models/balancing/haproxy_roundrobin.hpp"

namespace wsfleet::models {

int HaproxyRandom::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  int kept = kNoBackend;
  for (std::size_t draw = 0; draw < draws_; ++draw) {
    const auto hash = static_cast<std::uint32_t>(rng.next_u64() >> 32);
    const int current = tree_.lookup(backends, hash);
    if (current == kNoBackend) return kNoBackend;
    if (kept != kNoBackend && kept != current) {
      const BackendState& c = backends[static_cast<std::size_t>(current)];
      const BackendState& k = backends[static_cast<std::size_t>(kept)];
      const auto wcurr = static_cast<std::uint64_t>(c.active_connections) * static_cast<std::uint64_t>(haproxy_eweight(k.weight));
      const auto wkept = static_cast<std::uint64_t>(k.active_connections) * static_cast<std::uint64_t>(haproxy_eweight(c.weight));
      if (wcurr > wkept) continue;  // keep the earlier draw
    }
    kept = current;
  }
  if (kept != kNoBackend && saturated(backends[static_cast<std::size_t>(kept)])) return kNoBackend;
  return kept;
}

}  // namespace wsfleet::models
