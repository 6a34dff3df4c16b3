#pragma once
// [transport]: the clients that cannot use WebSocket (HTTP long polling, Server-Sent Events) and
// what their HTTP requests cost a server. Plain data, filled by the scenario loader; the mechanism
// is models/transport/fallback_transports.hpp. Reference: docs/transports.md.
#include <cstdint>

namespace wsfleet::models {

/// [transport.long_polling]: Engine.IO's polling transport (socketio/engine.io lib/transports/polling.ts).
struct LongPollingSection {
  double poll_timeout_s = 25.0;          ///< the server holds a poll this long when it has nothing to send (Engine.IO: its ping,
                                         ///< every pingInterval = 25 s, ends the poll), s (> 0)
  double request_us = 150.0;             ///< CPU per HTTP request (a poll or a POST: headers, cookie, session lookup, response), us of one core
  double memory_per_request_kib = 16.0;  ///< memory of one held poll (request, response buffers), KiB
  double request_bytes = 700.0;          ///< HTTP overhead of one request and its response (headers, cookies), bytes
  bool pong_posts = true;                ///< each poll that ends empty carried the server's ping: the client answers with a pong in a POST
  /// Member-wise equality (exact for doubles).
  bool operator==(const LongPollingSection&) const = default;
};

/// [transport.sse]: Server-Sent Events: a persistent HTTP response stream; the client's messages are POSTs.
struct SseSection {
  double request_us = 150.0;             ///< CPU per POST request, us of one core
  double request_bytes = 700.0;          ///< HTTP overhead of one POST and its response, bytes
  /// Member-wise equality (exact for doubles).
  bool operator==(const SseSection&) const = default;
};

/// [transport]
struct TransportSection {
  double long_polling_share = 0.0;       ///< clients that can only use HTTP long polling (proxies, firewalls), 0..1
  double sse_share = 0.0;                ///< receive-only clients on Server-Sent Events, 0..1 (with long_polling_share at most 1)
  LongPollingSection long_polling;
  SseSection sse;
  /// True when some client starts on a fallback transport (incidents may move clients at run time anyway).
  bool any_share() const { return long_polling_share > 0.0 || sse_share > 0.0; }
  /// Member-wise equality (exact for doubles).
  bool operator==(const TransportSection&) const = default;
};

}  // namespace wsfleet::models
