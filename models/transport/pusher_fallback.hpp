#pragma once
// pusher-js's transport strategy in a browser: the HTTP fallback raced against the WebSocket, and
// the transport cache (clients.pusher_fallback, on for backoff.policy = "pusher"). Checked against
// pusher/pusher-js 8.x:
// - src/runtimes/web/default_strategy.ts `getDefaultStrategy`: with useTLS the strategy is
//   CachedStrategy(FirstConnectedStrategy(BestConnectedEverStrategy([ws_loop,
//   DelayedStrategy(http_fallback_loop, {delay: 2000})]))), ttl 1800000; without TLS, wss starts
//   after 2000 ms and the HTTP fallback after 5000 ms. Every loop is a SequentialStrategy with
//   `timeouts` {loop: true, timeout: 15000, timeoutLimit: 60000}. The HTTP fallback is
//   xhr_streaming (xhr_polling joins it 4 s later: DelayedStrategy(polling_loop, {delay: 4000})).
// - src/core/strategies/best_connected_ever_strategy.ts: every sub-strategy runs in parallel; an
//   error of one is ignored until all have failed; the first handshake is passed on.
// - src/core/strategies/first_connected_strategy.ts `connect`: on the first handshake it aborts
//   the runner, i.e. the other transports still connecting are closed (the loser).
// - src/core/strategies/cached_strategy.ts `connect`: when localStorage holds the transport that
//   connected last (pusherTransportTLS / NonTLS) and timestamp + ttl >= now, that transport alone is
//   tried first, fail-fast with timeout latency * 2 + 1000 ms; on its error the cache is flushed
//   and the full strategy runs. A success stores the transport and its latency.
//
// As modelled, per attempt (one turn of the WebSocket loop, whose timeout the pusher backoff preset
// gives, clients.connect_timeout_s or its 15 s doubling to 60 s):
// - clients.pusher_fallback_delay_s after the attempt's start, if the client is not connected, the
//   fallback transport opens: it is routed by the balancer as a connection of its own (a slot, its
//   policy's pick) and costs fleet.cpu.handshake_us on the server it reaches, plus a round trip.
//   Its completion time is known then (the server's CPU queue is FIFO). If it would finish after
//   the attempt's deadline it is "too slow"; if the WebSocket's handshake, still running, would
//   finish first (ties go to the WebSocket, the higher priority), the fallback "lost"; otherwise
//   it "took over": the WebSocket handshake still in flight is closed (its slot freed), or, when
//   the WebSocket had already failed (the loop waits out its timeout), the fallback is a new
//   attempt of its own. The connection then runs as the project's SSE (xhr_streaming) or
//   long-polling (xhr_polling) transport (models/transport/fallback_transports.hpp).
// - A cached fallback (fresh within clients.pusher_transport_cache_ttl_s) is tried at the
//   attempt's start, alone, with the fail-fast timeout; if it does not connect the cache is flushed
//   and the attempt goes on with the WebSocket. A cached WebSocket delays the fallback by the
//   fail-fast timeout (the cached WebSocket runs alone first); if not connected by then the cache is
//   flushed.
// Simplifications: the loser's slot is freed when the race is decided (at the fallback's start),
// not when the winner connects; the fallback gets the same deadline as the attempt's WebSocket
// (its own loop turn would run 2 s longer); a failed cached fallback is known at once, and the
// full strategy's WebSocket is the attempt's; an attempt waiting at its balancer (HAProxy's queue,
// a partition's connect wait, a SYN on a downed link) does not race (counted as not_raced_held);
// xhr_polling's own 4 s delay inside the HTTP loop is not modelled (one fallback transport).
// Its own event (the fallback's start) goes to its own handler; no random stream.
#include <cstdint>
#include <vector>

#include "models/fleet/fleet_state.hpp"
#include "models/fleet/listeners.hpp"
#include "models/fleet_config.hpp"
#include "models/run_summary.hpp"
#include "models/transport/fallback_transports.hpp"
#include "sim/event_handler.hpp"

namespace wsfleet::models {

/// pusher-js's fallback race and transport cache of one run.
class PusherFallbackRace : public sim::EventHandler, public ConnectionListener {
 public:
  /// clients.pusher_fallback is "on", or "preset" with backoff.policy = "pusher".
  static bool needed(const FleetConfig& cfg);
  /// The project's transport that plays the configured fallback.
  static Transport fallback_transport(const FleetConfig& cfg);

  explicit PusherFallbackRace(FleetState& state);

  void handle(const sim::Event& e) override;

  /// Client `c` starts an attempt now that fails at `deadline`. True when the cached fallback,
  /// tried first, took the attempt over (nothing else to route); else the WebSocket goes on and
  /// the fallback is scheduled.
  bool attempt_started(std::uint32_t c, sim::SimTime deadline);
  /// The WebSocket handshake of client `c`'s attempt will be done at `due` (kNever: it will not).
  void websocket_due(std::uint32_t c, sim::SimTime due) { ws_due_[c] = due; }
  static constexpr sim::SimTime kNever = -1;

  void connection_opened(std::uint32_t c) override;
  void connection_closed(std::uint32_t /*c*/, bool /*session_over*/) override {}

  /// Fills summary.pusher_fallback.
  void summarise(RunSummary& summary) const;
  /// Adds its conservation checks (after the connections' summary is filled).
  void conservation(RunSummary& summary) const;

 private:
  enum Tag : std::uint32_t { kStart };
  /// Opens the fallback for client `c` now, to be done by `deadline`; `fresh`: the attempt has no
  /// WebSocket (the cached fallback tried first). True when it took the attempt over.
  bool race(std::uint32_t c, sim::SimTime deadline, bool fresh);
  void start(std::uint32_t c);

  /// The transport that connected last, in the client's localStorage.
  struct Cache {
    sim::SimTime stored = -1;   ///< when (-1: none)
    sim::SimTime latency = 0;   ///< its connect latency
    bool fallback = false;      ///< the fallback (else the WebSocket)
  };

  FleetState& st_;
  std::uint32_t self_ = 0;
  Transport transport_;
  sim::SimTime delay_ = 0, ttl_ = 0, cost_ = 0;
  std::vector<std::uint32_t> seq_;          ///< per client: bumped per attempt and per connection (stale starts are ignored)
  std::vector<sim::SimTime> deadline_;      ///< per client: its attempt's deadline
  std::vector<sim::SimTime> ws_due_;        ///< per client: when its WebSocket handshake will be done (kNever: not)
  std::vector<std::uint8_t> via_fallback_;  ///< per client: its current handshake is the fallback's
  std::vector<std::uint8_t> check_cache_;   ///< per client: its cached WebSocket was tried first this attempt
  std::vector<Cache> cache_;
  PusherFallbackOutcome out_;
};

}  // namespace wsfleet::models
