#include "models/balancing/round_robin.hpp"

namespace wsfleet::models {

int RoundRobin::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  (void)rng;
  const std::size_t n = backends.size();
  if (n == 0) return kNoBackend;
  // The fleet may have shrunk since the last pick; continue from the same place modulo the new size.
  const std::size_t start = next_ % n;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t position = (start + i) % n;
    const std::size_t index = descending_ ? n - 1 - position : position;
    if (backends[index].eligible) {
      next_ = position + 1;
      return static_cast<int>(index);
    }
  }
  return kNoBackend;
}

}  // namespace wsfleet::models
