#include "models/balancing/least_bandwidth.hpp"

namespace wsfleet::models {

int LeastBandwidth::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  (void)rng;
  return least_.pick(backends, [](const BackendState& b) { return b.bandwidth_bps / b.weight; });
}

}  // namespace wsfleet::models
