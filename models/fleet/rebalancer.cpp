#include "models/fleet/rebalancer.hpp"

#include <algorithm>
#include <cmath>

#include "models/fleet/connections.hpp"

namespace wsfleet::models {

Rebalancer::Rebalancer(FleetState& state) : st_(state), interval_(state.duration(state.cfg.fleet.rebalance.interval_s)) {
  self_ = st_.sim.add_handler(this);
}

void Rebalancer::start() {
  if (interval_ > 0 && interval_ <= st_.end) st_.sim.schedule_at(interval_, self_, 0, 0);
}

void Rebalancer::handle(const sim::Event&) { rebalance(); }

void Rebalancer::rebalance() {
  const RebalanceSection& rb = st_.cfg.fleet.rebalance;
  const sim::SimTime now = st_.sim.now();
  Connections& connections = *st_.parts.connections;
  const std::vector<sim::SimTime>& activity = connections.activity();
  double total = 0.0, in_service = 0.0;
  for (const Server& s : st_.servers) {
    if (s.up && !s.draining) {
      total += static_cast<double>(s.connected);
      in_service += 1.0;
    }
  }
  if (in_service > 0.0) {
    const double target = total / in_service * (1.0 + rb.tolerance);
    for (Server& s : st_.servers) {
      if (!s.up || s.draining || static_cast<double>(s.connected) <= target) continue;
      const auto excess = static_cast<std::size_t>(std::floor(static_cast<double>(s.connected) - target));
      const std::size_t shed = std::min<std::size_t>(excess, rb.max_per_interval);
      if (shed == 0) continue;
      connected_.clear();
      for (std::uint32_t c : s.members) {
        if (st_.clients[c].state == ClientState::Connected) connected_.push_back(c);
      }
      const std::size_t n = std::min(shed, connected_.size());
      std::partial_sort(connected_.begin(), connected_.begin() + static_cast<std::ptrdiff_t>(n), connected_.end(),
                        [&](std::uint32_t a, std::uint32_t b) { return activity[a] != activity[b] ? activity[a] < activity[b] : a < b; });
      for (std::size_t i = 0; i < n; ++i) connections.close_connection(connected_[i], st_.conn.rebalanced);
    }
  }
  if (now + interval_ <= st_.end) st_.sim.schedule_at(now + interval_, self_, 0, 0);
}

}  // namespace wsfleet::models
