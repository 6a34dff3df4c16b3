#include "models/fleet/server_pool.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/fleet/connections.hpp"
#include "models/fleet/gray_failures.hpp"
#include "models/fleet/summary_helpers.hpp"
#include "models/pubsub/pubsub.hpp"

namespace wsfleet::models {

ServerPool::ServerPool(FleetState& state)
    : st_(state),
      rng_service_(state.streams.stream("servers.service")),
      exponential_(state.cfg.fleet.cpu.service_time != ServiceTime::Deterministic),
      per_server_service_(exponential_ && !state.cfg.run.per_connection_timers),
      shed_backlog_(sim::from_micros(state.cfg.fleet.admission.reject_above_backlog_ms * 1000.0)),
      cost_reject_(sim::from_micros(state.cfg.fleet.admission.reject_us)) {
  const FleetConfig& cfg = st_.cfg;
  const std::uint32_t total = cfg.total_servers();
  const bool per_site_slots = !cfg.autoscaler_site_slots().empty();
  st_.servers.reserve(total);
  for (std::uint32_t i = 0; i < total; ++i) {
    st_.servers.emplace_back(st_.specs[i].cpu_cores, cfg.fleet.admission.max_handshakes_per_s);
    // Present at the start: the first fleet.servers; with an autoscaler per site, each site's own
    // servers (its slots follow them).
    const bool present = per_site_slots ? i < st_.topo.own_end(st_.topo.site_of(i)) : i < cfg.fleet.servers;
    if (!present) st_.servers.back().up = st_.servers.back().present = false;
  }
  hb_next_.assign(total, kNever);
  msg_next_.assign(total, kNever);
  next_due_.assign(total, kNever);
  if (per_server_service_) {
    rng_service_of_.reserve(total);
    for (std::uint32_t i = 0; i < total; ++i) rng_service_of_.push_back(st_.streams.stream("servers.service", i));
  }
  self_ = st_.sim.add_handler(this);
}

void ServerPool::handle(const sim::Event& e) {
  if (e.tag != kMemoryRestart) throw std::logic_error("ServerPool: unknown event tag");
  const auto fault = static_cast<std::uint32_t>(e.data);
  restart(st_.faults[fault].outcome.server, fault);
}

sim::SimTime ServerPool::draw_service(sim::Rng& rng, sim::SimTime cost) {
  return static_cast<sim::SimTime>(std::llround(rng.exponential(static_cast<double>(cost))));
}

void ServerPool::keep_heartbeats(sim::SimTime interval, sim::SimTime cost) {
  if (interval <= 0) throw std::logic_error("ServerPool::keep_heartbeats: the interval must be > 0");
  hb_interval_ = interval;
  hb_cost_ = cost;
  hb_due_.resize(st_.servers.size());
  hb_stale_.assign(st_.servers.size(), 0);
}

void ServerPool::keep_messages(double mean_gap_s, sim::SimTime cost, bool need_sender) {
  if (!(mean_gap_s > 0.0)) throw std::logic_error("ServerPool::keep_messages: the mean gap must be > 0");
  msg_gap_s_ = mean_gap_s;
  msg_cost_ = cost;
  msg_sender_ = need_sender;
  msg_mean_ns_.assign(st_.servers.size(), 0.0);
  rng_messages_.reserve(st_.servers.size());
  for (std::uint32_t i = 0; i < st_.servers.size(); ++i) rng_messages_.push_back(st_.streams.stream("servers.messages", i));
}

void ServerPool::messages_changed(std::uint32_t b) {
  catch_up_before(b);  // the messages due before now went at the old rate
  const Server& s = st_.servers[b];
  msg_mean_ns_[b] = s.connected > 0 ? msg_gap_s_ * 1e9 / static_cast<double>(s.connected) : 0.0;
  msg_next_[b] = s.up && s.connected > 0 ? next_message_after(b, st_.sim.now()) : kNever;
  next_due_[b] = std::min(hb_next_[b], msg_next_[b]);
}

sim::SimTime ServerPool::next_message_after(std::uint32_t b, sim::SimTime from) {
  const double gap_ns = rng_messages_[b].exponential_ziggurat(msg_mean_ns_[b]);
  if (!(gap_ns <= static_cast<double>(st_.end - from))) return kNever;  // past the end of the run
  const sim::SimTime at = from + static_cast<sim::SimTime>(gap_ns + 0.5);  // to the nearest ns
  return at <= st_.end ? at : kNever;
}

std::uint32_t ServerPool::draw_sender(std::uint32_t b, sim::Rng& rng) const {
  // Uniform among its established connections: uniform among its slots, skipping handshakes. Almost
  // every slot is an established connection; a bounded number of draws keeps a broken count from
  // spinning (the invariant, not luck, ends the loop).
  const Server& s = st_.servers[b];
  for (int tries = 0; tries < 1'000'000 && !s.members.empty(); ++tries) {
    const std::uint32_t c = s.members[rng.below(s.members.size())];
    if (st_.clients[c].state == ClientState::Connected) return c;
  }
  throw std::logic_error("ServerPool: server " + std::to_string(b) + " counts " + std::to_string(s.connected) +
                         " connections but holds no established one");
}

void ServerPool::send_message(std::uint32_t b, sim::SimTime at, sim::SimTime by) {
  Server& s = st_.servers[b];
  if (!s.up || s.connected == 0) {  // a crash or a drain took its connections: no stream until one connects
    msg_next_[b] = kNever;
    return;
  }
  const std::uint32_t sender = msg_sender_ ? draw_sender(b, rng_messages_[b]) : 0;
  const int region = msg_sender_ ? st_.clients[sender].region : 0;
  // A gray failure may lose it, or a lossy link delay it (TCP retransmissions: in its latency).
  const sim::SimTime delay = s.lossy ? frame_delay(b, kJobMessage | (region << 1), at, sender, 0) : 0;
  if (delay == kLost) {
    msg_next_[b] = next_message_after(b, at);
    return;
  }
  ++st_.msgs.sent;
  s.cpu.submit_by(at, service(b, msg_cost_), kJobMessage | (region << 1), by,
                  [&](int kind, sim::SimTime latency) { on_job_done(s, kind, latency); }, delay);
  msg_next_[b] = next_message_after(b, at);
}

void ServerPool::run_load(std::uint32_t b, sim::SimTime until) {
  // Heartbeats and messages in time order (a heartbeat due at the very instant of a message first).
  while (msg_next_[b] <= until) {
    const sim::SimTime at = msg_next_[b];
    if (hb_next_[b] <= at) run_heartbeats(b, at);
    send_message(b, at, until);
  }
  if (hb_next_[b] <= until) run_heartbeats(b, until);
  next_due_[b] = std::min(hb_next_[b], msg_next_[b]);
}

void ServerPool::run_heartbeats(std::uint32_t b, sim::SimTime until) {
  Server& s = st_.servers[b];
  auto& q = hb_due_[b];
  const bool regions = st_.topo.regions() > 1;
  std::uint64_t stale = hb_stale_[b], sent = 0;
  while (!q.empty() && q.front().due <= until) {
    const DueHeartbeat h = q.front();
    q.pop_front();
    // The connection closed before this ping? Only asked while the server has had closes whose
    // entries were not met yet: in steady state no client record is read.
    if (stale > 0 && st_.gens[h.client] != h.gen) {
      --stale;
      continue;
    }
    // As the event at h.due would have: the job arrives at its due time (every earlier arrival on
    // this server came before it, every later one comes after this catch-up).
    const int region = regions ? st_.clients[h.client].region : 0;
    if (h.due + hb_interval_ <= st_.end) q.push_back(DueHeartbeat{h.due + hb_interval_, h.client, h.gen});
    if (s.lossy && frame_delay(b, kJobHeartbeat | (region << 1), h.due, h.client, h.gen) == kLost) continue;  // a gray failure lost it
    ++sent;
    s.cpu.submit_by(h.due, service(b, hb_cost_), kJobHeartbeat | (region << 1), until,
                    [&](int kind, sim::SimTime latency) { on_job_done(s, kind, latency); });
  }
  // A close whose connection had no entry left (its next ping fell after the end) is never met:
  // an empty FIFO has no stale entry.
  hb_stale_[b] = q.empty() ? 0 : stale;
  hb_next_[b] = q.empty() ? kNever : q.front().due;
  st_.beats.sent += sent;
}

sim::SimTime ServerPool::frame_delay(std::uint32_t server, int kind, sim::SimTime at, std::uint32_t c, std::uint32_t gen) {
  // Only lossy servers ask: the gray failures component exists whenever a frame-level fault does.
  const auto region = static_cast<std::uint32_t>(kind >> 1);
  return st_.parts.gray->inbound(server, region, (kind & 1) == kJobHeartbeat, at, c, gen);
}

std::optional<Refusal> ServerPool::admit(std::uint32_t b) {
  catch_up(b);
  Server& s = st_.servers[b];
  ++s.interval.attempts;
  if (s.members.size() + s.ghosts >= st_.specs[b].max_connections) {
    ++s.interval.rejected;
    return Refusal::ServerFull;
  }
  // Admission control: a cheap refusal (503 with Retry-After) instead of a handshake the server
  // cannot afford now.
  const sim::SimTime now = st_.sim.now();
  if ((shed_backlog_ > 0 && s.cpu.wait_ns(now) > shed_backlog_) || !s.admission.take(now)) {
    ++s.interval.rejected;
    s.cpu.submit(now, service(b, cost_reject_), CpuQueue::kUntracked);
    return Refusal::Shed;
  }
  return std::nullopt;
}

double ServerPool::fixed_memory_mib(std::uint32_t server) const {
  const Server& s = st_.servers[server];
  const ServerSpec& spec = st_.specs[server];
  return spec.base_memory_mib + static_cast<double>(s.members.size() + s.ghosts) * spec.memory_per_connection_kib / 1024.0;
}

void ServerPool::check_memory(std::uint32_t server) {
  const double limit = st_.specs[server].memory_limit_mib;
  if (!(limit > 0.0)) return;
  Server& s = st_.servers[server];
  if (!s.up) return;
  const double fixed = fixed_memory_mib(server);
  PubSub* ps = st_.parts.pubsub;
  if (ps) {
    // The queued bytes only overstate what is unsent; look closer only when they would cross the limit.
    if (fixed + ps->queued_mib(server) <= limit) return;
    if (fixed + ps->server_buffered_mib(server) <= limit) return;
  } else if (fixed <= limit) {
    return;
  }
  // Out of memory: the kernel kills the process; its clients reconnect elsewhere.
  FaultState st;
  st.outcome.target = "memory";
  st.outcome.server = server;
  st.outcome.at_s = sim::to_seconds(st_.sim.now());
  st.outcome.recover_after_s = st_.cfg.fleet.restart_s;
  if (st_.faults.size() >= 0xFFFE) throw std::runtime_error("too many out-of-memory crashes in one run (65534)");
  st_.faults.push_back(st);
  const auto fault = static_cast<std::uint32_t>(st_.faults.size() - 1);
  if (ps) ps->count_memory_crash();
  crash(server, fault);
  if (st_.faults[fault].outstanding == 0) st_.faults[fault].outcome.reconnected_within_s = 0.0;
  const sim::SimTime back = st_.sim.now() + sim::from_seconds(st_.cfg.fleet.restart_s);
  if (back <= st_.end) st_.sim.schedule_at(back, self_, kMemoryRestart, fault);
}

void ServerPool::crash(std::uint32_t b, std::uint32_t fault) {
  Server& s = st_.servers[b];
  if (!s.up) return;  // already down, or not in the fleet: a crash changes nothing
  catch_up_before(b);  // heartbeats due before the crash reached its queue (one due at this instant did not)
  s.up = false;
  s.crashed_by = static_cast<std::uint16_t>(fault + 1);
  s.cpu.crash(
      st_.sim.now(), [&](int kind, sim::SimTime latency) { on_job_done(s, kind, latency); },
      [&](int kind) { ++((kind & 1) == kJobHeartbeat ? st_.beats : st_.msgs).dropped; });
  for (ServerListener* l : st_.listeners.servers) l->server_crashed(b, fault);
  std::vector<std::uint32_t> members;
  members.swap(s.members);
  for (std::uint32_t c : members) st_.parts.connections->cut_connection(c, fault, false);
  s.connected = 0;
  s.ghosts = 0;  // half-open connections die with the process
  ++s.ghost_gen;
}

void ServerPool::restart(std::uint32_t b, std::uint32_t fault) {
  Server& s = st_.servers[b];
  if (s.up || !s.present || s.crashed_by != fault + 1) return;
  s.up = true;
  s.crashed_by = 0;
  for (ServerListener* l : st_.listeners.servers) l->server_restarted(b);
}

void ServerPool::join(std::uint32_t b) {
  Server& s = st_.servers[b];
  s.set_present(true, st_.sim.now());
  s.up = true;
  s.draining = false;
  for (ServerListener* l : st_.listeners.servers) l->server_added(b);
}

void ServerPool::start_draining(std::uint32_t b) {
  st_.servers[b].draining = true;
  for (ServerListener* l : st_.listeners.servers) l->server_draining(b);
}

void ServerPool::leave(std::uint32_t b) {
  Server& s = st_.servers[b];
  if (!s.members.empty()) throw std::logic_error("ServerPool::leave: the server still has connections");
  s.leave_fleet(st_.sim.now());
  for (ServerListener* l : st_.listeners.servers) l->server_removed(b);
}

void ServerPool::summarise(RunSummary& s) const {
  s.messages = st_.msgs;
  s.heartbeats = st_.beats;
  for (const auto& srv : st_.servers) {
    s.messages.in_flight_at_end += srv.cpu.tracked_pending(kJobMessage, 1);
    s.heartbeats.in_flight_at_end += srv.cpu.tracked_pending(kJobHeartbeat, 1);
  }
}

void ServerPool::conservation(RunSummary& summary) const {
  std::uint64_t tracked = 0;
  for (const auto& srv : st_.servers) tracked += srv.cpu.tracked_pending();
  const MessageCounts& m = summary.messages;
  const MessageCounts& h = summary.heartbeats;
  add_conservation_check(summary, "messages", "sent = delivered + dropped + in_flight_at_end", m.sent,
                         {m.delivered, m.dropped, m.in_flight_at_end});
  add_conservation_check(summary, "heartbeats", "sent = delivered + dropped + in_flight_at_end", h.sent,
                         {h.delivered, h.dropped, h.in_flight_at_end});
  add_conservation_check(summary, "queued work", "jobs in server queues = messages in flight + heartbeats in flight", tracked,
                         {m.in_flight_at_end, h.in_flight_at_end});
}

}  // namespace wsfleet::models
