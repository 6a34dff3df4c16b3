#include "models/fleet/scaling.hpp"

#include <stdexcept>
#include <vector>

#include "models/fleet/server_pool.hpp"
#include "models/fleet/autoscaler.hpp"
#include "models/fleet/connections.hpp"

namespace wsfleet::models {

Scaling::Scaling(FleetState& state) : st_(state), next_absent_(state.cfg.fleet.servers) { self_ = st_.sim.add_handler(this); }

void Scaling::start() {
  for (std::uint32_t i = 0; i < st_.cfg.scaling.size(); ++i) {
    const sim::SimTime at = sim::from_seconds(st_.cfg.scaling[i].at_s);
    if (at <= st_.end) st_.sim.schedule_at(at, self_, kScale, i);
  }
}

void Scaling::handle(const sim::Event& e) {
  switch (e.tag) {
    case kScale: scale(static_cast<std::uint32_t>(e.data)); return;
    case kDrainDeadline: drain_deadline(static_cast<std::uint32_t>(e.data)); return;
    default: throw std::logic_error("Scaling: unknown event tag");
  }
}

void Scaling::scale(std::uint32_t event) {
  const ScalingEvent& e = st_.cfg.scaling[event];
  if (e.is_scheduled_action()) {
    // Under [autoscaler]: new bounds for its controllers (the loader allows nothing else there).
    st_.parts.autoscaler->scheduled_action(event);
    return;
  }
  ServerPool& pool = *st_.parts.servers;
  for (std::uint32_t k = 0; k < e.add && next_absent_ < st_.servers.size(); ++k) pool.join(next_absent_++);
  std::uint32_t removed = 0;
  for (std::uint32_t b = next_absent_; b-- > 0 && removed < e.remove;) {
    Server& s = st_.servers[b];
    if (!s.present || !s.up || s.draining) continue;
    ++removed;
    pool.start_draining(b);
    const sim::SimTime at = st_.sim.now() + st_.duration(e.drain_timeout_s);
    if (at <= st_.end) st_.sim.schedule_at(at, self_, kDrainDeadline, b);
  }
}

void Scaling::drain_deadline(std::uint32_t server) {
  Server& s = st_.servers[server];
  // Whatever is still open is closed by the server (WebSocket close 1001 "going away"); its clients
  // reconnect elsewhere through their backoff.
  std::vector<std::uint32_t> members;
  members.swap(s.members);
  for (std::uint32_t c : members) {
    if (st_.clients[c].state == ClientState::Connected) ++drained_;
    st_.parts.connections->close_for_drain(c, server);
  }
  st_.parts.servers->leave(server);
}

}  // namespace wsfleet::models
