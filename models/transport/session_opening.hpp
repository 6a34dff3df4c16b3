#pragma once
// The HTTP requests a client library sends before its WebSocket handshake, for the client presets
// whose libraries send them (docs/client_presets.md, "Before the WebSocket"):
//
// - socket.io-client (backoff.policy = "socketio"; engine.io-client 6.x, lib/socket.ts): the
//   default `transports` are ["polling", "websocket", "webtransport"], so every session opens on
//   HTTP long polling and then upgrades (`upgrade` true; `rememberUpgrade` false by default). The
//   sequence Socket.IO's documentation lists ("How it works", the upgrade mechanism), as the model
//   sends it: (1) the handshake GET, which opens the Engine.IO session (sid) on the server that
//   answers it; (2) a POST carrying the Socket.IO CONNECT packet (`SocketWithoutUpgrade.onOpen`
//   flushes the write buffer); (3) a GET poll (the polling transport polls again as soon as the
//   handshake is answered; it brings the CONNECT reply); (4) the last GET poll, which the server
//   answers with a noop once the upgrade is under way; then the WebSocket handshake with the sid
//   (`SocketWithUpgrade._probe`: "2probe", "3probe", then "5" over the WebSocket). Requests (2) to
//   (4) and the WebSocket carry the sid: on a server without the session engine.io's
//   `BaseServer.verify()` fails them with error 1 "Session ID unknown" (HTTP 400). The client
//   takes a failed request as a transport error (`_onError` -> `_onClose("transport error")`) and
//   reconnects through its backoff.
// - SignalR JS (backoff.policy = "signalr"; aspnetcore src/SignalR/clients/ts/signalr/src/
//   HttpConnection.ts): `startInternal` POSTs `{url}/negotiate?negotiateVersion=1` before the
//   transport connects, unless `skipNegotiation` (allowed only with the WebSockets transport);
//   the WebSocket then carries the negotiated connection token (`id=`), and a server that does not
//   hold it answers 404 (HttpConnectionDispatcher: "No Connection with that ID").
//
// Every request is routed on its own by the client's balancer (BalancerTier::route_request, as the
// fallback transports' polls are): a sticky balancer (cookie: the balancer's cookie comes with the
// first response; source_ip: it remembers the first request's server) or a hashing policy sends
// them all to one server, round robin sends each to the next. Each request that reaches a server
// costs transport.long_polling.request_us of its CPU (the cost model of the fallback transports'
// requests), queued with the server's other work; a 400 or 404 costs the same.
//
// In time, as the libraries send them: the first request leaves at the attempt's start and each
// next one when the previous reply arrives, i.e. after its server's queueing and work and one
// round trip (2 x the client region's latency to the server's site); the WebSocket handshake
// starts when the last reply arrives (AttemptSteps::opening_done), so the attempt's handshake
// latency includes the sequence, and a least-connections balancer sees the fleet as it is when
// each request leaves. The attempt's timeout runs from its start over the whole sequence (a
// sequence still running then is abandoned: `timed_out`).
//
// Simplifications: a request that fails (a down backend, no backend, a down balancer, Session ID
// unknown) ends the attempt at once rather than one round trip later; a server that crashes while
// a request waits on it still answers it; the last poll, which engine.io-client sends while the
// WebSocket probe runs, is answered before the WebSocket starts; a session that a failed sequence
// leaves on a server costs it nothing more (engine.io closes it at its ping timeout); SignalR's
// negotiate redirects (Azure SignalR Service) are not modelled. Its events (the replies) go to its
// own handler; no random stream.
#include <cstdint>
#include <string>
#include <vector>

#include "models/fleet/fleet_state.hpp"
#include "models/fleet/listeners.hpp"
#include "models/fleet_config.hpp"
#include "models/run_summary.hpp"
#include "sim/event_handler.hpp"

namespace wsfleet::models {

/// Which opening sequence the clients' library sends before its WebSocket.
enum class OpeningLibrary : std::uint8_t { None, EngineIo, SignalR };

/// The session openings of one run.
class SessionOpening : public sim::EventHandler, public ConnectionListener {
 public:
  /// Why an opening sequence failed (None: its requests were answered).
  enum class Failure : std::uint8_t { None, SessionUnknown, BackendDown, NoBackend, BalancerDown };

  /// The sequence a scenario's clients send: engine.io when clients.upgrade_from_polling is "on",
  /// or "preset" with backoff.policy = "socketio"; signalr with backoff.policy = "signalr" unless
  /// clients.skip_negotiation; else None.
  static OpeningLibrary library_of(const FleetConfig& cfg);
  /// HTTP requests before the WebSocket handshake of one attempt whose requests all succeed.
  static std::uint32_t requests_per_open(OpeningLibrary library);
  static bool needed(const FleetConfig& cfg) { return library_of(cfg) != OpeningLibrary::None; }

  explicit SessionOpening(FleetState& state);

  void handle(const sim::Event& e) override;

  /// Client `c` starts an attempt (Connections holds it as opening): sends the first request now,
  /// each next one when the previous reply arrives. The first request that fails ends it through
  /// AttemptSteps::opening_failed; the last reply hands it to AttemptSteps::opening_done (the
  /// WebSocket handshake, whose server must hold the session).
  void open(std::uint32_t c);
  /// engine.io-client rememberUpgrade (clients.remember_upgrade): true when client `c`'s last
  /// connection upgraded to WebSocket and no attempt failed since (priorWebsocketSuccess): this
  /// attempt goes straight to WebSocket, with no request before it (and no session to hold).
  bool straight_to_websocket(std::uint32_t c);
  /// A connection was established (after its upgrade): priorWebsocketSuccess (registered as a
  /// listener only with clients.remember_upgrade).
  void connection_opened(std::uint32_t c) override { if (remember_) prior_ws_[c] = 1; }
  void connection_closed(std::uint32_t /*c*/, bool /*session_over*/) override {}
  /// Client `c`'s attempt timed out during its sequence: the reply on its way is ignored.
  void abandon(std::uint32_t c);
  /// Sequences running now.
  std::uint64_t in_flight() const { return in_flight_; }
  /// The balancer of the request that failed last (for the refusal tally), and its server (-1: none).
  std::uint32_t failed_balancer() const { return failed_balancer_; }
  std::int32_t failed_server() const { return failed_server_; }
  /// Client `c`'s WebSocket handshake reached `server` after a complete sequence: true when that
  /// server holds the session; otherwise the server answers it with an error (its CPU is charged)
  /// and the attempt fails.
  bool upgrade_reaches(std::uint32_t c, std::uint32_t server);

  /// Fills summary.session_opening.
  void summarise(RunSummary& summary) const;
  /// Adds its conservation checks (after the connections' summary is filled).
  void conservation(RunSummary& summary) const;

 private:
  enum Tag : std::uint32_t { kReply };
  /// Routes request number step_[c] of client `c` now; on success its reply is scheduled, on failure
  /// the attempt ends.
  void send_next(std::uint32_t c);
  /// Routes one request of client `c`; `opens_session`: the request that opens it (any server will
  /// do). On None `reply_at` is when its reply reaches the client.
  Failure send(std::uint32_t c, bool opens_session, sim::SimTime& reply_at);

  FleetState& st_;
  OpeningLibrary library_;
  sim::SimTime cost_ = 0;
  std::uint32_t self_ = 0;
  std::vector<std::int32_t> session_;   ///< per client: the server holding the session of its current attempt (-1: none)
  std::vector<std::uint32_t> seq_;      ///< per client: bumped per sequence and when one is abandoned (stale replies are ignored)
  std::vector<std::uint8_t> step_;      ///< per client: the request its sequence is at
  std::uint64_t in_flight_ = 0;
  bool remember_ = false;               ///< clients.remember_upgrade
  std::vector<std::uint8_t> prior_ws_;  ///< per client (with remember_): priorWebsocketSuccess
  std::vector<std::uint8_t> direct_;    ///< per client (with remember_): its attempt went straight to WebSocket
  std::uint32_t failed_balancer_ = 0;
  std::int32_t failed_server_ = -1;
  SessionOpeningOutcome out_;
};

}  // namespace wsfleet::models
