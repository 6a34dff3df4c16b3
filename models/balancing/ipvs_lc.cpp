#include "models/balancing/ipvs_lc.hpp"

namespace wsfleet::models {

int IpvsLc::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  (void)rng;
  int least = kNoBackend;
  std::int64_t least_overhead = 0;
  for (std::size_t k = 0; k < backends.size(); ++k) {
    const std::size_t i = ipvs_list_index(k, backends.size(), newest_first_);
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
