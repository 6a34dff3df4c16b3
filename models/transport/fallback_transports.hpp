#pragma once
// Clients that cannot use WebSocket, inside the fleet simulation: HTTP long polling (Engine.IO's
// polling transport) and Server-Sent Events, and the incidents that break WebSocket for a share of
// the clients mid-run (fault type "websocket_block"). The Fleet creates this module only when a
// share is set or such a fault exists, and calls it at a handful of points (a connection is
// established or ends, a fault starts or ends, a sample, the summary); its own events (polls,
// POSTs, replies) go to its own handler, so the WebSocket hot path does no extra work.
//
// Engine.IO semantics (socketio/engine.io lib/server.ts, lib/socket.ts, lib/transports/polling.ts;
// socketio/engine.io-client lib/socket.ts), as modelled:
// - A session (sid) lives on the server that answered its handshake. Every poll (GET) and every
//   client message (POST) is a separate HTTP request that the balancer routes on its own; a request
//   that reaches another server fails in BaseServer.verify() with error 1 "Session ID unknown"
//   (HTTP 400). The client treats a failed request as a transport error and closes the session
//   (Socket.onError -> onClose("transport error")), then reconnects through its backoff. Sticky
//   sessions (cookie or source IP) keep the requests on the session's server.
// - The server holds a poll until it has packets for the client or until its ping (every
//   pingInterval, 25 s) flushes it; the client answers the ping with a pong in a POST and polls
//   again at once. poll_timeout_s plays pingInterval here.
// - The client probes the WebSocket upgrade once, when a session opens (Socket.onOpen ->
//   probe()): a client on long polling because WebSocket was blocked returns to WebSocket at its
//   next session, never in the middle of one.
// Reference: docs/transports.md.
#include <cstdint>
#include <vector>

#include "models/fleet/fleet_state.hpp"
#include "models/fleet/listeners.hpp"
#include "models/fleet_config.hpp"
#include "models/run_summary.hpp"
#include "sim/event_handler.hpp"
#include "sim/time.hpp"

namespace wsfleet::models {

/// The transport a connection (a session) uses.
enum class Transport : std::uint8_t { WebSocket = 0, LongPolling = 1, Sse = 2 };

/// The fallback transports of one Fleet run.
class FallbackTransports : public sim::EventHandler, public ConnectionListener {
 public:
  /// True when the scenario needs the module: a share of fallback clients or a websocket_block fault.
  static bool needed(const FleetConfig& config);

  /// Attaches to the fleet's shared state (its configuration, clients and servers; it reaches the
  /// connections, servers and balancers through state.parts) and registers its event handler.
  explicit FallbackTransports(FleetState& state);

  void handle(const sim::Event& e) override;

  /// Client `c`'s connection was just established: picks its transport (its own, or long polling
  /// while WebSocket is blocked for it) and starts that transport's timers. The connections run
  /// the WebSocket heartbeat and idle timers unless current(c) is LongPolling, and the message
  /// timer only for WebSocket.
  void connection_opened(std::uint32_t c) override;
  /// Client `c`'s established connection ends (whatever the reason).
  void connection_closed(std::uint32_t c, bool session_over) override;
  /// Client `c`'s next connection runs on `t` (pusher-js's fallback took its attempt over).
  void next_connection_on(std::uint32_t c, Transport t) {
    if (next_.empty()) next_.assign(st_.clients.size(), 0);
    next_[c] = static_cast<std::uint8_t>(static_cast<std::uint8_t>(t) + 1u);
  }
  /// Client `c`'s next connection runs on its own transport again (SignalR: the transport it was
  /// started for failed).
  void forget_next(std::uint32_t c) {
    if (!next_.empty()) next_[c] = 0;
  }
  /// True when WebSocket is blocked for client `c` now (a websocket_block fault; its own transport is WebSocket).
  bool websocket_blocked(std::uint32_t c) const { return base_[c] == Transport::WebSocket && blocked_[c] > 0; }
  /// The transport of client `c`'s current connection (WebSocket when it has none).
  Transport current(std::uint32_t c) const { return current_[c]; }
  /// A websocket_block fault starts: WebSocket breaks for its share of the clients.
  void block(std::uint32_t fault);
  /// It ends: those clients use WebSocket again from their next connection.
  void unblock(std::uint32_t fault);

  /// Polls that reached `server` since the previous call (one sample interval).
  std::uint64_t take_polls(std::uint32_t server);
  /// Memory of the polls `server` holds now, MiB.
  double held_memory_mib(std::uint32_t server) const;
  /// Connected clients per transport now (WebSocket = the rest of `connected`).
  TransportClients clients(std::uint64_t connected) const;
  /// Records the clients per transport at a sample time (for the peaks).
  void note_sample(std::uint64_t connected);
  /// Fills summary.transport (the Fleet adds nothing to it).
  void summarise(RunSummary& summary, std::uint64_t connected) const;
  /// Polls held by servers now (what conservation compares with polls.in_flight_at_end).
  std::uint64_t held_polls() const;
  /// Adds the transports' conservation checks (they hold with no fallback clients too: `transports`
  /// may be null).
  static void conservation(RunSummary& summary, const FallbackTransports* transports);

 private:
  enum Tag : std::uint32_t { kPollArrive, kPollTimeout, kPost, kReplyReady };
  /// Why an HTTP request of a fallback session failed.
  enum class Failure { None, SessionUnknown, BackendDown, NoBackend, BalancerDown };
  /// The long-polling state of one client.
  struct Poll {
    std::uint32_t seq = 0;       ///< bumped when a poll ends or the session ends (stale poll timers are ignored)
    std::uint32_t server = 0;    ///< where the poll is held
    std::uint32_t pending = 0;   ///< replies waiting for the next poll
    bool held = false;           ///< a poll is held by `server`
  };
  /// Routes one HTTP request of client `c`'s session through its balancer (and checks that it reached
  /// the session's server); returns the failure,
  /// or None with `server` set to the session's server.
  Failure route(std::uint32_t c, std::uint32_t& server);
  /// A request failed: the client closes its session (transport error) and reconnects.
  void fail_session(std::uint32_t c, Failure why);
  void poll_arrive(std::uint32_t c);
  /// The held poll is answered (with data or empty); the client polls again one round trip later.
  void answer(std::uint32_t c, bool with_data);
  void post(std::uint32_t c);
  void reply_ready(std::uint32_t c);
  /// Sends one POST (pong or message) of a session; false when it failed (the session is closed then).
  bool send_post(std::uint32_t c, std::uint32_t& server);
  void schedule_post(std::uint32_t c);
  void release_hold(std::uint32_t c);
  sim::SimTime round_trip(std::uint32_t c) const;
  /// A stable uniform number in [0, 1) per client and salt.
  static double unit(std::uint32_t c, std::uint64_t salt);

  FleetState& st_;
  std::uint32_t self_ = 0;
  const TransportSection& cfg_;
  sim::Rng rng_posts_;                     ///< the gaps between a fallback client's messages (its own stream)
  sim::SimTime poll_timeout_ = 0, cost_lp_request_ = 0, cost_sse_request_ = 0;
  std::vector<Transport> base_;            ///< per client: the transport it can use
  std::vector<Transport> current_;         ///< per client: the transport of its current connection
  std::vector<std::uint8_t> next_;          ///< per client (sized on first use): 1 + the transport its next connection runs on, 0: its own
  std::vector<std::uint16_t> blocked_;      ///< per client: websocket_block faults in force for it
  std::vector<Poll> polls_;                ///< per client (long polling)
  std::vector<std::uint64_t> held_;        ///< per server: polls held
  std::vector<std::uint64_t> interval_polls_;  ///< per server: polls since the last sample
  std::uint64_t long_polling_ = 0, sse_ = 0;   ///< connections per fallback transport now
  TransportClients peak_;
  double peak_share_ = -1.0;               ///< < 0: no sample with connections yet
  PollCounts counts_;
  std::uint64_t posts_sent_ = 0, posts_failed_ = 0;
  double post_bytes_ = 0.0;
};

}  // namespace wsfleet::models
