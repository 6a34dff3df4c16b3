#include "models/fleet/gray_failures.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "models/fleet/connections.hpp"
#include "models/fleet/server_pool.hpp"
#include "models/fleet/summary_helpers.hpp"

namespace wsfleet::models {

namespace {

bool frame_fault(FaultTarget t) {
  return t == FaultTarget::DroppedMessages || t == FaultTarget::LinkLoss || t == FaultTarget::LinkDown;
}

}  // namespace

GrayFailures::GrayFailures(FleetState& state)
    : st_(state), active_(state.cfg.faults.size(), 0), rng_handshakes_(state.streams.stream("gray.handshakes")) {
  for (const CrashFault& f : st_.cfg.faults) frames_ = frames_ || frame_fault(f.target);
  if (frames_) {
    on_server_.resize(st_.cfg.total_servers());
    on_path_.resize(static_cast<std::size_t>(st_.topo.regions()) * st_.topo.sites());
    rng_frames_.reserve(st_.cfg.total_servers());
    for (std::uint32_t b = 0; b < st_.cfg.total_servers(); ++b) rng_frames_.push_back(st_.streams.stream("gray.frames", b));
    lost_beats_.resize(st_.cfg.faults.size());
    // A lost heartbeat is noticed by the sender's pong timeout (only when there are heartbeats).
    if (st_.cfg.clients.heartbeat_interval_s > 0.0) hb_timeout_ = st_.duration(st_.cfg.heartbeat.timeout_s);
  }
  self_ = st_.sim.add_handler(this);
}

bool GrayFailures::needed(const FleetConfig& config) {
  for (const CrashFault& f : config.faults) {
    if (f.target == FaultTarget::SlowServer || f.target == FaultTarget::HealthFlap || frame_fault(f.target)) return true;
  }
  return false;
}

void GrayFailures::handle(const sim::Event& e) {
  if ((e.tag & 0xFFu) == kHeartbeatTimeout) {
    heartbeat_timeout(e.tag >> 8, static_cast<std::uint32_t>(e.data & 0xFFFFFFFFu), static_cast<std::uint32_t>(e.data >> 32));
    return;
  }
  const auto fault = static_cast<std::uint32_t>(e.data);
  if (!active_[fault]) return;  // ended
  const CrashFault& f = st_.cfg.faults[fault];
  const std::uint32_t hit = st_.faults[fault].outcome.server;  // the server hit (a rollout may have replaced the one named)
  Server& s = st_.servers[hit];
  const sim::SimTime now = st_.sim.now();
  switch (e.tag) {
    case kSlice: {
      // Each core loses 1 - 1/factor of every slice: the work queues behind it, as behind a
      // throttled or shared CPU (the slices show as busy CPU in the time series).
      if (s.up) {
        st_.parts.servers->catch_up(hit);  // the heartbeats due by now go first (the queue's times only grow)
        const auto take = static_cast<sim::SimTime>(static_cast<double>(kSliceNs) * (1.0 - 1.0 / f.factor));
        for (std::uint32_t k = 0; k < s.cpu.cores() && take > 0; ++k) {
          s.cpu.submit(now, take, CpuQueue::kUntracked);
          stolen_ += take;
        }
      }
      if (now + kSliceNs <= st_.end) st_.sim.schedule_at(now + kSliceNs, self_, kSlice, fault);
      return;
    }
    case kFlap: {
      s.health_failing = !s.health_failing;
      if (s.health_failing) ++flaps_;
      const sim::SimTime half = st_.duration(f.period_s / 2.0);
      if (now + half <= st_.end) st_.sim.schedule_at(now + half, self_, kFlap, fault);
      return;
    }
    case kTick: {
      // Brings the fault's servers up to now: a heartbeat lost at `due` is found by `due + timeout`
      // at the latest, so its timeout event is never scheduled in the past (the pooled heartbeats
      // are otherwise drained only when something touches the server).
      for (std::uint32_t b : servers_of(fault)) {
        if (st_.servers[b].up) st_.parts.servers->catch_up(b);
      }
      if (now + hb_timeout_ <= st_.end) st_.sim.schedule_at(now + hb_timeout_, self_, kTick, fault);
      return;
    }
    default: throw std::logic_error("GrayFailures: unknown event tag");
  }
}

void GrayFailures::slow_start(std::uint32_t fault) {
  if (active_[fault]) return;
  active_[fault] = 1;
  st_.sim.schedule_at(st_.sim.now(), self_, kSlice, fault);
}

void GrayFailures::slow_end(std::uint32_t fault) { active_[fault] = 0; }

void GrayFailures::flap_start(std::uint32_t fault) {
  if (active_[fault]) return;
  active_[fault] = 1;
  st_.sim.schedule_at(st_.sim.now(), self_, kFlap, fault);
}

void GrayFailures::flap_end(std::uint32_t fault) {
  active_[fault] = 0;
  st_.servers[st_.faults[fault].outcome.server].health_failing = false;
}

std::vector<std::uint32_t> GrayFailures::servers_of(std::uint32_t fault) const {
  const FaultState& f = st_.faults[fault];
  if (st_.cfg.faults[fault].target == FaultTarget::DroppedMessages) return {f.outcome.server};
  std::vector<std::uint32_t> out;
  const std::uint32_t site = f.outcome.server;
  for (std::uint32_t b = st_.topo.first_server(site); b < st_.topo.first_server(site + 1); ++b) out.push_back(b);
  return out;
}

void GrayFailures::refresh(std::uint32_t b) {
  bool lossy = !on_server_[b].empty();
  const std::uint32_t site = st_.topo.site_of(b);
  for (std::uint32_t r = 0; r < st_.topo.regions() && !lossy; ++r) {
    lossy = !on_path_[static_cast<std::size_t>(r) * st_.topo.sites() + site].empty();
  }
  st_.servers[b].lossy = lossy;
}

void GrayFailures::frames_start(std::uint32_t fault) {
  if (active_[fault]) return;
  active_[fault] = 1;
  const CrashFault& cfg = st_.cfg.faults[fault];
  const FaultState& f = st_.faults[fault];
  const std::vector<std::uint32_t> servers = servers_of(fault);
  // Frames due before now went through as before the fault.
  for (std::uint32_t b : servers) {
    if (st_.servers[b].up) st_.parts.servers->catch_up_before(b);
  }
  if (cfg.target == FaultTarget::DroppedMessages) {
    on_server_[f.outcome.server].push_back(fault);
  } else {
    ++impaired_paths_;
    const std::uint32_t site = f.outcome.server;
    for (std::uint32_t r = 0; r < st_.topo.regions(); ++r) {
      if (cfg.target == FaultTarget::LinkDown && !cfg.region.empty() && st_.topo.region_name(r) != cfg.region) continue;
      on_path_[static_cast<std::size_t>(r) * st_.topo.sites() + site].push_back(fault);
    }
  }
  for (std::uint32_t b : servers) refresh(b);
  if (hb_timeout_ > 0) st_.sim.schedule_at(st_.sim.now(), self_, kTick, fault);
}

void GrayFailures::frames_end(std::uint32_t fault) {
  if (!active_[fault]) return;
  const std::vector<std::uint32_t> servers = servers_of(fault);
  for (std::uint32_t b : servers) {
    if (st_.servers[b].up) st_.parts.servers->catch_up_before(b);
  }
  active_[fault] = 0;
  auto drop = [fault](std::vector<std::uint32_t>& v) { v.erase(std::remove(v.begin(), v.end(), fault), v.end()); };
  if (st_.cfg.faults[fault].target == FaultTarget::DroppedMessages) {
    drop(on_server_[st_.faults[fault].outcome.server]);
  } else {
    --impaired_paths_;
    for (auto& v : on_path_) drop(v);
  }
  for (std::uint32_t b : servers) refresh(b);
}

std::uint32_t GrayFailures::losses(sim::Rng& rng, double p) {
  // Each transmission is lost with probability p, independently: the losses before the first
  // success are geometric, P(k) = p^k (1 - p), drawn by inversion (one draw per packet).
  if (!(p > 0.0)) return 0;
  const double u = 1.0 - rng.uniform01();  // (0, 1]
  const double k = std::floor(std::log(u) / std::log(p));
  return k < 64.0 ? static_cast<std::uint32_t>(k) : 64u;
}

sim::SimTime GrayFailures::retransmission_time(sim::SimTime rto, std::uint32_t losses) {
  sim::SimTime total = 0;
  for (std::uint32_t i = 0; i < losses; ++i) {
    total += std::min(rto, kRtoMax);
    rto = std::min(rto * 2, kRtoMax);
  }
  return total;
}

sim::SimTime GrayFailures::inbound(std::uint32_t server, std::uint32_t region, bool heartbeat, sim::SimTime at,
                                   std::uint32_t c, std::uint32_t gen) {
  const std::uint32_t site = st_.topo.site_of(server);
  const std::vector<std::uint32_t>& path = on_path_[static_cast<std::size_t>(region) * st_.topo.sites() + site];
  // A link that is down: nothing crosses.
  for (std::uint32_t fault : path) {
    if (st_.cfg.faults[fault].target == FaultTarget::LinkDown) {
      lose(fault, heartbeat, at, c, gen);
      return kLost;
    }
  }
  sim::Rng& rng = rng_frames_[server];
  // The server drops a share of what reaches it.
  for (std::uint32_t fault : on_server_[server]) {
    if (rng.uniform01() < st_.cfg.faults[fault].loss) {
      lose(fault, heartbeat, at, c, gen);
      return kLost;
    }
  }
  // A lossy link: TCP retransmits each lost packet (the ping, and for a heartbeat its pong) after
  // its retransmission timeout. The frame arrives that much later (its latency includes it); a
  // heartbeat whose exchange takes past the heartbeat timeout counts as lost: the sender closes the
  // connection.
  sim::SimTime delay = 0;
  for (std::uint32_t fault : path) {
    const double p = st_.cfg.faults[fault].loss;
    const auto rtt = static_cast<sim::SimTime>(2.0 * st_.latency(region, site));
    sim::SimTime own = 0;
    std::uint32_t total = 0;
    for (int packet = 0; packet < (heartbeat ? 2 : 1); ++packet) {
      const std::uint32_t k = losses(rng, p);
      total += k;
      own += retransmission_time(data_rto(rtt), k);
    }
    FaultOutcome& o = st_.faults[fault].outcome;
    o.retransmissions += total;
    delay += own;
    if (heartbeat && hb_timeout_ > 0 && delay >= hb_timeout_) {
      lose(fault, heartbeat, at, c, gen);
      return kLost;
    }
    if (!heartbeat && own > 0) {
      ++o.messages_delayed;
      o.message_delay_s += sim::to_seconds(own);
    }
  }
  return delay;
}

void GrayFailures::lose(std::uint32_t fault, bool heartbeat, sim::SimTime at, std::uint32_t c, std::uint32_t gen) {
  FaultOutcome& o = st_.faults[fault].outcome;
  if (!heartbeat) {
    ++o.messages_lost;
    return;
  }
  ++o.heartbeats_lost;
  // No pong within the timeout: the sender gives up on the connection then.
  const sim::SimTime due = at + hb_timeout_;
  if (hb_timeout_ <= 0 || due > st_.end) {
    ++lost_beats_[fault].not_due;
    return;
  }
  st_.sim.schedule_at(std::max(due, st_.sim.now()), self_, kHeartbeatTimeout | (fault << 8), FleetState::pack(c, gen));
}

void GrayFailures::heartbeat_timeout(std::uint32_t fault, std::uint32_t c, std::uint32_t gen) {
  if (st_.gens[c] != gen || st_.clients[c].state != ClientState::Connected) {
    ++lost_beats_[fault].superseded;  // closed meanwhile (another lost heartbeat, a crash, its session's end, ...)
    return;
  }
  if (st_.cfg.faults[fault].target == FaultTarget::LinkDown && !active_[fault]) {
    ++lost_beats_[fault].link_back;  // the link is back: TCP's retransmitted ping got through in time
    return;
  }
  FaultState& f = st_.faults[fault];
  ++f.outcome.heartbeat_timeouts;
  st_.parts.connections->cut_connection(c, fault, true);
  f.outcome.reconnected_within_s.reset();  // a client of it is away again
}

sim::SimTime GrayFailures::handshake_delay(std::uint32_t region, std::uint32_t site) {
  const std::vector<std::uint32_t>& path = on_path_[static_cast<std::size_t>(region) * st_.topo.sites() + site];
  sim::SimTime delay = 0;
  for (std::uint32_t fault : path) {
    FaultOutcome& o = st_.faults[fault].outcome;
    if (st_.cfg.faults[fault].target == FaultTarget::LinkDown) {
      ++o.handshakes_failed;  // the SYN never arrives: the client's connect timeout runs out
      return -1;
    }
    // SYN and SYN-ACK wait TCP's initial timeout (1 s) when lost, the upgrade request and the 101
    // response a data packet's; each doubles per loss of the same packet.
    const double p = st_.cfg.faults[fault].loss;
    const auto rtt = static_cast<sim::SimTime>(2.0 * st_.latency(region, site));
    std::uint32_t total = 0;
    for (int packet = 0; packet < 4; ++packet) {
      const std::uint32_t k = losses(rng_handshakes_, p);
      total += k;
      delay += retransmission_time(packet < 2 ? kRtoInitial : data_rto(rtt), k);
    }
    o.retransmissions += total;
    if (total > 0) ++o.handshakes_delayed;
  }
  return delay;
}

void GrayFailures::conservation(RunSummary& summary) const {
  if (!frames_) return;
  for (std::uint32_t i = 0; i < st_.cfg.faults.size(); ++i) {
    if (!frame_fault(st_.cfg.faults[i].target)) continue;
    const FaultOutcome& o = st_.faults[i].outcome;
    const LostBeats& l = lost_beats_[i];
    add_conservation_check(summary, "lost heartbeats (fault " + std::to_string(i) + ")",
                           "heartbeats_lost = heartbeat_timeouts + already_closed + link_back + not_due_by_end",
                           o.heartbeats_lost, {o.heartbeat_timeouts, l.superseded, l.link_back, l.not_due});
    add_conservation_check(summary, "fault closes (fault " + std::to_string(i) + ")", "connections_dropped = heartbeat_timeouts",
                           o.connections_dropped, {o.heartbeat_timeouts});
  }
}

}  // namespace wsfleet::models
