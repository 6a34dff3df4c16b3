#pragma once
// Envoy's maglev (source/extensions/load_balancing_policies/maglev/maglev_lb.cc).
#include <cstdint>
#include <vector>

#include "models/balancing/backend_changes.hpp"
#include "models/balancing/maglev_table.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `envoy_maglev`: a Maglev table of `table_size` (prime, default 65537) slots over the eligible
/// (healthy) hosts, sorted by address text (backend_address(id), so "10.0.0.10:80" sorts before
/// "10.0.0.2:80"): offset = xxHash64(address) mod M, skip = xxHash64(address, seed 1) mod (M-1) + 1,
/// filled as build_maglev_table does with normalized weights. The request hash is xxHash64 of the
/// client address text; the host is table[hash mod M]. Rebuilt when eligibility, weights or the
/// backend set change.
class EnvoyMaglev final : public BalancingPolicy {
 public:
  explicit EnvoyMaglev(std::uint64_t table_size) : table_size_(table_size) {}
  std::string name() const override { return "envoy_maglev"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;
  /// Refuses a table_size not above the number of backends (Maglev's M > N).
  void on_backends_changed(std::span<const BackendState> backends) override {
    check_maglev_table_size(table_size_, backends.size());
  }
  const std::vector<std::uint32_t>& table() const { return table_; }

 private:
  void rebuild(std::span<const BackendState> backends);
  std::uint64_t table_size_;
  std::vector<std::uint32_t> table_;
  BackendSnapshot snapshot_;
};

}  // namespace wsfleet::models
