#include "models/balancing/least_response_time.hpp"

#include <cmath>

namespace wsfleet::models {

int LeastResponseTime::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  (void)rng;
  return least_.pick(backends, [this](const BackendState& b) {
    const double connections = static_cast<double>(b.active_connections) + 1.0;
    const double factor = exponent_ == 0.0 ? 1.0 : exponent_ == 1.0 ? connections : std::pow(connections, exponent_);
    return b.response_time_s * factor / b.weight;
  });
}

}  // namespace wsfleet::models
