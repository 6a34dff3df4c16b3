#include "models/fleet/attempt_steps.hpp"

#include <stdexcept>

#include "models/fleet/balancer_tier.hpp"
#include "models/fleet/connections.hpp"
#include "models/transport/fallback_transports.hpp"
#include "models/transport/pusher_fallback.hpp"
#include "models/transport/signalr_fallback.hpp"

namespace wsfleet::models {

bool AttemptSteps::attempt_started(std::uint32_t c, sim::SimTime deadline) {
  // pusher-js: the cached fallback transport may take the attempt over; else its fallback is scheduled.
  if (st_.parts.race && st_.parts.race->attempt_started(c, deadline)) return true;
  if (st_.parts.opening && !st_.parts.opening->straight_to_websocket(c)) {
    // The library's HTTP requests before its WebSocket (engine.io's polling handshake, SignalR's
    // negotiate), one after the other: the WebSocket follows the last reply (opening_done).
    if (st_.parts.signalr) st_.parts.signalr->attempt_started(c);
    st_.parts.connections->hold(c, kOpening, deadline);
    st_.parts.opening->open(c);
    return true;
  }
  return false;
}

void AttemptSteps::opening_done(std::uint32_t c) {
  Connections& connections = *st_.parts.connections;
  connections.unhold(c);
  ++st_.gens[c];  // its timeout is scheduled again by the handshake (or the refusal retries)
  if (SignalRFallback* signalr = st_.parts.signalr) {
    // SignalR starts the transport the negotiation is for: the WebSocket, or SSE / long polling after it.
    const Transport t = signalr->start_transport(c);
    if (t == Transport::WebSocket && st_.parts.transports->websocket_blocked(c)) {
      // The WebSocket's upgrade fails (a proxy that blocks it): the start rejects, the next transport follows.
      if (signalr->fall_back(c, SignalRFallback::Cause::Blocked)) return renegotiate(c);
      throw std::logic_error("AttemptSteps: a blocked WebSocket without a transport after it");
    }
    if (t != Transport::WebSocket) st_.parts.transports->next_connection_on(c, t);
  }
  connections.route_websocket(c);  // the transport's connection, routed as the WebSocket's
}

bool AttemptSteps::falls_back(std::uint32_t c, std::optional<Refusal> why) {
  SignalRFallback* signalr = st_.parts.signalr;
  if (signalr == nullptr) return false;
  using Cause = SignalRFallback::Cause;
  const Cause cause = !why ? Cause::SessionUnknown : *why == Refusal::Timeout ? Cause::TimedOut : Cause::Refused;
  st_.parts.transports->forget_next(c);
  if (!signalr->fall_back(c, cause)) {
    st_.clients[c].attempt_at = signalr->attempt_start(c);  // the attempt ends: its backoff sees its real start
    return false;
  }
  renegotiate(c);
  return true;
}

void AttemptSteps::renegotiate(std::uint32_t c) {
  // HttpConnection._createTransport: `negotiate = undefined` after a failed start, so the next
  // transport POSTs /negotiate again. Its try gets a timeout of its own from now (attempt_at marks
  // the try's start; the attempt's own start stays with SignalRFallback).
  Connections& connections = *st_.parts.connections;
  ++st_.gens[c];  // the failed transport's timers are void
  st_.clients[c].attempt_at = st_.sim.now();
  connections.hold(c, kOpening, connections.deadline(c));
  st_.parts.opening->open(c);
}

sim::SimTime AttemptSteps::attempt_start(std::uint32_t c) const {
  return st_.parts.signalr ? st_.parts.signalr->attempt_start(c) : st_.clients[c].attempt_at;
}

void AttemptSteps::opening_failed(std::uint32_t c, SessionOpening::Failure why) {
  const SessionOpening& o = *st_.parts.opening;
  Connections& connections = *st_.parts.connections;
  connections.unhold(c);
  ++st_.gens[c];  // its timeout is void
  switch (why) {
    case SessionOpening::Failure::SessionUnknown: return connections.session_unknown(c);
    case SessionOpening::Failure::BackendDown:
      st_.refusals.routed(c, o.failed_server(), o.failed_balancer());
      return connections.refuse(c, Refusal::BackendDown);
    case SessionOpening::Failure::NoBackend:
      st_.refusals.routed(c, -1, o.failed_balancer());
      return connections.refuse(c, Refusal::NoBackend);
    case SessionOpening::Failure::BalancerDown:
      st_.refusals.routed(c, -1, o.failed_balancer());
      return connections.refuse(c, Refusal::BalancerDown);
    case SessionOpening::Failure::None: break;
  }
  throw std::logic_error("AttemptSteps: an opening that did not fail");
}

void AttemptSteps::opening_timed_out(std::uint32_t c) {
  st_.parts.opening->abandon(c);
  st_.parts.connections->unhold(c);
  st_.parts.connections->refuse(c, Refusal::Timeout);
}

bool AttemptSteps::handshake_reaches(std::uint32_t c, const Route& route) {
  if (!st_.parts.opening || st_.parts.opening->upgrade_reaches(c, route.server)) return true;
  // The WebSocket upgrade carries the session (sid, connection token) to a server that does not
  // hold it: answered at once with an error; the balancer's upstream connection closes.
  st_.parts.balancers->connection_closed(route.balancer, route.server, route.worker);
  ++st_.servers[route.server].interval.failed;
  st_.clients[c].server = -1;
  st_.parts.connections->session_unknown(c);
  return false;
}

void AttemptSteps::handshake_due(std::uint32_t c, sim::SimTime due) {
  static_assert(kNever == PusherFallbackRace::kNever);
  if (st_.parts.race) st_.parts.race->websocket_due(c, due);
}

void AttemptSteps::fallback_takeover(std::uint32_t c, const Route& route, sim::SimTime done, bool fresh) {
  Connections& connections = *st_.parts.connections;
  const Client& cl = st_.clients[c];
  if (!fresh) {
    if (cl.state == ClientState::Connecting) {  // the WebSocket handshake still in flight: the client closes it
      connections.release_slot(c);
      --st_.connecting;
    } else {  // its WebSocket failed and the loop waits out its timeout: the fallback's connect is an attempt of its own
      --st_.waiting;
      ++st_.conn.attempted;
      ++st_.iv.attempts;
    }
  }
  ++st_.gens[c];  // the WebSocket's timers (its handshake, its timeout, the loop's next turn) are void
  connections.connect_at(c, route, done);
}

std::uint64_t AttemptSteps::held_now() const { return st_.parts.opening ? st_.parts.opening->in_flight() : 0; }

}  // namespace wsfleet::models
