#pragma once
// Noticing, at pick time, what the balancer does not signal: a policy whose state depends on the
// set of backends (tables, schedulers, trees) compares the current view with the one it was built for.
#include <cstdint>
#include <span>
#include <vector>

#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// Remembers each backend's weight and id (what on_backends_changed signals) and, optionally, its
/// eligibility (which is never signalled). O(n) per check.
class BackendSnapshot {
 public:
  /// True (and remembers the new view) when the count, a weight or an id differs from the last call.
  bool weights_changed(std::span<const BackendState> backends) {
    bool changed = backends.size() != weights_.size();
    if (!changed) {
      for (std::size_t i = 0; i < backends.size(); ++i) {
        if (backends[i].weight != weights_[i] || backends[i].id != ids_[i]) {
          changed = true;
          break;
        }
      }
    }
    if (changed) {
      weights_.resize(backends.size());
      ids_.resize(backends.size());
      for (std::size_t i = 0; i < backends.size(); ++i) {
        weights_[i] = backends[i].weight;
        ids_[i] = backends[i].id;
      }
    }
    return changed;
  }

  /// True (and remembers the new view) when the count or an id differs from the last call
  /// (weights are not compared). Do not mix with weights_changed on one snapshot.
  bool members_changed(std::span<const BackendState> backends) {
    bool changed = backends.size() != ids_.size();
    for (std::size_t i = 0; !changed && i < backends.size(); ++i) changed = backends[i].id != ids_[i];
    if (changed) {
      ids_.resize(backends.size());
      for (std::size_t i = 0; i < backends.size(); ++i) ids_[i] = backends[i].id;
    }
    return changed;
  }

  /// True (and remembers the new flags) when the count or an eligibility flag differs from the last call.
  bool eligibility_changed(std::span<const BackendState> backends) {
    bool changed = backends.size() != eligible_.size();
    if (!changed) {
      for (std::size_t i = 0; i < backends.size(); ++i) {
        if (backends[i].eligible != static_cast<bool>(eligible_[i])) {
          changed = true;
          break;
        }
      }
    }
    if (changed) {
      eligible_.resize(backends.size());
      for (std::size_t i = 0; i < backends.size(); ++i) eligible_[i] = backends[i].eligible ? 1 : 0;
    }
    return changed;
  }

 private:
  std::vector<double> weights_;
  std::vector<std::uint64_t> ids_;
  std::vector<unsigned char> eligible_;
};

}  // namespace wsfleet::models
