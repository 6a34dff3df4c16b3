#pragma once
// Building a Maglev lookup table (Eisenbud et al., NSDI 2016, pseudocode listing 1), with
// weights handled as Envoy does (source/extensions/load_balancing_policies/maglev/maglev_lb.cc).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace wsfleet::models {

/// One backend's permutation and weight for the table build.
struct MaglevEntry {
  std::size_t backend;  ///< index into the balancer's backends
  std::uint64_t offset; ///< < table size
  std::uint64_t skip;   ///< in [1, table size)
  double weight;        ///< > 0 (any scale)
};

/// Fills a table of `table_size` (prime) slots: in rounds, each entry whose accumulated target
/// allows it (round * weight >= target; then target += max weight) claims the next free slot of its
/// permutation offset + skip * j. The heaviest entries claim a slot every round, an entry of half
/// that weight every other round. Entries are taken in the given order. O(table size * entries) worst case.
std::vector<std::uint32_t> build_maglev_table(std::vector<MaglevEntry> entries, std::uint64_t table_size);

/// Throws ParamError("table_size") unless table_size > backends (Maglev's M > N).
void check_maglev_table_size(std::uint64_t table_size, std::size_t backends);

/// True when n is prime (trial division; n up to a few million).
bool is_prime(std::uint64_t n);

}  // namespace wsfleet::models
