#pragma once
// The smooth weighted round robin core of NGINX (src/http/ngx_http_upstream_round_robin.c,
// ngx_http_upstream_get_peer), shared by weighted_round_robin, the NGINX presets and their
// round-robin fallbacks.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// Per-backend current_weight and effective_weight. One pass over the allowed backends:
/// `current += effective; total += effective; if (effective < weight) effective += 1`; the highest
/// current wins (the first in index order on a tie) and gives back `total`.
/// Weights 5,1,1 give a a b a c a a.
class SmoothWrr {
 public:
  /// `integer_weights`: weights are rounded to whole numbers >= 1 as NGINX's `weight=` is.
  explicit SmoothWrr(bool integer_weights) : integer_weights_(integer_weights) {}

  /// Adopts the backends' weights. A changed count resets every current weight (as an NGINX
  /// reload does); a changed weight keeps the current weight and caps the effective weight.
  void sync(std::span<const BackendState> backends) {
    if (backends.size() != weight_.size()) {
      weight_.assign(backends.size(), 0.0);
      current_.assign(backends.size(), 0.0);
      effective_.assign(backends.size(), -1.0);
    }
    for (std::size_t i = 0; i < backends.size(); ++i) {
      const double w = integer_weights_ ? std::max(1.0, std::round(backends[i].weight)) : backends[i].weight;
      if (w != weight_[i]) {
        weight_[i] = w;
        if (effective_[i] < 0.0 || effective_[i] > w) effective_[i] = w;
      }
    }
  }

  /// The smooth-WRR winner among the backends for which `allowed(i)` holds, or kNoBackend.
  template <class Allowed>
  int pick(std::size_t n, Allowed allowed) {
    double total = 0.0;
    int best = kNoBackend;
    for (std::size_t i = 0; i < n; ++i) {
      if (!allowed(i)) continue;
      current_[i] += effective_[i];
      total += effective_[i];
      if (effective_[i] < weight_[i]) effective_[i] = std::min(weight_[i], effective_[i] + 1.0);
      if (best == kNoBackend || current_[i] > current_[static_cast<std::size_t>(best)]) best = static_cast<int>(i);
    }
    if (best != kNoBackend) current_[static_cast<std::size_t>(best)] -= total;
    return best;
  }

  /// NGINX's passive failure: `effective_weight -= weight / max_fails` (integer division when
  /// weights are integers), floored at 0.
  void fail(std::size_t i, double max_fails) {
    if (i >= weight_.size()) return;
    const double drop = integer_weights_ ? std::floor(weight_[i] / max_fails) : weight_[i] / max_fails;
    effective_[i] = std::max(0.0, effective_[i] - drop);
  }

  double weight(std::size_t i) const { return weight_[i]; }
  double effective_weight(std::size_t i) const { return effective_[i]; }

 private:
  bool integer_weights_;
  std::vector<double> weight_;
  std::vector<double> current_;
  std::vector<double> effective_;
};

}  // namespace wsfleet::models
