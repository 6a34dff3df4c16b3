#pragma once
// The clients' connections as a component: arrivals, attempts through the balancer tier, handshakes
// and their timeouts, sessions, heartbeats and messages (the hot path), idle timeouts, half-open
// connections left by vanished clients, closes and cuts, and retries through the backoff policy.
// Its random streams: "clients.arrivals", "clients.sessions", "clients.messages",
// "clients.backoff", "clients.vanish", "clients.offline" (offline times after a silent drop) and
// "clients.wave" (which clients a wave brings, and when).
//
// Unless run.per_connection_timers asks for one event per heartbeat and per message timer (the
// reference model), and where no feature needs a connection's own frame times:
// - heartbeats are a periodic load the server pool keeps (ServerPool::keep_heartbeats);
// - the messages of a server's connections are one Poisson stream per server, of rate
//   connections / mean gap, each message from a sender chosen uniformly among them (the
//   superposition of independent Poisson streams; redrawn whenever the number changes, which the
//   memoryless property allows). Equal in distribution to one stream per connection. Unless a
//   client's message is also a publication (pub/sub client publishing), the server pool keeps the
//   streams as a load drained with the heartbeats (ServerPool::keep_messages): no event per message.
#include <cstdint>
#include <memory>
#include <vector>

#include "models/backoff_policy.hpp"
#include "models/fleet/fleet_state.hpp"
#include "models/fleet/refusal.hpp"
#include "models/transport/session_opening.hpp"
#include "sim/event_handler.hpp"
#include "sim/histogram.hpp"

namespace wsfleet::models {

struct Route;

/// The connections of one run.
class Connections : public sim::EventHandler {
 public:
  /// Creates the clients and draws their first connection times.
  explicit Connections(FleetState& state);

  void handle(const sim::Event& e) override;

  /// Schedules the first arrival.
  void start();
  /// Closes client `c`'s established connection from the server or balancer side (counted under
  /// `reason`); the client reconnects through its backoff.
  void close_connection(std::uint32_t c, std::uint64_t& reason);
  /// Cuts client `c`'s connection or handshake by fault `fault` (a crash); `release` when the
  /// balancer still counts it (the server's own slot list is cleared by the caller otherwise).
  void cut_connection(std::uint32_t c, std::uint32_t fault, bool release);
  /// A draining server's deadline closes client `c`'s connection or handshake (WebSocket close 1001).
  void close_for_drain(std::uint32_t c, std::uint32_t server);
  /// Client `c`'s attempt that waited at its balancer (Route::held) is decided: `route` has its
  /// server (the handshake starts, within the attempt's own timeout) or its refusal.
  void held_routed(std::uint32_t c, const Route& route);

  /// pusher-js's fallback transport (PusherFallbackRace), routed by `route`, will connect client `c`
  /// at `done`, first: the WebSocket's handshake still in flight is closed (or, when it already
  /// failed, the fallback counts as an attempt of its own) and the client connects on route.server.
  /// `fresh`: the attempt started with the cached fallback (it has no WebSocket).
  void fallback_takeover(std::uint32_t c, const Route& route, sim::SimTime done, bool fresh);

  /// Client `c`'s library's requests before the WebSocket (SessionOpening) were all answered: its
  /// WebSocket handshake is routed now, within the attempt's timeout.
  void opening_done(std::uint32_t c);
  /// One of them failed: counted, then the backoff.
  void opening_failed(std::uint32_t c, SessionOpening::Failure why);

  /// Time of the last frame on each client's connection (empty unless a feature needs it).
  const std::vector<sim::SimTime>& activity() const { return activity_; }
  /// A frame crossed client `c`'s connection now (kept only when a feature needs it).
  void note_frame(std::uint32_t c) {
    if (track_activity_) activity_[c] = st_.sim.now();
  }
  /// Client `c` sent data now (kept only for fleet.idle_close_s).
  void note_data(std::uint32_t c) {
    if (idle_close_ > 0) data_activity_[c] = st_.sim.now();
  }
  /// CPU cost of one client message on its server (inbound plus replies), ns.
  sim::SimTime message_cost() const { return cost_message_; }
  /// Mean gap between a client's messages, s (0: no messages).
  double message_mean_gap_s() const { return message_mean_gap_s_; }

  /// Fills the summary's client-side figures.
  void summarise(RunSummary& summary) const;
  /// Attempts pending whose SYN a link_down swallowed (they hold no balancer or server slot).
  std::uint64_t syn_pending() const { return syn_pending_; }
  /// Adds its conservation checks: every attempt, connection, close, refusal, server slot and client.
  void conservation(RunSummary& summary) const;

 private:
  enum Tag : std::uint32_t { kArrive, kAttempt, kHandshakeDone, kHandshakeTimeout, kHeartbeat, kMessage,
                             kSessionEnd, kIdleCheck, kGhostGone, kIdleClose, kHeartbeatTracked, kMessageTracked,
                             kServerMessage, kSynRetry, kSynGiveUp };
  // Connection timers carry their server in the tag's upper bits: kind | (server + 1) << 8.
  static constexpr std::uint32_t kKindMask = 0xFFu;
  /// The shortest time between a client's attempts: a refusal takes at least a round trip (1 ms).
  static constexpr sim::SimTime kMinRetryGap = 1'000'000;
  static std::uint32_t conn_tag(Tag kind, std::uint32_t server) { return kind | ((server + 1u) << 8); }
  static std::uint32_t server_of_tag(std::uint32_t tag) { return (tag >> 8) - 1u; }

  void schedule_client(sim::SimTime t, std::uint32_t tag, std::uint32_t c);
  void attempt(std::uint32_t c);
  /// What an attempt does with the balancer's answer (a refusal, a wait at the balancer, a handshake,
  /// or a SYN that a link_down fault swallows).
  void routed(std::uint32_t c, const Route& route, sim::SimTime deadline);
  // A SYN through a link that is down (link_down) never arrives: the balancer holds nothing. The
  // client's kernel retransmits it after TCP's initial timeout, doubling (Linux TCP_TIMEOUT_INIT 1 s,
  // tcp_syn_retries 6: at +1, 3, 7, 15, 31 and 63 s, ETIMEDOUT at +127 s); the client's connect
  // timeout ends it first when shorter. A retransmission after the link is back gets through.
  void syn_blocked(std::uint32_t c, const Route& route);
  void syn_schedule(std::uint32_t c);
  void syn_retry(std::uint32_t c);
  void syn_give_up(std::uint32_t c);
  static constexpr std::int32_t kSynPending = -2;
  static constexpr std::int32_t kOpening = -3;  ///< Client::server while its library's requests before the WebSocket run
  /// Routes client `c`'s WebSocket connection now, within the attempt's timeout.
  void route_websocket(std::uint32_t c);  ///< Client::server while its SYN is swallowed by a link that is down
  void refuse(std::uint32_t c, Refusal why);
  /// The attempt failed because a request or the upgrade reached a server without its session.
  void session_unknown(std::uint32_t c);
  /// The handshake of client `c` on the server `route` chose, failing at `deadline` if not done by then.
  void start_handshake(std::uint32_t c, const Route& route, sim::SimTime deadline);
  /// The timeout of the attempt client `cl` starts now (clients.connect_timeout_s, or its preset's own).
  sim::SimTime attempt_timeout(const Client& cl) const;
  void handshake_done(std::uint32_t c);
  void handshake_timeout(std::uint32_t c);
  // Heartbeats and messages are the bulk of the events. When no feature needs the time of a
  // connection's last frame (activity_, data_activity_), they are scheduled as kHeartbeat/kMessage
  // and run the <false> instantiation, which does nothing for those features; otherwise as the
  // *Tracked kinds (the choice is made once, in the constructor: heartbeat_tag_, message_tag_).
  template <bool kTracked>
  void heartbeat(std::uint32_t c, std::uint32_t server);
  template <bool kTracked>
  void message(std::uint32_t c, std::uint32_t server);
  /// The next message of server `server`'s stream (per-server messages).
  void server_message(std::uint32_t server);
  /// Redraws server `server`'s next message after its number of connections changed (per-server messages).
  void restart_messages(std::uint32_t server);
  /// Draws server `server`'s next message from its current number of connections (> 0).
  void next_message(std::uint32_t server);
  /// The number of established connections of `server` changed (in either direction).
  void connections_changed(std::uint32_t server);
  void session_end(std::uint32_t c);
  void idle_check(std::uint32_t c);
  void idle_close(std::uint32_t c);
  void vanish(std::uint32_t c);
  void ghost_gone(std::uint32_t index);
  /// Schedules the client's next attempt through its backoff policy (not before `at_least` from now),
  /// or makes it give up.
  void retry_later(std::uint32_t c, RetryCause cause, sim::SimTime at_least = 0);
  /// Removes the client from its server's member list (its slot), nothing else.
  void leave_members(std::uint32_t c);
  /// leave_members, and the balancer stops counting the connection.
  void release_slot(std::uint32_t c);
  /// Client `c`'s established connection on `server` ends: its heartbeats stop and the connection
  /// listeners are told (while the client still holds its server).
  void connection_ends(std::uint32_t c, std::uint32_t server, bool session_over);

  FleetState& st_;
  std::uint32_t self_ = 0;
  std::unique_ptr<BackoffPolicy> backoff_;
  sim::Rng rng_sessions_, rng_messages_, rng_backoff_, rng_vanish_, rng_offline_;
  std::vector<sim::SimTime> arrival_times_;
  std::vector<sim::SimTime> activity_;       ///< per client: time of the last frame on its connection (when needed)
  std::vector<sim::SimTime> data_activity_;  ///< per client: time of its last data message (when fleet.idle_close_s is set)
  std::vector<std::uint32_t> syn_fault_;     ///< per client (sized at the first SYN a link_down swallows): that fault
  std::vector<std::uint8_t> syn_sent_;       ///< per client: SYNs sent in its attempt (the first, then retransmissions)
  std::vector<std::uint32_t> syn_site_;      ///< per client: the site its SYN goes to
  std::uint64_t syn_pending_ = 0;            ///< clients whose SYN is swallowed now
  // Converted configuration, ns.
  sim::SimTime cost_handshake_ = 0, cost_message_ = 0, cost_heartbeat_ = 0;
  sim::SimTime heartbeat_interval_ = 0, connect_timeout_ = 0, retry_after_ = 0;
  bool preset_timeout_ = false;  ///< clients.connect_timeout_s left out: the backoff policy's own per attempt
  sim::SimTime hb_timeout_ = 0, hb_peer_timeout_ = 0, idle_timeout_ = 0, idle_close_ = 0;
  double message_mean_gap_s_ = 0.0;
  bool idle_pings_ = false, track_activity_ = false, idle_cuts_ = false;
  Tag heartbeat_tag_ = kHeartbeat, message_tag_ = kMessage;  ///< plain, or *Tracked when activity is needed
  bool pool_heartbeats_ = false;   ///< heartbeats are the server pool's periodic load, not events
  bool server_messages_ = false;   ///< one message stream per server, not per connection
  bool need_sender_ = false;       ///< a per-server message needs its sender (regions, client publishing)
  bool pool_messages_ = false;     ///< the per-server streams are the server pool's load, not events
  std::vector<std::uint32_t> message_gen_;  ///< per server: generation of its message stream

  /// A half-open connection whose detection is scheduled.
  struct Ghost {
    sim::SimTime since;       ///< when the client vanished
    std::uint32_t server;
    std::uint32_t gen;        ///< the server's ghost_gen then
    std::uint8_t balancer;
    std::uint8_t worker;      ///< the balancer's worker that accepted it
  };
  std::vector<Ghost> ghost_table_;
  std::vector<std::uint32_t> ghost_free_;
  sim::LogHistogram ghost_detection_s_, handshake_latency_ms_;
  std::uint64_t ghosts_detected_ = 0, left_ = 0, arrived_ = 0;
};

}  // namespace wsfleet::models
