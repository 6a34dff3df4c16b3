#include "models/balancing/haproxy_source.hpp"

#include "models/balancing/hash_functions.hpp"

namespace wsfleet::models {

int HaproxySource::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)rng;
  map_.refresh(backends);
  const auto& slots = map_.slots();
  if (slots.empty()) return kNoBackend;
  std::uint32_t h = 0;
  if (map_.used() > 1) {
    h = client_ipv4(request.key);
    if (avalanche_) h = haproxy_full_hash(h);
  }
  return static_cast<int>(slots[h % slots.size()]);
}

}  // namespace wsfleet::models
