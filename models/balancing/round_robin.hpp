#pragma once
// Plain round robin over backend indices (weights ignored).
#include <cstddef>

#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `round_robin`: picks backends in index order 0, 1, 2, ..., skipping ineligible ones and wrapping
/// around. Each pick continues after the previously picked index; the first pick starts at 0.
class RoundRobin final : public BalancingPolicy {
 public:
  /// The registry name, "round_robin".
  std::string name() const override { return "round_robin"; }
  /// The first eligible index at or after the position following the last pick (cyclically).
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;

 private:
  std::size_t next_ = 0;  ///< index where the next search starts
};

}  // namespace wsfleet::models
