#include "models/balancing/haproxy_first.hpp"

namespace wsfleet::models {

int HaproxyFirst::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  (void)rng;
  for (std::size_t s = 0; s < backends.size(); ++s) {
    if (backends[s].eligible && !saturated(backends[s])) return static_cast<int>(s);
  }
  return kNoBackend;
}

}  // namespace wsfleet::models
