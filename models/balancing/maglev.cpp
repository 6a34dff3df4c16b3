#include "models/balancing/maglev.hpp"

#include "models/balancing/maglev_table.hpp"

namespace wsfleet::models {

void Maglev::rebuild(std::span<const BackendState> backends) {
  std::vector<MaglevEntry> entries;
  for (std::size_t b = 0; b < backends.size(); ++b) {
    if (!backends[b].eligible) continue;
    const std::uint64_t h1 = sim::mix64(backends[b].id);
    const std::uint64_t h2 = sim::mix64(h1);
    entries.push_back(MaglevEntry{b, h1 % table_size_, h2 % (table_size_ - 1) + 1, backends[b].weight});
  }
  table_ = build_maglev_table(std::move(entries), table_size_);
}

int Maglev::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)rng;
  // Both checks run (no short-circuit) so each snapshot stays current.
  const bool weights = snapshot_.weights_changed(backends);
  const bool eligibility = snapshot_.eligibility_changed(backends);
  if (weights || eligibility) rebuild(backends);
  if (table_.empty()) return kNoBackend;
  return static_cast<int>(table_[sim::mix64(request.key) % table_size_]);
}

}  // namespace wsfleet::models
