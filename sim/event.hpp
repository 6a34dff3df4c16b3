#pragma once
// A scheduled event as the kernel stores it. The kernel knows nothing of what an event means:
// `handler` selects the registered EventHandler and `tag`/`data` are the handler's own.
#include <cstdint>

#include "sim/time.hpp"

namespace wsfleet::sim {

/// One pending event. Ordered by (time, seq): same-time events run in scheduling order.
struct Event {
  SimTime time = 0;          ///< when it fires, ns
  std::uint64_t seq = 0;     ///< scheduling sequence number, unique per simulator
  std::uint64_t data = 0;    ///< handler-defined payload (e.g. an entity id and a generation)
  std::uint32_t handler = 0; ///< index of the EventHandler registered with the simulator
  std::uint32_t tag = 0;     ///< handler-defined event kind
};

/// Strict ordering used by every event queue: earlier time first, then lower sequence number.
inline bool event_before(const Event& a, const Event& b) {
  return a.time < b.time || (a.time == b.time && a.seq < b.seq);
}

}  // namespace wsfleet::sim
