#pragma once
// What the fallback transports (HTTP long polling, Server-Sent Events) did over one run: part of
// RunSummary. Reference: docs/transports.md.
#include <cstdint>

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
