#include "models/fleet/half_open.hpp"

#include <algorithm>
#include <optional>

#include "models/fleet/balancer_tier.hpp"
#include "models/fleet/summary_helpers.hpp"

namespace wsfleet::models {

HalfOpenConnections::HalfOpenConnections(FleetState& state) : st_(state) {
  const FleetConfig& cfg = st_.cfg;
  heartbeat_interval_ = st_.duration(cfg.clients.heartbeat_interval_s);
  hb_timeout_ = st_.duration(cfg.heartbeat.timeout_s);
  hb_peer_timeout_ = st_.duration(cfg.heartbeat.peer_timeout_s);
  idle_timeout_ = st_.duration(cfg.balancer.idle_timeout_s);
  idle_pings_ = cfg.heartbeat.mode == HeartbeatMode::WhenIdle && heartbeat_interval_ > 0;
  self_ = st_.sim.add_handler(this);
}

void HalfOpenConnections::handle(const sim::Event& e) { gone(static_cast<std::uint32_t>(e.data)); }

void HalfOpenConnections::vanished(std::uint32_t c, sim::SimTime last_frame, sim::Rng& rng) {
  const Client& cl = st_.clients[c];
  const auto server = static_cast<std::uint32_t>(cl.server);
  Server& s = st_.servers[server];
  ++s.ghosts;
  // When does the server notice?
  const sim::SimTime now = st_.sim.now();
  const HeartbeatSection& hb = st_.cfg.heartbeat;
  std::optional<sim::SimTime> delay;
  if (hb.sender == HeartbeatSender::Server && heartbeat_interval_ > 0) {
    // Its next ping goes unanswered: the ping is due at a uniformly random point of the interval
    // (periodic), or one interval after the last frame (when idle); then the pong timeout runs out.
    const sim::SimTime to_ping = idle_pings_ ? std::max<sim::SimTime>(0, last_frame + heartbeat_interval_ - now)
                                             : static_cast<sim::SimTime>(rng.uniform01() * static_cast<double>(heartbeat_interval_));
    delay = to_ping + hb_timeout_;
  } else if (hb_peer_timeout_ > 0) {
    // The server's own timer: no ping (or frame) from the client for peer_timeout.
    const sim::SimTime last_ping = hb.sender == HeartbeatSender::Client && heartbeat_interval_ > 0 && !idle_pings_
                                       ? now - static_cast<sim::SimTime>(rng.uniform01() * static_cast<double>(heartbeat_interval_))
                                       : last_frame;
    delay = std::max<sim::SimTime>(0, last_ping + hb_peer_timeout_ - now);
  }
  // A balancer with an idle timeout cuts the proxied connection when no frame has crossed it for
  // that long (ALB idle timeout, NGINX proxy_read_timeout): nothing crosses it unless the server
  // pings the vanished client. The cut closes the server's side too.
  if (idle_timeout_ > 0 && !(hb.sender == HeartbeatSender::Server && heartbeat_interval_ > 0)) {
    const sim::SimTime cut = std::max<sim::SimTime>(0, last_frame + idle_timeout_ - now);
    delay = delay ? std::min(*delay, cut) : cut;
  }
  // Without any of these, nothing ever notices: the ghost holds its slot for good (TCP keepalive's
  // two hours aside).
  if (!delay || now + *delay > st_.end) return;
  std::uint32_t index = 0;
  if (free_.empty()) {
    index = static_cast<std::uint32_t>(table_.size());
    table_.emplace_back();
  } else {
    index = free_.back();
    free_.pop_back();
  }
  table_[index] = {now, server, s.ghost_gen, cl.balancer, cl.worker};
  st_.sim.schedule_at(now + *delay, self_, 0, index);
}

void HalfOpenConnections::gone(std::uint32_t index) {
  const Ghost g = table_[index];
  free_.push_back(index);
  Server& s = st_.servers[g.server];
  if (g.gen != s.ghost_gen || s.ghosts == 0) return;  // a crash or drain already cleared it
  --s.ghosts;
  ++detected_;
  detection_s_.record(sim::to_seconds(st_.sim.now() - g.since));
  st_.parts.balancers->connection_closed(g.balancer, g.server, g.worker);
}

void HalfOpenConnections::summarise(RunSummary& summary) const {
  summary.heartbeat.ghosts_detected = detected_;
  summary.heartbeat.detection_s = stats_of(detection_s_);
}

}  // namespace wsfleet::models
