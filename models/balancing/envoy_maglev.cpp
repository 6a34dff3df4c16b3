#include "models/balancing/envoy_maglev.hpp"

#include <algorithm>
#include <string>
#include <tuple>

#include "models/balancing/hash_functions.hpp"
#include "models/balancing/maglev_table.hpp"

namespace wsfleet::models {

void EnvoyMaglev::rebuild(std::span<const BackendState> backends) {
  std::vector<std::tuple<std::string, std::size_t>> sorted;
  double total = 0.0;
  for (std::size_t h = 0; h < backends.size(); ++h) {
    if (!backends[h].eligible) continue;
    sorted.emplace_back(backend_address(backends[h].id), h);
    total += backends[h].weight;
  }
  std::sort(sorted.begin(), sorted.end());
  std::vector<MaglevEntry> entries;
  for (const auto& [address, h] : sorted) {
    entries.push_back(MaglevEntry{h, xxhash64(address) % table_size_, xxhash64(address, 1) % (table_size_ - 1) + 1,
                                  backends[h].weight / total});
  }
  table_ = build_maglev_table(std::move(entries), table_size_);
}

int EnvoyMaglev::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)rng;
  const bool weights = snapshot_.weights_changed(backends);
  const bool health = snapshot_.eligibility_changed(backends);
  if (weights || health) rebuild(backends);
  if (table_.empty()) return kNoBackend;
  return static_cast<int>(table_[xxhash64(client_address_text(request.key)) % table_size_]);
}

}  // namespace wsfleet::models
