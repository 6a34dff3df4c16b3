#pragma once
// The clients' first connection times: a Poisson process over [0, clients.ramp_s] conditioned on
// clients.count arrivals, i.e. sorted uniform times (random stream "clients.arrivals"), and with
// clients.wave_share a share of them within wave_window_s of wave_at_s instead (a push
// notification; stream "clients.wave"). One event at a time: each arrival schedules the next, then
// hands its client to the Connections (Connections::arrive).
#include <cstdint>
#include <vector>

#include "models/fleet/fleet_state.hpp"
#include "sim/event_handler.hpp"
#include "sim/time.hpp"

namespace wsfleet::models {

/// The first arrivals of one run.
class ClientArrivals : public sim::EventHandler {
 public:
  /// Draws every client's first connection time.
  explicit ClientArrivals(FleetState& state);

  void handle(const sim::Event& e) override;
  /// Schedules the first arrival.
  void start();

 private:
  FleetState& st_;
  std::uint32_t self_ = 0;
  std::vector<sim::SimTime> times_;  ///< sorted; freed after the last arrival
};

}  // namespace wsfleet::models
