#include "models/balancing/ipvs_sh.hpp"

#include "models/balancing/hash_functions.hpp"
#include "models/balancing/ipvs_sed.hpp"

namespace wsfleet::models {

namespace {
constexpr unsigned kTableBits = 8;  // CONFIG_IP_VS_SH_TAB_BITS
constexpr std::size_t kTableSize = std::size_t{1} << kTableBits;
}  // namespace

void IpvsSh::rebuild(std::span<const BackendState> backends) {
  std::vector<std::size_t> destinations;
  for (std::size_t i = 0; i < backends.size(); ++i) {
    if (backends[i].eligible) destinations.push_back(i);
  }
  buckets_.assign(kTableSize, kNoBackend);
  if (destinations.empty()) return;
  std::size_t d = 0;
  std::int64_t count = 0;
  for (std::size_t bucket = 0; bucket < kTableSize; ++bucket) {
    buckets_[bucket] = static_cast<int>(destinations[d]);
    if (++count >= ipvs_weight(backends[destinations[d]].weight)) {
      d = (d + 1) % destinations.size();
      count = 0;
    }
  }
}

int IpvsSh::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)rng;
  const bool weights = snapshot_.weights_changed(backends);
  const bool health = snapshot_.eligibility_changed(backends);
  if (weights || health) rebuild(backends);
  if (buckets_.empty()) return kNoBackend;
  return buckets_[linux_hash_32(client_ipv4(request.key), kTableBits)];
}

}  // namespace wsfleet::models
