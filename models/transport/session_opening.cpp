#include "models/transport/session_opening.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "models/fleet/attempt_steps.hpp"
#include "models/fleet/balancer_tier.hpp"
#include "models/fleet/connections.hpp"
#include "models/fleet/server_pool.hpp"
#include "models/fleet/summary_helpers.hpp"

namespace wsfleet::models {

OpeningLibrary SessionOpening::library_of(const FleetConfig& cfg) {
  const ClientsSection& c = cfg.clients;
  const std::string& policy = cfg.backoff.policy;
  if (c.upgrade_from_polling == UpgradeFromPolling::On) return OpeningLibrary::EngineIo;
  if (c.upgrade_from_polling == UpgradeFromPolling::Preset && policy == "socketio") return OpeningLibrary::EngineIo;
  if (policy == "signalr" && !c.skip_negotiation) return OpeningLibrary::SignalR;
  return OpeningLibrary::None;
}

std::uint32_t SessionOpening::requests_per_open(OpeningLibrary library) {
  switch (library) {
    case OpeningLibrary::EngineIo: return 4;  // handshake GET, CONNECT POST, GET poll, last GET poll
    case OpeningLibrary::SignalR: return 1;   // POST /negotiate
    case OpeningLibrary::None: break;
  }
  return 0;
}

SessionOpening::SessionOpening(FleetState& state) : st_(state), library_(library_of(state.cfg)) {
  if (library_ == OpeningLibrary::None) throw std::logic_error("a session opening without a library that sends one");
  cost_ = sim::from_micros(st_.cfg.transport.long_polling.request_us);
  session_.assign(st_.clients.size(), -1);
  seq_.assign(st_.clients.size(), 0);
  step_.assign(st_.clients.size(), 0);
  self_ = st_.sim.add_handler(this);
  remember_ = library_ == OpeningLibrary::EngineIo && st_.cfg.clients.remember_upgrade;
  if (remember_) {
    prior_ws_.assign(st_.clients.size(), 0);
    direct_.assign(st_.clients.size(), 0);
  }
  out_.enabled = true;
  out_.library = library_ == OpeningLibrary::EngineIo ? "engine.io" : "signalr";
  out_.requests_per_open = requests_per_open(library_);
}

SessionOpening::Failure SessionOpening::send(std::uint32_t c, bool opens_session, sim::SimTime& reply_at) {
  ++out_.requests_sent;
  failed_server_ = -1;
  std::uint32_t server = 0;
  switch (st_.parts.balancers->route_request(c, server)) {
    case RequestFailure::BalancerDown: ++out_.failed_balancer_down; ++out_.requests_failed;
      failed_balancer_ = st_.parts.balancers->balancer_of(c);
      return Failure::BalancerDown;
    case RequestFailure::NoBackend: ++out_.failed_no_backend; ++out_.requests_failed;
      failed_balancer_ = st_.parts.balancers->balancer_of(c);
      return Failure::NoBackend;
    case RequestFailure::BackendDown: ++out_.failed_backend_down; ++out_.requests_failed;
      failed_balancer_ = st_.parts.balancers->balancer_of(c);
      failed_server_ = static_cast<std::int32_t>(server);
      return Failure::BackendDown;
    case RequestFailure::None: break;
  }
  // The request reached a server: its work (or its 400) is queued there.
  // Its reply reaches the client one round trip after the server has done its work (the work is
  // queued as the request leaves; the way there is counted in the round trip).
  const auto rtt = static_cast<sim::SimTime>(2.0 * st_.latency(st_.clients[c].region, st_.topo.site_of(server)));
  reply_at = st_.parts.servers->submit_work(server, cost_) + rtt;
  out_.cpu_seconds += sim::to_seconds(cost_);
  if (opens_session) {
    // The handshake (engine.io) or the negotiate (SignalR) opens the session on this server. The
    // balancer's affinity starts with its answer: a cookie-inserting balancer (HAProxy `cookie ...
    // insert`, NGINX sticky cookie) sets the cookie on it; a source-IP table remembers the server.
    session_[c] = static_cast<std::int32_t>(server);
    if (st_.cfg.balancer.sticky == Stickiness::Cookie) st_.clients[c].sticky = static_cast<std::int32_t>(server);
    st_.parts.balancers->remember(c, server);
    ++out_.requests_answered;
    return Failure::None;
  }
  if (static_cast<std::int32_t>(server) != session_[c]) {
    // engine.io BaseServer.verify(): the sid is not among this server's clients: 400, error code 1.
    ++out_.failed_session_unknown;
    ++out_.requests_failed;
    return Failure::SessionUnknown;
  }
  ++out_.requests_answered;
  return Failure::None;
}

void SessionOpening::open(std::uint32_t c) {
  ++out_.opens;
  ++in_flight_;
  ++seq_[c];
  session_[c] = -1;
  step_[c] = 0;
  send_next(c);
}

void SessionOpening::send_next(std::uint32_t c) {
  sim::SimTime reply_at = 0;
  const Failure f = send(c, step_[c] == 0, reply_at);
  if (f != Failure::None) {
    session_[c] = -1;
    --in_flight_;
    ++out_.sequences_failed;
    return st_.parts.steps->opening_failed(c, f);
  }
  // The next request (or the WebSocket) leaves when this reply arrives.
  st_.sim.schedule_at(std::max(reply_at, st_.sim.now()), self_, kReply, FleetState::pack(c, seq_[c]));
}

void SessionOpening::handle(const sim::Event& e) {
  if (e.tag != kReply) throw std::logic_error("SessionOpening: unknown event tag");
  const auto c = static_cast<std::uint32_t>(e.data & 0xFFFFFFFFu);
  if (seq_[c] != static_cast<std::uint32_t>(e.data >> 32)) return;  // its attempt timed out meanwhile
  if (++step_[c] < requests_per_open(library_)) return send_next(c);
  --in_flight_;
  ++out_.sequences_completed;
  st_.parts.steps->opening_done(c);
}

bool SessionOpening::straight_to_websocket(std::uint32_t c) {
  if (!remember_) return false;
  // engine.io-client SocketWithoutUpgrade._open: rememberUpgrade && priorWebsocketSuccess -> "websocket".
  // The flag is cleared now and set again when this connection is established: an attempt that
  // fails leaves it false (_onError clears priorWebsocketSuccess), so the next one polls first.
  direct_[c] = prior_ws_[c];
  prior_ws_[c] = 0;
  if (direct_[c]) ++out_.straight_to_websocket;
  return direct_[c] != 0;
}

void SessionOpening::abandon(std::uint32_t c) {
  ++seq_[c];
  session_[c] = -1;
  --in_flight_;
  ++out_.sequences_timed_out;
}

bool SessionOpening::upgrade_reaches(std::uint32_t c, std::uint32_t server) {
  if (remember_ && direct_[c]) {  // a plain WebSocket (rememberUpgrade): its handshake opens the session wherever it lands
    direct_[c] = 0;
    return true;
  }
  ++out_.upgrades;
  const bool held = session_[c] == static_cast<std::int32_t>(server);
  session_[c] = -1;
  if (held) return true;
  // engine.io: handleUpgrade -> verify() fails -> abortUpgrade with 400 "Session ID unknown";
  // SignalR: the connection token is not on this server -> 404. Either costs a request's work.
  ++out_.upgrades_session_unknown;
  st_.parts.servers->submit_work(server, cost_);
  out_.cpu_seconds += sim::to_seconds(cost_);
  return false;
}

void SessionOpening::summarise(RunSummary& summary) const {
  summary.session_opening = out_;
  summary.session_opening.sequences_in_flight_at_end = in_flight_;
  summary.session_opening.http_bytes = static_cast<double>(out_.requests_sent) * st_.cfg.transport.long_polling.request_bytes;
}

void SessionOpening::conservation(RunSummary& summary) const {
  const SessionOpeningOutcome& o = summary.session_opening;
  add_conservation_check(summary, "session opening requests", "requests_sent = requests_answered + requests_failed",
                         o.requests_sent, {o.requests_answered, o.requests_failed});
  add_conservation_check(summary, "session opening failures",
                         "requests_failed = failed_session_unknown + failed_backend_down + failed_no_backend + failed_balancer_down",
                         o.requests_failed, {o.failed_session_unknown, o.failed_backend_down, o.failed_no_backend, o.failed_balancer_down});
  add_conservation_check(summary, "session opening sequences",
                         "opens = sequences_completed + sequences_failed + sequences_timed_out + sequences_in_flight_at_end",
                         o.opens, {o.sequences_completed, o.sequences_failed, o.sequences_timed_out, o.sequences_in_flight_at_end});
  if (summary.signalr_fallback.enabled) {  // a 404 on a transport that is not the last one falls back instead
    add_conservation_check(summary, "session unknown attempts",
                           "connections.failed_session_unknown + signalr_fallback.fallbacks_by.session_unknown = "
                           "failed_session_unknown + upgrades_session_unknown",
                           summary.connections.failed_session_unknown + summary.signalr_fallback.fallbacks_session_unknown,
                           {o.failed_session_unknown, o.upgrades_session_unknown});
  } else {
    add_conservation_check(summary, "session unknown attempts",
                           "connections.failed_session_unknown = failed_session_unknown + upgrades_session_unknown",
                           summary.connections.failed_session_unknown, {o.failed_session_unknown, o.upgrades_session_unknown});
  }
  // CPU: every request that reached a server, and every upgrade that reached the wrong one, cost request_us.
  const std::uint64_t reached = o.requests_answered + o.failed_session_unknown + o.upgrades_session_unknown;
  if (cost_ > 0) add_conservation_check(summary, "session opening cpu", "cpu_seconds / request_us = requests reaching a server",
                         static_cast<std::uint64_t>(o.cpu_seconds / sim::to_seconds(cost_) + 0.5), {reached});
}

}  // namespace wsfleet::models
