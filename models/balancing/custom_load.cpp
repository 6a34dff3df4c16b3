#include "models/balancing/custom_load.hpp"

#include "models/balancing/load_vector.hpp"

namespace wsfleet::models {

double CustomLoad::score(const BackendState& backend) const {
  Vector load;
  fill_load_vector(backend, load);
  return coefficients_.dot(load) / backend.weight;
}

int CustomLoad::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  (void)rng;
  return least_.pick(backends, [this](const BackendState& b) { return score(b); });
}

}  // namespace wsfleet::models
