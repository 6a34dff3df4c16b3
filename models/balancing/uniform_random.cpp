#include "models/balancing/uniform_random.hpp"

#include <cstddef>
#include <cstdint>

namespace wsfleet::models {

int UniformRandom::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  std::uint64_t eligible = 0;
  for (const BackendState& backend : backends) {
    if (backend.eligible) ++eligible;
  }
  if (eligible == 0) return kNoBackend;
  std::uint64_t remaining = rng.below(eligible);
  for (std::size_t index = 0; index < backends.size(); ++index) {
    if (!backends[index].eligible) continue;
    if (remaining == 0) return static_cast<int>(index);
    --remaining;
  }
  return kNoBackend;  // unreachable: `remaining` < eligible count
}

}  // namespace wsfleet::models
