#pragma once
// The configured faults as a component: each [[faults]] entry is checked by its kind
// (models/faults/), starts at its at_s and ends recover_after_s later.
#include <cstdint>
#include <vector>

#include "models/faults/fault_type.hpp"
#include "models/fleet/fleet_state.hpp"
#include "sim/event_handler.hpp"

namespace wsfleet::models {

/// The configured faults of one run.
class FaultInjector : public sim::EventHandler {
 public:
  /// Checks every configured fault against the built fleet (the balancers and pub/sub must exist)
  /// and records its outcome's identity in state.faults. Throws std::invalid_argument.
  explicit FaultInjector(FleetState& state);

  void handle(const sim::Event& e) override;
  /// Schedules every fault's start and end.
  void start();

 private:
  enum Tag : std::uint32_t { kStart, kEnd };
  FleetState& st_;
  std::uint32_t self_ = 0;
  std::vector<const FaultType*> types_;  ///< per configured fault
};

}  // namespace wsfleet::models
