#pragma once
// Weighted least connections, as NGINX least_conn and HAProxy leastconn.
#include <cstddef>

#include "models/balancing/least_ratio_index.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `least_connections`: picks an eligible backend with the fewest active connections per unit of
/// weight (conns/weight, compared by cross-multiplication as NGINX does, never divided).
///
/// Tie rule: round robin among the tied backends. The scan for the minimum starts at a rotating
/// position (just after the previously picked index) and keeps the first minimum it meets, so equal
/// backends take turns and a recovered empty server is not the only choice forever once it has
/// caught up. This is HAProxy's rule (round robin among equal keys); NGINX instead runs a smooth
/// weighted round robin among the tied peers, which differs only when the tied peers' weights differ.
class LeastConnections final : public BalancingPolicy {
 public:
  /// The registry name, "least_connections".
  std::string name() const override { return "least_connections"; }
  /// An eligible backend with minimal active_connections/weight; ties as described above.
  /// In O(log n) on the backends of the balancer that owns it (track()), with whole weights up to
  /// 2^20: the answer of the scan, kept in a LeastRatioIndex; by the scan itself otherwise.
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;
  void on_backends_changed(std::span<const BackendState> backends) override;
  void track(std::span<const BackendState> backends) override;
  void on_backend_changed(std::span<const BackendState> backends, std::size_t backend) override;

 private:
  int scan(std::span<const BackendState> backends);

  std::size_t start_ = 0;                    ///< where the next scan begins (one past the last pick)
  const BackendState* tracked_ = nullptr;    ///< the owning balancer's backends (track())
  LeastRatioIndex index_;                    ///< over them
};

}  // namespace wsfleet::models
