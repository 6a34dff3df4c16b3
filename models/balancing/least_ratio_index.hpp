#pragma once
// The least-connections pick in O(log n): a tournament tree over the backends, told of every change.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "models/balancing/connection_load.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// Which eligible backend carries the fewest active connections per unit of weight, first in a
/// circular scan from a given start among equals: the answer of a linear scan that keeps the
/// first strictly fewer (least_connections), in O(log n) per query and per change. Each node of a
/// tree over the indices holds the winner of its range (the left one unless the right one has
/// strictly fewer), a query folds the ranges [start, n) then [0, start) in scan order.
///
/// The fold equals the scan only when "strictly fewer" is a strict weak order, as it is when the
/// cross-multiplied products are exact: usable() is false unless every weight is a whole number
/// up to 2^20 (connection counts stay far below 2^32), and the policy then scans.
class LeastRatioIndex {
 public:
  /// Rebuilds over `backends` (its weights, eligibility and connections).
  void rebuild(std::span<const BackendState> backends) {
    n_ = backends.size();
    usable_ = true;
    for (const auto& b : backends) usable_ = usable_ && b.weight >= 1.0 && b.weight <= kMaxWeight && b.weight == static_cast<double>(static_cast<std::int64_t>(b.weight));
    leaves_ = 1;
    while (leaves_ < n_) leaves_ *= 2;
    conns_.assign(n_, 0.0);
    weights_.assign(n_, 1.0);
    tree_.assign(2 * leaves_, kNone);
    for (std::size_t i = 0; i < n_; ++i) set_leaf(i, backends[i]);
    for (std::size_t node = leaves_ - 1; node >= 1; --node) tree_[node] = winner(tree_[2 * node], tree_[2 * node + 1]);
  }

  /// Backend `b` changed (its connections or eligibility; a weight change needs rebuild()).
  void update(std::size_t b, const BackendState& state) {
    set_leaf(b, state);
    for (std::size_t node = (leaves_ + b) / 2; node >= 1; node /= 2) tree_[node] = winner(tree_[2 * node], tree_[2 * node + 1]);
  }

  bool usable() const { return usable_; }
  std::size_t size() const { return n_; }

  /// The scan's answer from `start` (< size()), or kNoBackend.
  int pick(std::size_t start) const {
    const std::uint32_t first = range(start, n_);
    const std::uint32_t second = range(0, start);
    const std::uint32_t best = winner(first, second);
    return best == kNone ? kNoBackend : static_cast<int>(best);
  }

 private:
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;
  static constexpr double kMaxWeight = 1048576.0;  // 2^20

  void set_leaf(std::size_t b, const BackendState& state) {
    conns_[b] = static_cast<double>(state.active_connections);
    weights_[b] = state.weight;
    tree_[leaves_ + b] = state.eligible ? static_cast<std::uint32_t>(b) : kNone;
  }

  /// Of two candidates in scan order, the later wins only with strictly fewer per unit of weight.
  std::uint32_t winner(std::uint32_t earlier, std::uint32_t later) const {
    if (earlier == kNone) return later;
    if (later == kNone) return earlier;
    return fewer_connections_per_weight(conns_[later], weights_[later], conns_[earlier], weights_[earlier]) ? later : earlier;
  }

  /// The winner of [lo, hi) in index order.
  std::uint32_t range(std::size_t lo, std::size_t hi) const {
    std::uint32_t left = kNone;
    std::uint32_t right = kNone;
    for (std::size_t l = lo + leaves_, r = hi + leaves_; l < r; l /= 2, r /= 2) {
      if (l & 1) left = winner(left, tree_[l++]);
      if (r & 1) right = winner(tree_[--r], right);
    }
    return winner(left, right);
  }

  std::size_t n_ = 0;
  std::size_t leaves_ = 1;
  bool usable_ = false;
  std::vector<double> conns_;
  std::vector<double> weights_;
  std::vector<std::uint32_t> tree_;  ///< node -> winner of its range (kNone: no eligible backend)
};

}  // namespace wsfleet::models
