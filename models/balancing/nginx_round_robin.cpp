#include "models/balancing/nginx_round_robin.hpp"

namespace wsfleet::models {

int NginxRoundRobin::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  (void)rng;
  return nginx_round_robin_pick(wrr_, backends);
}

}  // namespace wsfleet::models
