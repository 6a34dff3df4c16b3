#pragma once
// [[scaling]] as a component: servers join at a given time (they reach the balancers as their health
// checks allow), or are drained (no new connections) and removed at their drain deadline, which
// closes what they still hold (WebSocket close 1001): their clients reconnect through their backoff.
#include <cstdint>

#include "models/fleet/fleet_state.hpp"
#include "sim/event_handler.hpp"

namespace wsfleet::models {

/// The scheduled scaling of one run.
class Scaling : public sim::EventHandler {
 public:
  explicit Scaling(FleetState& state);
  void handle(const sim::Event& e) override;
  /// Schedules every [[scaling]] event.
  void start();
  /// Established connections its drain deadlines closed.
  std::uint64_t drained() const { return drained_; }

 private:
  enum Tag : std::uint32_t { kScale, kDrainDeadline };
  void scale(std::uint32_t event);
  void drain_deadline(std::uint32_t server);

  FleetState& st_;
  std::uint32_t self_ = 0;
  std::uint32_t next_absent_ = 0;  ///< the next server an add brings in
  std::uint64_t drained_ = 0;
};

}  // namespace wsfleet::models
