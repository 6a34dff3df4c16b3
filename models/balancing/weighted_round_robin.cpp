#include "models/balancing/weighted_round_robin.hpp"

namespace wsfleet::models {

int WeightedRoundRobin::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  (void)rng;
  wrr_.sync(backends);  // O(n); also covers a caller that never signalled on_backends_changed
  return wrr_.pick(backends.size(), [&](std::size_t i) { return backends[i].eligible; });
}

}  // namespace wsfleet::models
