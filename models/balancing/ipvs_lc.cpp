#include "models/balancing/ipvs_lc.hpp"

namespace wsfleet::models {

int IpvsLc::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  (void)rng;
  int least = kNoBackend;
  std::int64_t least_overhead = 0;
  for (std::size_t i = 0; i < backends.size(); ++i) {
    if (!backends[i].eligible) continue;
    const std::int64_t overhead = backends[i].active_connections * 256 + backends[i].inactive_connections;
    if (least == kNoBackend || overhead < least_overhead) {
      least = static_cast<int>(i);
      least_overhead = overhead;
    }
  }
  return least;
}

}  // namespace wsfleet::models
