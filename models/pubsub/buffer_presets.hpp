#pragma once
// Send-buffer semantics of real WebSocket libraries ([pubsub.buffer] preset = NAME), checked against
// their source; see docs/pubsub.md.
#include <string>
#include <vector>

#include "models/pubsub/pubsub_config.hpp"

namespace wsfleet::models {

/// A library's send-buffer policy and limit.
struct BufferPreset {
  std::string name;
  std::string summary;   ///< one line: what happens when a client reads too slowly
  BufferSection section;
};

/// Every preset, in listing order.
const std::vector<BufferPreset>& buffer_presets();
/// The preset named `name`, or nullptr.
const BufferPreset* find_buffer_preset(const std::string& name);
/// The policies' names as written in scenarios, in BufferPolicy order.
const std::vector<std::string>& buffer_policy_names();
/// The name of one policy.
const std::string& buffer_policy_name(BufferPolicy policy);

}  // namespace wsfleet::models
