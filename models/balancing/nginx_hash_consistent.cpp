#include "models/balancing/nginx_hash_consistent.hpp"

#include <cmath>

#include "models/balancing/hash_functions.hpp"
#include "models/balancing/ring_budget.hpp"

namespace wsfleet::models {

void NginxHashConsistent::on_backends_changed(std::span<const BackendState> backends) {
  wrr_.sync(backends);
  if (!snapshot_.weights_changed(backends)) return;
  ring_.clear();
  double total = 0.0;
  for (std::size_t p = 0; p < backends.size(); ++p) total += 160.0 * wrr_.weight(p);
  const double scale = ring_scale(total);  // NGINX itself would allocate 160 x weight points
  for (std::size_t p = 0; p < backends.size(); ++p) {
    const std::string host = backend_host(backends[p].id);
    std::uint32_t base = crc32_update(0xFFFFFFFFu, host);
    base = crc32_update(base, std::string_view("\0", 1));
    base = crc32_update(base, "80");
    std::uint32_t prev = 0;
    const std::uint64_t points = scale < 1.0 ? ring_points(160.0 * wrr_.weight(p), scale)
                                             : static_cast<std::uint64_t>(160.0 * wrr_.weight(p));
    for (std::uint64_t j = 0; j < points; ++j) {
      const char bytes[4] = {static_cast<char>(prev & 0xFFu), static_cast<char>((prev >> 8) & 0xFFu),
                             static_cast<char>((prev >> 16) & 0xFFu), static_cast<char>(prev >> 24)};
      const std::uint32_t hash = crc32_final(crc32_update(base, std::string_view(bytes, 4)));
      ring_.add(hash, p);
      prev = hash;
    }
  }
  ring_.sort();
  ring_.drop_duplicate_hashes();
}

int NginxHashConsistent::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)rng;
  on_backends_changed(backends);  // no-op unless weights or ids changed (O(n) compare)
  if (backends.size() < 2 || ring_.empty()) return nginx_round_robin_pick(wrr_, backends);
  std::size_t position = ring_.first_at_or_after(crc32(client_address_text(request.key)));
  for (int tries = 0; tries <= 20; ++tries, ++position) {
    const std::size_t p = ring_.at(position).backend;
    if (nginx_available(backends[p])) {
      // NGINX runs its smooth-WRR bookkeeping over the peers with this server name (just this one):
      // effective_weight climbs back towards weight after a failure.
      wrr_.pick(backends.size(), [p](std::size_t i) { return i == p; });
      return static_cast<int>(p);
    }
  }
  return nginx_round_robin_pick(wrr_, backends);
}

}  // namespace wsfleet::models
