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
// Simplifications: the requests of one attempt are routed at the attempt's start one after the
// other (their CPU is charged at once; the WebSocket handshake that follows on the session's
// server queues behind them); their round trips are not added to the handshake's time; the last
// poll, which engine.io-client sends while the WebSocket probe runs, is routed before the
// WebSocket; a session that a failed sequence leaves on a server costs it nothing more (engine.io
// closes it at its ping timeout); SignalR's negotiate redirects (Azure SignalR Service) are not
// modelled. No events, no random stream.
#include <cstdint>
#include <string>
#include <vector>

#include "models/fleet/fleet_state.hpp"
#include "models/fleet_config.hpp"
#include "models/run_summary.hpp"

namespace wsfleet::models {

/// Which opening sequence the clients' library sends before its WebSocket.
enum class OpeningLibrary : std::uint8_t { None, EngineIo, SignalR };

/// The session openings of one run.
class SessionOpening {
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

  /// Client `c` starts an attempt: sends the requests before its WebSocket, stopping at the first
  /// that fails. On None the WebSocket handshake follows (its server must hold the session).
  Failure open(std::uint32_t c);
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
  /// Routes one request of client `c`; `opens_session`: the request that opens it (any server will do).
  Failure send(std::uint32_t c, bool opens_session);

  FleetState& st_;
  OpeningLibrary library_;
  sim::SimTime cost_ = 0;
  std::vector<std::int32_t> session_;   ///< per client: the server holding the session of its current attempt (-1: none)
  std::uint32_t failed_balancer_ = 0;
  std::int32_t failed_server_ = -1;
  SessionOpeningOutcome out_;
};

}  // namespace wsfleet::models
