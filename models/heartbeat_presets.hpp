#pragma once
// Heartbeat settings of real WebSocket libraries (../shared/reference/real-systems.md, "Heartbeats
// and timeouts"), as a [heartbeat] section plus the ping interval.
#include <optional>
#include <string>
#include <vector>

#include "models/fleet_config.hpp"

namespace wsfleet::models {

/// A library's heartbeat: its ping interval and the rest of [heartbeat].
struct HeartbeatPreset {
  std::string name;
  std::string summary;       ///< one line: who pings, how often, what times out
  double interval_s;
  HeartbeatSection section;
};

/// Every preset, in listing order.
const std::vector<HeartbeatPreset>& heartbeat_presets();
/// The preset named `name`, or nullptr.
const HeartbeatPreset* find_heartbeat_preset(const std::string& name);

}  // namespace wsfleet::models
