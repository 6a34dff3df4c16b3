#pragma once
#include "sim/event.hpp"

namespace wsfleet::sim {

/// Something that reacts to its own events. A model registers one or more handlers with the
/// Simulator and interprets Event::tag and Event::data itself.
class EventHandler {
 public:
  virtual ~EventHandler() = default;
  /// Called when one of this handler's events fires; the simulator's now() equals e.time.
  virtual void handle(const Event& e) = 0;
};

}  // namespace wsfleet::sim
