#pragma once
// "Pick the eligible backend with the lowest score", with round robin among equal scores: the
// scan starts just after the previous pick and keeps the first minimum it meets (HAProxy's rule
// for equal keys). Shared by least_loaded, least_response_time, least_bandwidth and custom_load.
#include <cstddef>
#include <span>

#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// Rotating-start minimum search; O(n).
class LeastScore {
 public:
  /// The eligible index with minimal score(backend), or kNoBackend. `score` must not be NaN.
  template <class Score>
  int pick(std::span<const BackendState> backends, Score score) {
    const std::size_t n = backends.size();
    if (n == 0) return kNoBackend;
    const std::size_t start = start_ % n;
    int best = kNoBackend;
    double best_score = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t index = (start + i) % n;
      if (!backends[index].eligible) continue;
      const double s = score(backends[index]);
      if (best == kNoBackend || s < best_score) {
        best = static_cast<int>(index);
        best_score = s;
      }
    }
    if (best != kNoBackend) start_ = static_cast<std::size_t>(best) + 1;
    return best;
  }

 private:
  std::size_t start_ = 0;
};

}  // namespace wsfleet::models
