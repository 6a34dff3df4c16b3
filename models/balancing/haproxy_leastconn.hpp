#pragma once
// HAProxy `balance leastconn` (src/lb_fwlc.c).
#include <cstdint>
#include <vector>

#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `haproxy_leastconn`: the eligible server with the smallest key
/// `inflight ? (inflight + 1) * 4096 / eweight : 0` (integer division; inflight = active
/// connections + queued; eweight = round(weight * 16)), so idle servers come first whatever their
/// weight. Among equal keys the server queued longest ago wins: a server is requeued at the back
/// whenever its key changes (a connection opened or closed, a weight change) or it comes back up.
/// Changes that happen between two picks are applied in index order. Servers at their
/// max_connections are passed over; none left gives kNoBackend (HAProxy queues the request).
/// HAProxy 3.x spreads equal-key servers over a few lists picked at random under thread
/// contention; single-threaded it behaves as this FIFO.
class HaproxyLeastconn final : public BalancingPolicy {
 public:
  std::string name() const override { return "haproxy_leastconn"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;

 private:
  struct Position {
    std::uint64_t key = 0;
    std::uint64_t seq = 0;
    bool queued = false;
  };
  std::vector<Position> positions_;
  std::uint64_t seq_ = 0;
};

}  // namespace wsfleet::models
