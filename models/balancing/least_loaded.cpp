#include "models/balancing/least_loaded.hpp"

namespace wsfleet::models {

int LeastLoaded::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  (void)rng;
  return least_.pick(backends, [](const BackendState& b) { return b.cpu_utilisation / b.weight; });
}

}  // namespace wsfleet::models
