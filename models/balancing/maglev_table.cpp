#include "models/balancing/maglev_table.hpp"

#include <algorithm>
#include <string>

#include "models/policy_params.hpp"

namespace wsfleet::models {

bool is_prime(std::uint64_t n) {
  if (n < 2) return false;
  if (n % 2 == 0) return n == 2;
  for (std::uint64_t d = 3; d * d <= n; d += 2) {
    if (n % d == 0) return false;
  }
  return true;
}

void check_maglev_table_size(std::uint64_t table_size, std::size_t backends) {
  // Maglev needs M > N (the paper: M prime, M >> N, e.g. 100 N): with fewer slots than backends,
  // only some backends get a slot and the others no traffic at all.
  if (backends < table_size) return;
  throw ParamError("table_size", "table_size = " + std::to_string(table_size) + " must be larger than the number of backends (" +
                                     std::to_string(backends) + "): use a prime of at least 100 x backends, e.g. 65537");
}

std::vector<std::uint32_t> build_maglev_table(std::vector<MaglevEntry> entries, std::uint64_t table_size) {
  std::vector<std::uint32_t> table;
  if (entries.empty() || table_size == 0) return table;
  check_maglev_table_size(table_size, entries.size());
  constexpr std::uint32_t kFree = UINT32_MAX;
  table.assign(table_size, kFree);
  double max_weight = 0.0;
  for (const MaglevEntry& e : entries) max_weight = std::max(max_weight, e.weight);
  std::vector<double> target(entries.size(), 0.0);
  std::vector<std::uint64_t> next(entries.size(), 0);
  std::uint64_t filled = 0;
  for (std::uint64_t round = 1; filled < table_size; ++round) {
    for (std::size_t i = 0; i < entries.size() && filled < table_size; ++i) {
      if (static_cast<double>(round) * entries[i].weight < target[i]) continue;
      target[i] += max_weight;
      std::uint64_t slot = (entries[i].offset + entries[i].skip * next[i]) % table_size;
      while (table[slot] != kFree) {
        ++next[i];
        slot = (entries[i].offset + entries[i].skip * next[i]) % table_size;
      }
      table[slot] = static_cast<std::uint32_t>(entries[i].backend);
      ++next[i];
      ++filled;
    }
  }
  return table;
}

}  // namespace wsfleet::models
