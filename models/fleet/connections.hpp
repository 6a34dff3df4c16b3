#pragma once
// The clients' connections as a component: arrivals, attempts through the balancer tier, handshakes
// and their timeouts, sessions, heartbeats and messages (the hot path), idle timeouts, half-open
// connections left by vanished clients, closes and cuts, and retries through the backoff policy.
// Its random streams: "clients.sessions", "clients.messages", "clients.backoff", "clients.vanish"
// and "clients.offline" (offline times after a silent drop). Its parts, each in its own file: the
// first arrivals (ClientArrivals), SYNs a downed link swallows (LinkDownSyns), half-open connections
// (HalfOpenConnections) and the conservation checks (connection_checks.hpp); the steps client
// libraries add around the WebSocket handshake are a component of their own (AttemptSteps), which
// drives an attempt through the public attempt interface below.
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
#include "sim/event_handler.hpp"
#include "sim/histogram.hpp"

namespace wsfleet::models {

struct Route;
class ClientArrivals;
class HalfOpenConnections;
class LinkDownSyns;

/// The connections of one run.
class Connections : public sim::EventHandler {
 public:
  /// Creates the clients and draws their first connection times.
  explicit Connections(FleetState& state);
  ~Connections() override;

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

  /// Client `c` arrives for its first connection (ClientArrivals): its first attempt starts now.
  void arrive(std::uint32_t c) { attempt(c); }

  // The attempt interface, for the steps around an attempt's WebSocket handshake (AttemptSteps,
  // LinkDownSyns):
  /// Holds client `c`'s attempt as connecting on no server (Client::server = `placeholder`, < -1);
  /// it times out at `deadline` (< 0: the caller times it).
  void hold(std::uint32_t c, std::int32_t placeholder, sim::SimTime deadline);
  /// Ends that hold (a timeout it scheduled stays until the client's generation moves on).
  void unhold(std::uint32_t c) {
    --st_.connecting;
    st_.clients[c].server = -1;
  }
  /// The deadline of client `c`'s current attempt (its start plus its timeout).
  sim::SimTime deadline(std::uint32_t c) const { return st_.clients[c].attempt_at + attempt_timeout(st_.clients[c]); }
  /// Routes client `c`'s WebSocket connection now, within the attempt's timeout.
  void route_websocket(std::uint32_t c);
  /// What an attempt does with the balancer's answer (a refusal, a wait at the balancer, a handshake,
  /// or a SYN that a link_down fault swallows), the handshake failing at `deadline`.
  void routed(std::uint32_t c, const Route& route, sim::SimTime deadline);
  /// The attempt fails, counted under `why`; the client backs off.
  void refuse(std::uint32_t c, Refusal why);
  /// The attempt failed because a request or the upgrade reached a server without its session.
  void session_unknown(std::uint32_t c);
  /// Client `c` connects on route.server at `done` (a handshake its library started: pusher-js's fallback).
  void connect_at(std::uint32_t c, const Route& route, sim::SimTime done);
  /// leave_members, and the balancer stops counting the connection.
  void release_slot(std::uint32_t c);

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
  std::uint64_t syn_pending() const;
  /// Adds its conservation checks: every attempt, connection, close, refusal, server slot and client.
  void conservation(RunSummary& summary) const;

 private:
  enum Tag : std::uint32_t { kAttempt, kHandshakeDone, kHandshakeTimeout, kHeartbeat, kMessage, kSessionEnd,
                             kIdleCheck, kIdleClose, kHeartbeatTracked, kMessageTracked, kServerMessage };
  // Connection timers carry their server in the tag's upper bits: kind | (server + 1) << 8.
  static constexpr std::uint32_t kKindMask = 0xFFu;
  /// The shortest time between a client's attempts: a refusal takes at least a round trip (1 ms).
  static constexpr sim::SimTime kMinRetryGap = 1'000'000;
  static std::uint32_t conn_tag(Tag kind, std::uint32_t server) { return kind | ((server + 1u) << 8); }
  static std::uint32_t server_of_tag(std::uint32_t tag) { return (tag >> 8) - 1u; }

  void schedule_client(sim::SimTime t, std::uint32_t tag, std::uint32_t c);
  void attempt(std::uint32_t c);
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
  /// Schedules the client's next attempt through its backoff policy (not before `at_least` from now),
  /// or makes it give up.
  void retry_later(std::uint32_t c, RetryCause cause, sim::SimTime at_least = 0);
  /// Removes the client from its server's member list (its slot), nothing else.
  void leave_members(std::uint32_t c);
  /// Client `c`'s established connection on `server` ends: its heartbeats stop and the connection
  /// listeners are told (while the client still holds its server).
  void connection_ends(std::uint32_t c, std::uint32_t server, bool session_over);

  FleetState& st_;
  std::uint32_t self_ = 0;
  std::unique_ptr<BackoffPolicy> backoff_;
  sim::Rng rng_sessions_, rng_messages_, rng_backoff_, rng_vanish_, rng_offline_;
  std::vector<sim::SimTime> activity_;       ///< per client: time of the last frame on its connection (when needed)
  std::vector<sim::SimTime> data_activity_;  ///< per client: time of its last data message (when fleet.idle_close_s is set)
  // Converted configuration, ns.
  sim::SimTime cost_handshake_ = 0, cost_message_ = 0, cost_heartbeat_ = 0;
  sim::SimTime heartbeat_interval_ = 0, connect_timeout_ = 0, retry_after_ = 0;
  bool preset_timeout_ = false;  ///< clients.connect_timeout_s left out: the backoff policy's own per attempt
  sim::SimTime idle_timeout_ = 0, idle_close_ = 0;
  double message_mean_gap_s_ = 0.0;
  bool idle_pings_ = false, track_activity_ = false, idle_cuts_ = false;
  Tag heartbeat_tag_ = kHeartbeat, message_tag_ = kMessage;  ///< plain, or *Tracked when activity is needed
  bool pool_heartbeats_ = false;   ///< heartbeats are the server pool's periodic load, not events
  bool server_messages_ = false;   ///< one message stream per server, not per connection
  bool need_sender_ = false;       ///< a per-server message needs its sender (regions, client publishing)
  bool pool_messages_ = false;     ///< the per-server streams are the server pool's load, not events
  std::vector<std::uint32_t> message_gen_;  ///< per server: generation of its message stream

  sim::LogHistogram handshake_latency_ms_;
  std::unique_ptr<ClientArrivals> arrivals_;
  std::unique_ptr<LinkDownSyns> syns_;
  std::unique_ptr<HalfOpenConnections> half_open_;
};

}  // namespace wsfleet::models
