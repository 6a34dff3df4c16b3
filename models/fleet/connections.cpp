#include "models/fleet/connections.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <stdexcept>

#include "models/fleet/attempt_steps.hpp"
#include "models/fleet/balancer_tier.hpp"
#include "models/fleet/client_arrivals.hpp"
#include "models/fleet/connection_checks.hpp"
#include "models/fleet/gray_failures.hpp"
#include "models/fleet/half_open.hpp"
#include "models/fleet/link_down_syns.hpp"
#include "models/fleet/server_pool.hpp"
#include "models/fleet/summary_helpers.hpp"
#include "models/pubsub/pubsub.hpp"
#include "models/transport/fallback_transports.hpp"

namespace wsfleet::models {

namespace {

/// Client `c`'s handshake starts on the server `route` chose: it joins the server's slot list.
Server& place_connecting(FleetState& st, std::uint32_t c, const Route& route) {
  Client& cl = st.clients[c];
  Server& s = st.servers[route.server];
  cl.state = ClientState::Connecting;
  cl.server = static_cast<std::int32_t>(route.server);
  cl.balancer = static_cast<std::uint8_t>(route.balancer);
  cl.worker = static_cast<std::uint8_t>(route.worker);
  cl.slot = static_cast<std::uint32_t>(s.members.size());
  s.members.push_back(c);
  ++st.connecting;
  return s;
}

}  // namespace

Connections::Connections(FleetState& state)
    : st_(state),
      backoff_(make_backoff_policy(state.cfg.backoff.policy, state.cfg.backoff.params)),
      rng_sessions_(state.streams.stream("clients.sessions")),
      rng_messages_(state.streams.stream("clients.messages")),
      rng_backoff_(state.streams.stream("clients.backoff")),
      rng_vanish_(state.streams.stream("clients.vanish")),
      rng_offline_(state.streams.stream("clients.offline")),
      syns_(std::make_unique<LinkDownSyns>(state)),
      half_open_(std::make_unique<HalfOpenConnections>(state)) {
  const FleetConfig& cfg = st_.cfg;
  cost_handshake_ = sim::from_micros(cfg.fleet.cpu.handshake_us);
  cost_message_ = sim::from_micros(cfg.fleet.cpu.inbound_message_us + cfg.clients.replies_per_message * cfg.fleet.cpu.outbound_message_us);
  cost_heartbeat_ = sim::from_micros(cfg.fleet.cpu.heartbeat_us);
  heartbeat_interval_ = st_.duration(cfg.clients.heartbeat_interval_s);
  idle_timeout_ = st_.duration(cfg.balancer.idle_timeout_s);
  idle_pings_ = cfg.heartbeat.mode == HeartbeatMode::WhenIdle && heartbeat_interval_ > 0;
  // The balancer cuts idle connections only if pings do not keep them busy: pings (periodic, or after
  // `interval` of silence) at least once per idle timeout keep every connection alive.
  idle_cuts_ = idle_timeout_ > 0 && !(heartbeat_interval_ > 0 && heartbeat_interval_ < idle_timeout_);
  // Rebalancing closes the longest-idle connections first.
  const bool rebalancing = st_.duration(cfg.fleet.rebalance.interval_s) > 0;
  track_activity_ = idle_pings_ || idle_cuts_ || cfg.clients.vanish_share > 0.0 || rebalancing;
  if (track_activity_) heartbeat_tag_ = kHeartbeatTracked;
  // A shed refusal's Retry-After counts only for clients whose library reads it (clients.honour_retry_after).
  const bool honours = cfg.clients.honour_retry_after == HonourRetryAfter::Preset
                           ? backoff_honours_retry_after(cfg.backoff.policy)
                           : cfg.clients.honour_retry_after == HonourRetryAfter::On;
  retry_after_ = honours ? st_.duration(cfg.fleet.admission.retry_after_s) : 0;
  // clients.connect_timeout_s when given; else each attempt gets the backoff preset's own timeout
  // (attempt_timeout), or kDefaultConnectTimeoutS for a policy without one.
  connect_timeout_ = st_.duration(cfg.clients.connect_timeout_s.value_or(kDefaultConnectTimeoutS));
  preset_timeout_ = !cfg.clients.connect_timeout_s.has_value();
  message_mean_gap_s_ = cfg.clients.messages_per_minute > 0 ? 60.0 / cfg.clients.messages_per_minute : 0.0;

  st_.clients.resize(cfg.clients.count);
  if (track_activity_) activity_.assign(cfg.clients.count, 0);
  idle_close_ = st_.duration(cfg.fleet.idle_close_s);
  if (idle_close_ > 0) data_activity_.assign(cfg.clients.count, 0);
  if (track_activity_ || idle_close_ > 0) message_tag_ = kMessageTracked;
  if (st_.topo.regions() > 255) throw std::invalid_argument("topology: at most 255 regions");
  if (st_.topo.regions() > 1) {
    for (std::uint32_t c = 0; c < st_.clients.size(); ++c) st_.clients[c].region = static_cast<std::uint8_t>(st_.topo.region_of(c));
  }
  st_.gens.assign(cfg.clients.count, 0);
  arrivals_ = std::make_unique<ClientArrivals>(st_);
  self_ = st_.sim.add_handler(this);
}

Connections::~Connections() = default;

std::uint64_t Connections::syn_pending() const { return syns_->pending(); }

void Connections::start() {
  const FleetConfig& cfg = st_.cfg;
  const bool aggregate = !cfg.run.per_connection_timers;
  pool_heartbeats_ = aggregate && heartbeat_interval_ > 0 && heartbeat_tag_ == kHeartbeat;
  if (pool_heartbeats_) st_.parts.servers->keep_heartbeats(heartbeat_interval_, cost_heartbeat_);
  // Fallback transports decide per connection whether it sends WebSocket messages: those runs keep
  // one stream per connection.
  server_messages_ = aggregate && message_mean_gap_s_ > 0 && message_tag_ == kMessage && st_.parts.transports == nullptr;
  if (server_messages_) {
    const bool publishing = st_.parts.pubsub && cfg.pubsub.client_publish_share > 0.0;
    need_sender_ = st_.topo.regions() > 1 || publishing;
    // A client's publication is an event at its message's time: those runs keep the stream's events;
    // the others leave the messages to the server pool as a load drained with the heartbeats.
    pool_messages_ = !publishing;
    if (pool_messages_) {
      st_.parts.servers->keep_messages(message_mean_gap_s_, cost_message_, need_sender_);
    } else {
      message_gen_.assign(st_.servers.size(), 0);
    }
  }
  arrivals_->start();
}

void Connections::schedule_client(sim::SimTime t, std::uint32_t tag, std::uint32_t c) {
  if (t > st_.end) return;  // would never fire inside the run; keeps the event list small
  st_.sim.schedule_at(t, self_, tag, FleetState::pack(c, st_.gens[c]));
}

void Connections::handle(const sim::Event& e) {
  if (e.tag == kServerMessage) {
    const auto server = static_cast<std::uint32_t>(e.data & 0xFFFFFFFFu);
    if (message_gen_[server] == static_cast<std::uint32_t>(e.data >> 32)) server_message(server);
    return;
  }
  const auto c = static_cast<std::uint32_t>(e.data & 0xFFFFFFFFu);
  const auto gen = static_cast<std::uint32_t>(e.data >> 32);
  // The generations live in their own compact array: the hottest events (heartbeats, messages)
  // then never touch the client record, which for a million clients is a cache miss.
  if (st_.gens[c] != gen) return;  // a timer of a connection that no longer exists
  switch (e.tag & kKindMask) {
    case kAttempt: attempt(c); break;
    case kHandshakeDone: {
      const auto server = static_cast<std::uint32_t>(st_.clients[c].server);
      handshake_done(c);
      st_.parts.servers->check_memory(server);  // one more connection's memory (after its timers: a kill cuts it cleanly)
      break;
    }
    case kHandshakeTimeout: handshake_timeout(c); break;
    case kHeartbeat: heartbeat<false>(c, server_of_tag(e.tag)); break;
    case kHeartbeatTracked: heartbeat<true>(c, server_of_tag(e.tag)); break;
    case kMessage: message<false>(c, server_of_tag(e.tag)); break;
    case kMessageTracked: message<true>(c, server_of_tag(e.tag)); break;
    case kSessionEnd: session_end(c); break;
    case kIdleCheck: idle_check(c); break;
    case kIdleClose: idle_close(c); break;
    default: throw std::logic_error("Connections: unknown event tag");
  }
}

void Connections::attempt(std::uint32_t c) {
  Client& cl = st_.clients[c];
  if (cl.state == ClientState::Waiting) --st_.waiting;
  ++st_.gens[c];
  const sim::SimTime now = st_.sim.now();
  cl.attempt_at = now;
  ++st_.conn.attempted;
  ++st_.iv.attempts;
  if (!st_.home_attempts.empty()) ++st_.home_attempts[st_.topo.nearest_sites(cl.region).front()];
  if (cl.retrying) {
    ++st_.conn.retries;
    ++st_.iv.retries;
  }
  // The steps client libraries add (requests before the WebSocket, pusher-js's cached fallback) may take it.
  if (st_.parts.steps && st_.parts.steps->attempt_started(c, now + attempt_timeout(cl))) return;
  route_websocket(c);
}

void Connections::hold(std::uint32_t c, std::int32_t placeholder, sim::SimTime deadline) {
  Client& cl = st_.clients[c];
  cl.state = ClientState::Connecting;
  cl.server = placeholder;
  ++st_.connecting;
  if (deadline >= 0) schedule_client(deadline, kHandshakeTimeout, c);
}

void Connections::route_websocket(std::uint32_t c) {
  const Route route = st_.parts.balancers->connect(c);
  if (route.refusal) return refuse(c, *route.refusal);
  if (route.unreachable) return syns_->blocked(c, route, true);
  routed(c, route, deadline(c));
}

void Connections::routed(std::uint32_t c, const Route& route, sim::SimTime deadline) {
  if (route.refusal) return refuse(c, *route.refusal);
  if (route.unreachable) return syns_->blocked(c, route, false);
  if (route.held) {  // waiting at the balancer (HAProxy's queue or retry): on no server yet
    st_.clients[c].balancer = static_cast<std::uint8_t>(route.balancer);
    return hold(c, -1, deadline);
  }
  start_handshake(c, route, deadline);
}

void Connections::session_unknown(std::uint32_t c) {
  // A request of the attempt (or its WebSocket upgrade) reached a server without the session: the
  // library takes the error response as a failed attempt (engine.io-client: a transport error,
  // then the Manager's backoff; SignalR: its next transport, or start() fails after the last one).
  if (st_.parts.steps && st_.parts.steps->falls_back(c, std::nullopt)) return;
  ++st_.iv.failed;
  ++st_.conn.failed;
  ++st_.conn.failed_session_unknown;
  retry_later(c, RetryCause::AttemptFailed);
}

void Connections::start_handshake(std::uint32_t c, const Route& route, sim::SimTime deadline) {
  const Client& cl = st_.clients[c];
  if (st_.parts.steps && !st_.parts.steps->handshake_reaches(c, route)) return;  // the session is on another server
  Server& s = place_connecting(st_, c, route);
  // The handshake takes one network round trip plus the server's work.
  if (s.unreachable) {  // site_partition through an L4 forwarder: the SYN never reaches the server, the client times out
    schedule_client(deadline, kHandshakeTimeout, c);
    return;
  }
  const auto rtt = static_cast<sim::SimTime>(2.0 * st_.latency(cl.region, route.site));
  sim::SimTime done = st_.parts.servers->submit_work(route.server, cost_handshake_) + rtt;
  bool hole = s.blackhole;  // a blackholed server never completes it
  if (st_.parts.gray && st_.parts.gray->paths_impaired()) {  // a lossy link retransmits, a link that is down blackholes
    const sim::SimTime extra = st_.parts.gray->handshake_delay(cl.region, route.site);
    hole = hole || extra < 0;
    done += std::max<sim::SimTime>(extra, 0);
  }
  if (st_.parts.steps) st_.parts.steps->handshake_due(c, done <= deadline && !hole ? done : AttemptSteps::kNever);
  if (done <= deadline && !hole) {
    schedule_client(done, kHandshakeDone, c);
  } else {
    schedule_client(deadline, kHandshakeTimeout, c);
  }
}

void Connections::connect_at(std::uint32_t c, const Route& route, sim::SimTime done) {
  place_connecting(st_, c, route);
  schedule_client(done, kHandshakeDone, c);
}

void Connections::held_routed(std::uint32_t c, const Route& route) {
  --st_.connecting;
  ++st_.gens[c];  // its pending handshake timeout is scheduled again (or the refusal retries)
  if (route.refusal) return refuse(c, *route.refusal);
  start_handshake(c, route, deadline(c));
}

sim::SimTime Connections::attempt_timeout(const Client& cl) const {
  sim::SimTime timeout = connect_timeout_;
  if (preset_timeout_) {
    const std::optional<sim::SimTime> own = backoff_->attempt_timeout(cl.backoff);
    if (own) timeout = std::min(*own, std::numeric_limits<sim::SimTime>::max() - st_.end);  // as FleetState::duration caps
  }
  // A library's own abort (ably: the connection-state TTL) applies whatever the timeout.
  const std::optional<sim::SimTime> abort = backoff_->attempt_abort(cl.backoff, cl.attempt_at);
  return abort ? std::min(timeout, *abort) : timeout;
}

void Connections::refuse(std::uint32_t c, Refusal why) {
  if (st_.parts.steps && st_.parts.steps->falls_back(c, why)) return;  // SignalR tries its next transport
  st_.refusals.refused(c, why);  // the monitoring series by server / balancer and cause
  ++(is_rejection(why) ? st_.iv.rejected : st_.iv.failed);
  ConnectionCounts& k = st_.conn;
  switch (why) {
    case Refusal::ServerFull: ++k.rejected; ++k.rejected_server_full; break;
    case Refusal::NoBackend: ++k.rejected; ++k.no_backend; break;
    case Refusal::RateLimited: ++k.rejected; ++k.rejected_rate_limited; break;
    case Refusal::Shed: ++k.rejected; ++k.rejected_shed; return retry_later(c, RetryCause::AttemptFailed, retry_after_);
    case Refusal::Timeout: ++k.failed; ++k.failed_timeout; break;
    case Refusal::BackendDown: ++k.failed; ++k.failed_backend_down; break;
    case Refusal::SourcePorts: ++k.failed; ++k.failed_source_ports; break;
    case Refusal::BalancerDown: ++k.failed; ++k.failed_balancer_down; break;
    case Refusal::Crash: ++k.failed; ++k.failed_crash; break;
  }
  retry_later(c, why == Refusal::Timeout ? RetryCause::AttemptTimedOut : RetryCause::AttemptFailed);
}

void Connections::handshake_done(std::uint32_t c) {
  Client& cl = st_.clients[c];
  Server& s = st_.servers[static_cast<std::size_t>(cl.server)];
  // Pooled messages due before now are sent by the connections established before this one.
  if (pool_messages_) st_.parts.servers->catch_up_before(static_cast<std::uint32_t>(cl.server));
  cl.state = ClientState::Connected;
  if (st_.cfg.balancer.sticky == Stickiness::Cookie) cl.sticky = cl.server;
  backoff_->on_connected(cl.backoff, st_.sim.now());
  cl.retrying = false;
  --st_.connecting;
  ++st_.connected;
  ++s.connected;
  ++st_.conn.established;
  ++s.interval.established;
  if (cl.storm != 0) {
    FaultState& f = st_.faults[cl.storm - 1u];
    cl.storm = 0;
    if (--f.outstanding == 0 && !f.incomplete) {
      f.outcome.reconnected_within_s = sim::to_seconds(st_.sim.now()) - f.outcome.at_s;
    }
  }
  const sim::SimTime now = st_.sim.now();
  handshake_latency_ms_.record(sim::to_millis(now - (st_.parts.steps ? st_.parts.steps->attempt_start(c) : cl.attempt_at)));
  const double session_s = st_.cfg.clients.session_s.sample(rng_sessions_);
  schedule_client(now + st_.duration(session_s), kSessionEnd, c);  // `never` (inf) saturates past the end
  const auto server = static_cast<std::uint32_t>(cl.server);
  if (track_activity_) activity_[c] = now;
  st_.listeners.opened(c);  // pub/sub subscribes every transport; the transports pick this connection's
  const Transport transport = st_.parts.transports ? st_.parts.transports->current(c) : Transport::WebSocket;
  if (transport == Transport::LongPolling) return;  // its polls are its heartbeat; its messages are POSTs
  if (pool_heartbeats_) {
    st_.parts.servers->add_heartbeats(server, c);
  } else if (heartbeat_interval_ > 0) {
    schedule_client(now + heartbeat_interval_, conn_tag(heartbeat_tag_, server), c);
  }
  if (idle_cuts_) schedule_client(now + idle_timeout_, conn_tag(kIdleCheck, server), c);
  if (idle_close_ > 0) {
    data_activity_[c] = now;
    schedule_client(now + idle_close_, conn_tag(kIdleClose, server), c);
  }
  if (server_messages_) {
    connections_changed(server);
  } else if (message_mean_gap_s_ > 0 && transport == Transport::WebSocket) {
    schedule_client(now + st_.duration(rng_messages_.exponential(message_mean_gap_s_)), conn_tag(message_tag_, server), c);
  }
}

void Connections::handshake_timeout(std::uint32_t c) {
  if (st_.clients[c].server == AttemptSteps::kOpening) return st_.parts.steps->opening_timed_out(c);  // its requests took too long
  if (st_.clients[c].server < 0) {  // still waiting at its balancer (HAProxy): the client gives up first
    st_.parts.balancers->abandon(c);
    --st_.connecting;
    return refuse(c, Refusal::Timeout);
  }
  Server& s = st_.servers[static_cast<std::size_t>(st_.clients[c].server)];
  ++s.interval.failed;
  --st_.connecting;
  release_slot(c);
  refuse(c, Refusal::Timeout);
}

template <bool kTracked>
void Connections::heartbeat(std::uint32_t c, std::uint32_t server) {
  const sim::SimTime now = st_.sim.now();
  constexpr Tag kind = kTracked ? kHeartbeatTracked : kHeartbeat;
  if constexpr (kTracked) {
    if (idle_pings_ && now - activity_[c] < heartbeat_interval_) {
      // Frames flowed since: ping only after a full interval of silence.
      schedule_client(activity_[c] + heartbeat_interval_, conn_tag(kind, server), c);
      return;
    }
  }
  st_.parts.servers->submit_frame(server, cost_heartbeat_, kJobHeartbeat, c);
  if constexpr (kTracked) activity_[c] = now;
  schedule_client(now + heartbeat_interval_, conn_tag(kind, server), c);
}

template <bool kTracked>
void Connections::message(std::uint32_t c, std::uint32_t server) {
  const sim::SimTime done = st_.parts.servers->submit_frame(server, cost_message_, kJobMessage, c);
  if (done != ServerPool::kLost && st_.parts.pubsub && st_.cfg.pubsub.client_publish_share > 0.0) st_.parts.pubsub->client_message(c, server, done);
  if constexpr (kTracked) {
    if (track_activity_) activity_[c] = st_.sim.now();
    if (idle_close_ > 0) data_activity_[c] = st_.sim.now();
  }
  schedule_client(st_.sim.now() + st_.duration(rng_messages_.exponential(message_mean_gap_s_)),
                  conn_tag(kTracked ? kMessageTracked : kMessage, server), c);
}

void Connections::server_message(std::uint32_t server) {
  const Server& s = st_.servers[server];
  if (!s.up || s.connected == 0) return;  // a crash or a drain took its connections: no stream until one connects
  const std::uint32_t c = need_sender_ ? st_.parts.servers->draw_sender(server, rng_messages_) : 0;
  const sim::SimTime done = st_.parts.servers->submit_frame(server, cost_message_, kJobMessage, c);
  if (done != ServerPool::kLost && st_.parts.pubsub && st_.cfg.pubsub.client_publish_share > 0.0) st_.parts.pubsub->client_message(c, server, done);
  next_message(server);
}

void Connections::connections_changed(std::uint32_t server) {
  if (pool_messages_) {
    st_.parts.servers->messages_changed(server);
  } else if (server_messages_) {
    restart_messages(server);
  }
}

void Connections::restart_messages(std::uint32_t server) {
  ++message_gen_[server];
  const Server& s = st_.servers[server];
  if (s.up && s.connected > 0) next_message(server);
}

void Connections::next_message(std::uint32_t server) {
  const double gap = message_mean_gap_s_ / static_cast<double>(st_.servers[server].connected);
  const sim::SimTime at = st_.sim.now() + st_.duration(rng_messages_.exponential(gap));
  if (at <= st_.end) st_.sim.schedule_at(at, self_, kServerMessage, FleetState::pack(server, message_gen_[server]));
}

void Connections::idle_close(std::uint32_t c) {
  const sim::SimTime now = st_.sim.now();
  Client& cl = st_.clients[c];
  if (now - data_activity_[c] < idle_close_) {
    schedule_client(data_activity_[c] + idle_close_, conn_tag(kIdleClose, static_cast<std::uint32_t>(cl.server)), c);
    return;
  }
  // The server's idle policy: no data for idle_close_s, whatever pings said. The client reconnects.
  close_connection(c, st_.conn.idle_closed);
}

void Connections::idle_check(std::uint32_t c) {
  const sim::SimTime now = st_.sim.now();
  if (now - activity_[c] < idle_timeout_) {
    schedule_client(activity_[c] + idle_timeout_, conn_tag(kIdleCheck, static_cast<std::uint32_t>(st_.clients[c].server)), c);
    return;
  }
  // No frame for the idle timeout: the balancer closes both sides; the client reconnects.
  close_connection(c, st_.conn.idle_cut);
}

void Connections::session_end(std::uint32_t c) {
  Client& cl = st_.clients[c];
  const auto server = static_cast<std::uint32_t>(cl.server);
  st_.parts.servers->catch_up_before(server);  // its heartbeats due before now were sent
  connection_ends(c, server, true);
  Server& s = st_.servers[server];
  ++st_.conn.closed;
  ++s.interval.closed;
  --st_.connected;
  --s.connected;
  connections_changed(server);
  if (st_.cfg.clients.vanish_share > 0.0 && rng_vanish_.uniform01() < st_.cfg.clients.vanish_share) {
    vanish(c);
  } else {
    ++st_.conn.ended;
    release_slot(c);
  }
  ++st_.gens[c];
  if (st_.cfg.clients.on_session_end == SessionEnd::Reconnect) {
    backoff_->on_session_restart(cl.backoff, st_.sim.now());
    cl.retrying = false;
    if (cl.server < 0 && st_.cfg.clients.offline_mean_s > 0.0) {
      // Its network dropped (it vanished): it comes back online after a while, then reconnects.
      cl.state = ClientState::Waiting;
      ++st_.waiting;
      schedule_client(st_.sim.now() + st_.duration(rng_offline_.exponential(st_.cfg.clients.offline_mean_s)), kAttempt, c);
      return;
    }
    attempt(c);
  } else {
    cl.state = ClientState::Left;
  }
}

void Connections::vanish(std::uint32_t c) {
  // The client's network dropped without a close: the client is gone, but its server (and the
  // balancer's proxied socket) keep the connection until something notices (HalfOpenConnections);
  // the client record is free to connect again.
  ++st_.conn.vanished;
  leave_members(c);  // the balancer keeps counting it: its proxied socket is still open
  half_open_->vanished(c, activity_[c], rng_vanish_);
  st_.clients[c].server = -1;
}

void Connections::leave_members(std::uint32_t c) {
  const Client& cl = st_.clients[c];
  Server& s = st_.servers[static_cast<std::size_t>(cl.server)];
  const std::uint32_t last = s.members.back();
  s.members[cl.slot] = last;
  st_.clients[last].slot = cl.slot;
  s.members.pop_back();
}

void Connections::release_slot(std::uint32_t c) {
  Client& cl = st_.clients[c];
  leave_members(c);
  st_.parts.balancers->connection_closed(cl.balancer, static_cast<std::uint32_t>(cl.server), cl.worker);
  cl.server = -1;
}

void Connections::connection_ends(std::uint32_t c, std::uint32_t server, bool session_over) {
  st_.parts.servers->heartbeats_closed(server);
  st_.listeners.closed(c, session_over);
}

void Connections::close_connection(std::uint32_t c, std::uint64_t& reason) {
  const auto server = static_cast<std::uint32_t>(st_.clients[c].server);
  st_.parts.servers->catch_up_before(server);  // its heartbeats due before now were sent
  connection_ends(c, server, false);
  Server& s = st_.servers[server];
  ++st_.conn.closed;
  ++reason;
  ++s.interval.closed;
  --st_.connected;
  --s.connected;
  connections_changed(server);
  release_slot(c);
  retry_later(c, RetryCause::ConnectionLost);
}

void Connections::cut_connection(std::uint32_t c, std::uint32_t fault, bool release) {
  Client& cl = st_.clients[c];
  const auto server = static_cast<std::uint32_t>(cl.server);
  st_.parts.servers->catch_up_before(server);  // its heartbeats due before now were sent
  Server& s = st_.servers[server];
  FaultState& f = st_.faults[fault];
  const bool connected = cl.state == ClientState::Connected;
  if (connected) {
    connection_ends(c, server, false);
    ++st_.conn.closed;
    ++st_.conn.dropped;
    ++s.interval.closed;
    ++s.interval.dropped;
    --st_.connected;
    --s.connected;
    if (s.up) connections_changed(server);  // a balancer's crash; a crashed server's stream just stops
    ++f.outcome.connections_dropped;
    ++f.outstanding;
    cl.storm = static_cast<std::uint16_t>(fault + 1);
  } else {
    ++s.interval.failed;
    --st_.connecting;
    ++f.outcome.handshakes_failed;
  }
  if (release) {
    release_slot(c);
  } else {
    cl.server = -1;
  }
  if (connected) {
    retry_later(c, RetryCause::ConnectionLost);
  } else {
    refuse(c, Refusal::Crash);
  }
}

void Connections::close_for_drain(std::uint32_t c, std::uint32_t server) {
  st_.parts.servers->catch_up_before(server);  // its heartbeats due before now were sent (its stream ends with the server)
  Client& cl = st_.clients[c];
  Server& s = st_.servers[server];
  if (cl.state == ClientState::Connected) connection_ends(c, server, false);
  st_.parts.balancers->connection_closed(cl.balancer, server, cl.worker);
  cl.server = -1;
  if (cl.state == ClientState::Connected) {
    ++st_.conn.closed;
    ++st_.conn.drained;
    ++s.interval.closed;
    --st_.connected;
    retry_later(c, RetryCause::ConnectionLost);
  } else {
    ++s.interval.failed;
    --st_.connecting;
    refuse(c, Refusal::Crash);
  }
}

void Connections::retry_later(std::uint32_t c, RetryCause cause, sim::SimTime at_least) {
  Client& cl = st_.clients[c];
  ++st_.gens[c];
  const sim::SimTime now = st_.sim.now();
  const RetryContext context{now, cause == RetryCause::ConnectionLost ? now : cl.attempt_at, cause};
  const std::optional<sim::SimTime> delay = backoff_->retry_delay(cl.backoff, rng_backoff_, context);
  if (!delay) {
    st_.listeners.session_ended(c);
    cl.state = ClientState::GaveUp;
    ++st_.conn.gave_up;
    ++st_.iv.gave_up;
    if (cl.storm != 0) {
      st_.faults[cl.storm - 1u].incomplete = true;
      cl.storm = 0;
    }
    return;
  }
  cl.state = ClientState::Waiting;
  cl.retrying = true;
  ++st_.waiting;
  // A refused or failed attempt costs the client at least a round trip before it can try again, so
  // even "retry at once" cannot spin at one instant: no retry comes sooner than kMinRetryGap (or the
  // client's network round trip to its nearest site, when longer).
  const sim::SimTime round_trip =
      st_.cfg.topology.enabled() ? static_cast<sim::SimTime>(2.0 * st_.latency(cl.region, st_.topo.nearest_sites(cl.region).front())) : 0;
  const sim::SimTime at = now + std::max({at_least, *delay, kMinRetryGap, round_trip});
  if (at <= st_.end) st_.sim.schedule_at(at, self_, kAttempt, FleetState::pack(c, st_.gens[c]));
}

void Connections::summarise(RunSummary& s) const {
  s.handshake_latency = stats_of(handshake_latency_ms_);
  half_open_->summarise(s);
}

void Connections::conservation(RunSummary& summary) const {
  syns_->conservation(summary);
  std::uint64_t held = st_.parts.balancers->held_now();  // HAProxy: pending attempts still waiting at a balancer hold no slot yet
  held += syns_->pending();                              // link_down: pending attempts whose SYN never arrived hold none either
  held += st_.parts.balancers->connect_waits_now();      // site_partition: waiting for the balancer's connect, on no server
  if (st_.parts.steps) held += st_.parts.steps->held_now();  // their requests before the WebSocket run, on no server yet
  add_connection_checks(summary, st_, held);
}

}  // namespace wsfleet::models
