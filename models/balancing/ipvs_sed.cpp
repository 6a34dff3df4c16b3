#include "models/balancing/ipvs_sed.hpp"

#include <algorithm>
#include <cmath>

namespace wsfleet::models {

std::int64_t ipvs_weight(double weight) { return std::max<std::int64_t>(1, std::llround(weight)); }

int IpvsSed::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  (void)rng;
  int least = kNoBackend;
  std::int64_t least_overhead = 0, least_weight = 1;
  for (std::size_t k = 0; k < backends.size(); ++k) {
    const std::size_t i = ipvs_list_index(k, backends.size(), newest_first_);
    if (!backends[i].eligible) continue;
    const std::int64_t overhead = backends[i].active_connections + 1;
    const std::int64_t weight = ipvs_weight(backends[i].weight);
    if (least == kNoBackend || least_overhead * weight > overhead * least_weight) {
      least = static_cast<int>(i);
      least_overhead = overhead;
      least_weight = weight;
    }
  }
  return least;
}

}  // namespace wsfleet::models
