#include "models/balancing/ip_hash.hpp"

#include <algorithm>

namespace wsfleet::models {

void IpHash::on_backends_changed(std::span<const BackendState> backends) {
  cumulative_.resize(backends.size());
  double total = 0.0;
  for (std::size_t i = 0; i < backends.size(); ++i) cumulative_[i] = total += backends[i].weight;
}

int IpHash::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)rng;
  const std::size_t n = backends.size();
  if (n == 0) return kNoBackend;
  if (cumulative_.size() != n) on_backends_changed(backends);
  const double total = cumulative_.back();
  std::uint64_t h = sim::mix64(request.key);
  std::size_t candidate = 0;
  for (std::size_t attempt = 0; attempt < tries_; ++attempt) {
    const double point = static_cast<double>(h >> 11) * 0x1.0p-53 * total;  // in [0, total)
    candidate = static_cast<std::size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), point) - cumulative_.begin());
    candidate = std::min(candidate, n - 1);
    if (backends[candidate].eligible) return static_cast<int>(candidate);
    h = sim::mix64(h);
  }
  for (std::size_t i = 1; i <= n; ++i) {
    const std::size_t index = (candidate + i) % n;
    if (backends[index].eligible) return static_cast<int>(index);
  }
  return kNoBackend;
}

}  // namespace wsfleet::models
