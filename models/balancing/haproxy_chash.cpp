#include "models/balancing/haproxy_chash.hpp"

#include "models/balancing/hash_functions.hpp"
#include "models/balancing/haproxy_roundrobin.hpp"

namespace wsfleet::models {

void HaproxyChash::rebuild(std::span<const BackendState> backends) {
  ring_.clear();
  used_ = 0;
  for (std::size_t s = 0; s < backends.size(); ++s) {
    if (!backends[s].eligible) continue;
    ++used_;
    const auto puid = static_cast<std::uint32_t>(backends[s].id + 1);
    const auto nodes = static_cast<std::uint32_t>(haproxy_eweight(backends[s].weight));
    const std::uint32_t server_key = puid * 4096u;  // SRV_EWGHT_RANGE
    for (std::uint32_t node = 0; node < nodes; ++node) ring_.add(haproxy_full_hash(server_key + node), s);
  }
  ring_.sort();
}

int HaproxyChash::lookup(std::span<const BackendState> backends, std::uint32_t hash) {
  const bool weights = snapshot_.weights_changed(backends);
  const bool eligibility = snapshot_.eligibility_changed(backends);
  if (weights || eligibility) rebuild(backends);
  if (ring_.empty()) return kNoBackend;
  const std::size_t next = ring_.first_at_or_after(hash);
  const std::size_t prev = (next + ring_.size() - 1) % ring_.size();
  const auto dp = static_cast<std::uint32_t>(hash - static_cast<std::uint32_t>(ring_.at(prev).hash));
  const auto dn = static_cast<std::uint32_t>(static_cast<std::uint32_t>(ring_.at(next).hash) - hash);
  return static_cast<int>(dp <= dn ? ring_.at(prev).backend : ring_.at(next).backend);
}

}  // namespace wsfleet::models
