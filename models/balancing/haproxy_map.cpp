#include "models/balancing/haproxy_map.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace wsfleet::models {

namespace {
std::int64_t haproxy_uweight(double weight) { return std::clamp<std::int64_t>(std::llround(weight), 1, 256); }
}  // namespace

bool HaproxyMap::refresh(std::span<const BackendState> backends) {
  const bool weights = snapshot_.weights_changed(backends);
  const bool eligibility = snapshot_.eligibility_changed(backends);
  if (!weights && !eligibility) return false;
  rebuild(backends);
  return true;
}

void HaproxyMap::rebuild(std::span<const BackendState> backends) {
  // init_server_map: eweight = uweight / gcd(all uweights) (wdiv = 1 for the map algorithms).
  std::int64_t gcd = 0;
  for (const BackendState& b : backends) gcd = std::gcd(gcd, haproxy_uweight(b.weight));
  if (gcd == 0) gcd = 1;
  std::vector<std::int64_t> eweight(backends.size());
  std::int64_t tot = 0;
  used_ = 0;
  for (std::size_t s = 0; s < backends.size(); ++s) {
    eweight[s] = haproxy_uweight(backends[s].weight) / gcd;
    if (backends[s].eligible) {
      tot += eweight[s];
      ++used_;
    }
  }
  map_.clear();
  if (used_ == 0) return;
  std::vector<std::int64_t> score(backends.size(), 0);
  map_.resize(static_cast<std::size_t>(tot));
  for (std::int64_t o = 0; o < tot; ++o) {
    std::int64_t max = 0;
    int best = kNoBackend;
    for (std::size_t s = 0; s < backends.size(); ++s) {
      if (!backends[s].eligible) continue;
      if (tot == 1) {
        best = static_cast<int>(s);
        break;
      }
      score[s] += eweight[s];
      const std::int64_t v = (score[s] + tot) / tot;
      if (best == kNoBackend || v > max) {
        max = v;
        best = static_cast<int>(s);
      }
    }
    map_[static_cast<std::size_t>(o)] = static_cast<std::uint32_t>(best);
    score[static_cast<std::size_t>(best)] -= tot;
  }
}

}  // namespace wsfleet::models
