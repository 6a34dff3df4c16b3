#include "models/balancing/nginx_ip_hash.hpp"

#include <cstdint>

#include "models/balancing/hash_functions.hpp"

namespace wsfleet::models {

int NginxIpHash::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)rng;
  wrr_.sync(backends);
  const std::size_t n = backends.size();
  if (n < 2) return nginx_round_robin_pick(wrr_, backends);
  double total_weight = 0.0;
  for (std::size_t i = 0; i < n; ++i) total_weight += wrr_.weight(i);
  const std::uint32_t address = client_ipv4(request.key);
  const std::uint32_t octets[3] = {address >> 24, (address >> 16) & 0xFFu, (address >> 8) & 0xFFu};
  std::uint64_t hash = 89;
  for (int tries = 0; tries <= 20; ++tries) {
    for (const std::uint32_t octet : octets) hash = (hash * 113 + octet) % 6271;
    auto w = static_cast<std::uint64_t>(hash % static_cast<std::uint64_t>(total_weight));
    std::size_t p = 0;
    while (static_cast<double>(w) >= wrr_.weight(p)) {
      w -= static_cast<std::uint64_t>(wrr_.weight(p));
      ++p;
    }
    if (nginx_available(backends[p])) return static_cast<int>(p);
  }
  return nginx_round_robin_pick(wrr_, backends);
}

}  // namespace wsfleet::models
