#pragma once
// The steps client libraries add around an attempt's WebSocket handshake, between the Connections
// (the attempt's lifecycle) and the transport models that run them:
// - the HTTP requests before the WebSocket (models/transport/session_opening.hpp: engine.io's
//   polling handshake, SignalR's negotiate), during which the attempt is held on no server;
// - pusher-js's HTTP fallback raced against the WebSocket (models/transport/pusher_fallback.hpp);
// - SignalR's fallback to Server-Sent Events, then long polling, after a transport fails to start,
//   with a new negotiate before each (models/transport/signalr_fallback.hpp).
// The Connections ask it at six points (an attempt starts, its WebSocket handshake reaches a
// server, that handshake's completion time is known, the attempt times out while its requests
// run, its transport fails to start, its connection is established); SessionOpening and PusherFallbackRace report back to it, and it drives the attempt through
// the Connections' public attempt interface (hold, unhold, route_websocket, refuse, session_unknown,
// connect_at). It has no events and no random stream of its own.
#include <cstdint>
#include <optional>

#include "models/fleet/fleet_state.hpp"
#include "models/fleet/refusal.hpp"
#include "models/transport/session_opening.hpp"
#include "sim/time.hpp"

namespace wsfleet::models {

struct Route;

/// The library steps around the attempts of one run (created when SessionOpening or PusherFallbackRace is).
class AttemptSteps {
 public:
  /// Client::server while the library's requests before the WebSocket run (on no server yet).
  static constexpr std::int32_t kOpening = -3;
  /// A handshake that will not be done (handshake_due).
  static constexpr sim::SimTime kNever = -1;

  /// True when the run has such steps (state.parts.opening or state.parts.race is set).
  static bool needed(const FleetState& state) { return state.parts.opening != nullptr || state.parts.race != nullptr; }

  explicit AttemptSteps(FleetState& state) : st_(state) {}

  /// Client `c`'s attempt starts now and times out at `deadline`. True when a step took it (its
  /// requests before the WebSocket run, or pusher-js's cached fallback took it over): the
  /// Connections route nothing now. False: the WebSocket is routed now.
  bool attempt_started(std::uint32_t c, sim::SimTime deadline);
  /// Client `c`'s WebSocket handshake reached the server `route` chose. False when that server does
  /// not hold the session the requests opened: the attempt failed (Session ID unknown, counted).
  bool handshake_reaches(std::uint32_t c, const Route& route);
  /// Client `c`'s WebSocket handshake will be done at `due` (kNever: it will not).
  void handshake_due(std::uint32_t c, sim::SimTime due);
  /// The attempt's timeout came while its requests before the WebSocket ran: they are abandoned and
  /// the attempt fails (timeout).
  void opening_timed_out(std::uint32_t c);
  /// The transport client `c` was starting failed (`why`; nullopt: Session ID unknown). True when
  /// SignalR falls back to its next transport (SignalRFallback): the client negotiates again now,
  /// within a timeout of its own, and the Connections count nothing. False: the attempt fails.
  bool falls_back(std::uint32_t c, std::optional<Refusal> why);
  /// When client `c`'s attempt started (SignalR: its first negotiate; else Client::attempt_at), ns.
  sim::SimTime attempt_start(std::uint32_t c) const;

  /// SessionOpening: every request of client `c` was answered: its WebSocket is routed now.
  void opening_done(std::uint32_t c);
  /// SessionOpening: one of them failed: counted, then the backoff.
  void opening_failed(std::uint32_t c, SessionOpening::Failure why);
  /// PusherFallbackRace: its fallback, routed by `route`, will connect client `c` at `done`, first:
  /// the WebSocket's handshake still in flight is closed (or, when it already failed, the fallback
  /// counts as an attempt of its own). `fresh`: the attempt started with the cached fallback.
  void fallback_takeover(std::uint32_t c, const Route& route, sim::SimTime done, bool fresh);

  /// Slots the steps hold now on no server (requests before the WebSocket in flight), for the
  /// Connections' server-slot conservation.
  std::uint64_t held_now() const;

 private:
  /// SignalR: client `c` negotiates again now for its next transport.
  void renegotiate(std::uint32_t c);

  FleetState& st_;
};

}  // namespace wsfleet::models
