#pragma once
// Maglev consistent hashing (Google's network load balancer), generic.
#include <cstdint>
#include <vector>

#include "models/balancing/backend_changes.hpp"
#include "models/balancing/maglev_table.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `maglev`: a lookup table of `table_size` (prime) slots filled over the ELIGIBLE backends by the
/// Maglev permutation (offset = mix64(id) mod M, skip = mix64(mix64(id)) mod (M-1) + 1), weighted
/// by weight; a key maps to slot mix64(key) mod M. The table is rebuilt when eligibility, weights
/// or the backend set change (noticed at pick time: O(n) check, O(M) rebuild), as Maglev rebuilds
/// over its healthy backends. Each backend holds about M * weight / total slots; adding a backend
/// moves only about 1/n of the keys.
class Maglev final : public BalancingPolicy {
 public:
  explicit Maglev(std::uint64_t table_size) : table_size_(table_size) {}
  std::string name() const override { return "maglev"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;
  /// Refuses a table_size not above the number of backends (Maglev's M > N).
  void on_backends_changed(std::span<const BackendState> backends) override {
    check_maglev_table_size(table_size_, backends.size());
  }
  /// The current table (backend index per slot; empty when no backend is eligible), for tests.
  const std::vector<std::uint32_t>& table() const { return table_; }

 private:
  void rebuild(std::span<const BackendState> backends);
  std::uint64_t table_size_;
  std::vector<std::uint32_t> table_;
  BackendSnapshot snapshot_;
};

}  // namespace wsfleet::models
