#pragma once
// SignalR JS's transport fallback (@microsoft/signalr, aspnetcore src/SignalR/clients/ts/signalr/src/
// HttpConnection.ts: `_startInternal`, `_createTransport`, `_resolveTransportOrError`), for
// backoff.policy = "signalr" with negotiation (clients.skip_negotiation = false), as the library does:
// - The negotiate response lists the server's transports in its order, WebSockets, ServerSentEvents,
//   LongPolling (an ASP.NET Core hub offers all three by default). Each is filtered by the client's
//   `transport` option (clients.signalr_transport; `transportMatches`: every one when unset); a
//   transport the client disables is skipped without a request ("Store the error and continue, we
//   don't want to cause a re-negotiate in these cases").
// - The first transport left starts with the negotiated connection token. When its start fails
//   (`_startTransport` rejects: the WebSocket's error or close before open, the EventSource's error,
//   a failed first poll), the error is stored, the negotiate response dropped (`negotiate =
//   undefined`) and the next transport POSTs /negotiate again (a new connection token, on whichever
//   server the balancer picks) before it starts. A failed negotiation, the first or a later one,
//   rejects at once: no fallback.
// - When the last allowed transport fails, start() fails ("Unable to connect to the server with any
//   of the available transports"): the attempt fails, counted under its last failure, and the preset's
//   backoff decides what follows. skipNegotiation allows only WebSockets: no fallback (the component
//   is not created; nor with clients.signalr_transport = "websockets").
// As modelled (AttemptSteps drives it; SessionOpening sends the negotiates):
// - Every failure of a transport's start falls back: a refusal or failure at the balancer or server
//   (Connections::refuse: full, shed, no backend, down backend or balancer, source ports, a crash or
//   drain cutting the handshake), its timeout, Session ID unknown (404: the token is on another
//   server), and a WebSocket blocked for the client (a websocket_block fault in force for it).
// - Each transport's try (its negotiate and its start) has its own timeout (clients.connect_timeout_s,
//   else 10 s) from its negotiate's start: the browser's WebSocket, EventSource or XHR times out on
//   its own. The attempt's handshake latency runs from its first negotiate.
// - Server-Sent Events and long polling connect as the WebSocket does in the model (the balancer's
//   pick, a slot, fleet.cpu.handshake_us and a round trip) and then run as the project's fallback
//   transports (FallbackTransports). The next attempt starts again from WebSockets (HttpConnection
//   keeps no memory of the transport that worked).
// Simplifications: a failed start is known at once (as a failed request of the session opening),
// a blocked WebSocket too (a proxy's error would come about one round trip later); clients whose
// own transport is a fallback ([transport] shares) are not blocked here (FallbackTransports places
// them); Azure SignalR's negotiate redirects are not modelled. No events, no random stream.
#include <cstdint>
#include <vector>

#include "models/fleet/fleet_state.hpp"
#include "models/fleet/listeners.hpp"
#include "models/fleet_config.hpp"
#include "models/run_summary.hpp"
#include "models/transport/fallback_transports.hpp"
#include "sim/time.hpp"

namespace wsfleet::models {

/// SignalR's transport fallback of one run.
class SignalRFallback : public ConnectionListener {
 public:
  /// Why a transport's start failed.
  enum class Cause : std::uint8_t { Blocked, Refused, TimedOut, SessionUnknown };

  /// backoff.policy = "signalr" negotiating (no skip_negotiation) with a transport besides WebSockets
  /// allowed, and clients.pusher_fallback not "on" (which races pusher-js's fallback instead).
  static bool needed(const FleetConfig& cfg);
  /// The transports `option` allows, in the server's order (WebSockets, ServerSentEvents, LongPolling).
  static std::vector<Transport> allowed(SignalRTransport option);

  explicit SignalRFallback(FleetState& state);

  /// Client `c`'s attempt starts now with its first negotiate.
  void attempt_started(std::uint32_t c);
  /// Its negotiate was answered: the transport it starts now (counted as a start).
  Transport start_transport(std::uint32_t c);
  /// The start of client `c`'s current transport failed (`cause`). True when a transport is left:
  /// the client negotiates again now for it (a fallback, counted). False while it negotiates (a
  /// negotiation failed: no fallback) or after its last transport (counted as exhausted): the
  /// attempt fails.
  bool fall_back(std::uint32_t c, Cause cause);
  /// When client `c`'s attempt started (its first negotiate), ns.
  sim::SimTime attempt_start(std::uint32_t c) const { return started_[c]; }

  /// Counts the connection under its transport.
  void connection_opened(std::uint32_t c) override;
  void connection_closed(std::uint32_t /*c*/, bool /*session_over*/) override {}

  /// Fills summary.signalr_fallback.
  void summarise(RunSummary& summary) const;
  /// Adds its conservation checks (after the connections' and the session opening's summaries are filled).
  void conservation(RunSummary& summary) const;

 private:
  FleetState& st_;
  std::vector<Transport> order_;          ///< the allowed transports, in the server's order
  std::vector<std::uint8_t> stage_;       ///< per client: index in order_ of the transport it negotiates for or starts
  std::vector<std::uint8_t> starting_;    ///< per client: its transport's start runs (its negotiate was answered)
  std::vector<sim::SimTime> started_;     ///< per client: when its attempt started
  SignalRFallbackOutcome out_;
};

}  // namespace wsfleet::models
