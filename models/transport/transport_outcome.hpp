#pragma once
// What the fallback transports (HTTP long polling, Server-Sent Events) did over one run: part of
// RunSummary. Reference: docs/transports.md.
#include <cstdint>
#include <string>

namespace wsfleet::models {

/// Long-polling requests (GET polls), counted over the whole run. A poll is counted when it
/// reaches the client's balancer. Conservation: sent = answered_with_data + timed_out + failed + in_flight_at_end.
struct PollCounts {
  std::uint64_t sent = 0;                 ///< polls that reached a balancer
  std::uint64_t answered_with_data = 0;   ///< answered because the server had messages for the client
  std::uint64_t timed_out = 0;            ///< answered empty at the poll timeout (Engine.IO: with the server's ping)
  std::uint64_t failed = 0;               ///< failed_session_unknown + failed_backend_down + failed_no_backend + failed_balancer_down + failed_session_closed
  std::uint64_t in_flight_at_end = 0;     ///< held by a server at the end
  std::uint64_t failed_session_unknown = 0;  ///< routed to a server that does not hold the session (HTTP 400 "Session ID unknown")
  std::uint64_t failed_backend_down = 0;     ///< routed to a server that was down
  std::uint64_t failed_no_backend = 0;       ///< the balancer had no backend in service
  std::uint64_t failed_balancer_down = 0;    ///< the client's balancer was down
  std::uint64_t failed_session_closed = 0;   ///< held when the session ended (crash, drain, server close, session end)
};

/// Connected clients per transport.
struct TransportClients {
  std::uint64_t websocket = 0;
  std::uint64_t long_polling = 0;
  std::uint64_t sse = 0;
};

/// The HTTP requests a client library sends before its WebSocket handshake, over one run
/// (models/transport/session_opening.hpp). Conservation: requests_sent = requests_answered +
/// requests_failed, requests_failed = the sum of the failed_* counts, and connections.failed_session_unknown
/// = failed_session_unknown + upgrades_session_unknown.
struct SessionOpeningOutcome {
  bool enabled = false;                      ///< a client library that sends them (socketio upgrading from polling, signalr negotiating)
  std::string library;                       ///< "engine.io" (polling, then upgrade) or "signalr" (negotiate)
  std::uint32_t requests_per_open = 0;       ///< HTTP requests before the WebSocket handshake of one attempt that succeeds
  std::uint64_t opens = 0;                   ///< attempts that started the sequence
  std::uint64_t straight_to_websocket = 0;   ///< attempts with no request before the WebSocket (rememberUpgrade after an upgrade)
  std::uint64_t sequences_completed = 0;     ///< every request answered: the WebSocket followed
  std::uint64_t sequences_failed = 0;        ///< ended by a failed request (= requests_failed)
  std::uint64_t sequences_timed_out = 0;     ///< still running at the attempt's timeout
  std::uint64_t sequences_in_flight_at_end = 0;  ///< still running at the end
  std::uint64_t requests_sent = 0;           ///< those HTTP requests that reached a balancer
  std::uint64_t requests_answered = 0;       ///< answered by the server holding the session (or opening it)
  std::uint64_t requests_failed = 0;         ///< failed_session_unknown + failed_backend_down + failed_no_backend + failed_balancer_down
  std::uint64_t failed_session_unknown = 0;  ///< reached a server without the session (HTTP 400 "Session ID unknown")
  std::uint64_t failed_backend_down = 0;     ///< routed to a server that was down
  std::uint64_t failed_no_backend = 0;       ///< the balancer had no backend in service
  std::uint64_t failed_balancer_down = 0;    ///< the client's balancer was down
  std::uint64_t upgrades = 0;                ///< WebSocket handshakes that followed a complete sequence and reached a server
  std::uint64_t upgrades_session_unknown = 0;  ///< of upgrades, those on a server without the session (engine.io 400, SignalR 404)
  double cpu_seconds = 0.0;                  ///< CPU the requests cost the servers they reached (request_us each), core-s
  double http_bytes = 0.0;                   ///< their HTTP overhead (requests reaching a balancer x request_bytes)
};

/// pusher-js's transport race over one run (models/transport/pusher_fallback.hpp). Conservation:
/// fallback_started = fallback_refused + fallback_too_slow + fallback_lost + fallback_took_over;
/// fallback_took_over = won_by_fallback + fallback_failed_after_takeover + fallback_connecting_at_end;
/// connections.established = won_by_websocket + won_by_fallback; losers_closed_fallback = fallback_lost;
/// losers_closed_websocket <= fallback_took_over.
struct PusherFallbackOutcome {
  bool enabled = false;
  std::string transport;                          ///< "xhr_streaming" or "xhr_polling"
  std::uint64_t won_by_websocket = 0;             ///< connections established over the WebSocket
  std::uint64_t won_by_fallback = 0;              ///< connections established over the fallback transport
  std::uint64_t fallback_started = 0;             ///< fallback connects started (after the delay, or first from the cache)
  std::uint64_t fallback_refused = 0;             ///< the balancer gave it no server (refused, down, queued, unreachable)
  std::uint64_t fallback_too_slow = 0;            ///< reached a server but would not be done before the attempt's timeout
  std::uint64_t fallback_lost = 0;                ///< the WebSocket would connect first: the fallback was closed
  std::uint64_t fallback_took_over = 0;           ///< it would connect first: the WebSocket (if still open) was closed
  std::uint64_t fallback_failed_after_takeover = 0;  ///< its handshake was cut afterwards (a crash, a drain)
  std::uint64_t fallback_connecting_at_end = 0;   ///< its handshake still running at the end
  std::uint64_t losers_closed_websocket = 0;      ///< WebSocket handshakes still in flight that the client closed
  std::uint64_t losers_closed_fallback = 0;       ///< fallback connects the client closed (= fallback_lost)
  std::uint64_t cached_websocket = 0;             ///< attempts that tried a cached WebSocket first
  std::uint64_t cached_fallback = 0;              ///< attempts that tried the cached fallback first
  std::uint64_t cache_flushed = 0;                ///< cached transports that failed their fail-fast try
  std::uint64_t not_raced_held = 0;               ///< fallbacks not started: the WebSocket waited at its balancer (not modelled)
};

/// SignalR JS's transport fallback over one run (models/transport/signalr_fallback.hpp). A "start" is
/// one transport's connect after its negotiate was answered. Conservation: the starts of all three =
/// the connections of all three + fallbacks + exhausted + starting_at_end; fallbacks = the sum of
/// fallbacks_by (cause) = the sum of fallbacks_from (transport); connections.established = the
/// connections of all three; session_opening.opens = connections.attempted + fallbacks (one more
/// negotiate per fallback).
struct SignalRFallbackOutcome {
  bool enabled = false;
  std::string transports;                      ///< clients.signalr_transport: the transports the client allows
  TransportClients starts;                     ///< transport connects started, per transport
  TransportClients connections;                ///< connections established, per transport
  std::uint64_t fallbacks = 0;                 ///< starts that failed with a transport left: the client negotiated again and tried it
  std::uint64_t fallbacks_from_websocket = 0;  ///< of fallbacks, after the WebSocket failed
  std::uint64_t fallbacks_from_sse = 0;        ///< of fallbacks, after Server-Sent Events failed
  std::uint64_t fallbacks_blocked = 0;         ///< the WebSocket was blocked for the client (websocket_block)
  std::uint64_t fallbacks_refused = 0;         ///< refused or failed at the balancer or server, or cut by a crash or drain
  std::uint64_t fallbacks_timed_out = 0;       ///< not connected within the timeout
  std::uint64_t fallbacks_session_unknown = 0; ///< reached a server without the negotiated connection (404)
  std::uint64_t exhausted = 0;                 ///< starts of the last allowed transport that failed: start() failed, the attempt failed
  std::uint64_t starting_at_end = 0;           ///< starts still connecting at the end
};

/// The fallback transports over one run.
struct TransportOutcome {
  TransportClients at_end;                ///< established connections (sessions) per transport at the end
  TransportClients peak;                  ///< highest count per transport at a sample time
  double fallback_share_at_end = 0.0;     ///< (long_polling + sse) / all connections at the end (NaN with none)
  double peak_fallback_share = 0.0;       ///< highest such share at a sample time (NaN when no sample had connections)
  PollCounts polls;
  std::uint64_t posts_sent = 0;           ///< HTTP POSTs of fallback clients (their messages, long polling's pongs) that reached a balancer
  std::uint64_t posts_failed = 0;         ///< of posts_sent, those that failed (the session then ends)
  double http_bytes = 0.0;                ///< HTTP overhead of the polls and POSTs, bytes ((polls + posts) x request_bytes)
};

}  // namespace wsfleet::models
