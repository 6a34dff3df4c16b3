#include "models/balancing/haproxy_source_consistent.hpp"

#include "models/balancing/hash_functions.hpp"

namespace wsfleet::models {

int HaproxySourceConsistent::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)rng;
  std::uint32_t h = client_ipv4(request.key);
  if (avalanche_) h = haproxy_full_hash(h);
  // get_server_sh does not hash at all when a single server is usable (h = 0): same server anyway.
  return tree_.lookup(backends, h);
}

}  // namespace wsfleet::models
