#pragma once
// [fleet.rebalance] as a component: every interval, each server in service closes its connections
// above the fleet's mean (plus a tolerance), longest-idle first and at most max_per_interval; their
// clients reconnect through the balancer, which places them on emptier servers.
#include <cstdint>
#include <vector>

#include "models/fleet/fleet_state.hpp"
#include "sim/event_handler.hpp"

namespace wsfleet::models {

/// Connection rebalancing of one run.
class Rebalancer : public sim::EventHandler {
 public:
  explicit Rebalancer(FleetState& state);
  void handle(const sim::Event& e) override;
  /// Schedules the first round (nothing when rebalancing is off).
  void start();

 private:
  void rebalance();

  FleetState& st_;
  std::uint32_t self_ = 0;
  sim::SimTime interval_ = 0;
  std::vector<std::uint32_t> connected_;  ///< scratch: a server's established connections
};

}  // namespace wsfleet::models
