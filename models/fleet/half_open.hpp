#pragma once
// Half-open connections left by clients that vanished (clients.vanish_share: the network dropped
// without a close). The server, and the balancer's proxied socket, keep the connection, a slot and
// its memory until something notices: the server's unanswered ping and its pong timeout, the
// server's own peer timeout, or a balancer's idle timeout (docs/connections.md). The ghost is
// counted per server (Server::ghosts); a crash or drain clears them (Server::ghost_gen). Its events
// (the detections) go to its own handler; it draws from the Connections' "clients.vanish" stream,
// which the Connections pass in.
#include <cstdint>
#include <vector>

#include "models/fleet/fleet_state.hpp"
#include "models/run_summary.hpp"
#include "sim/event_handler.hpp"
#include "sim/histogram.hpp"
#include "sim/random.hpp"

namespace wsfleet::models {

/// The half-open connections of one run.
class HalfOpenConnections : public sim::EventHandler {
 public:
  explicit HalfOpenConnections(FleetState& state);

  void handle(const sim::Event& e) override;

  /// Client `c` vanished now from its connection on Client::server (already out of the server's
  /// member list; the balancer still counts it): the ghost is counted and its detection scheduled.
  /// `last_frame`: when a frame last crossed the connection, ns; `rng`: "clients.vanish".
  void vanished(std::uint32_t c, sim::SimTime last_frame, sim::Rng& rng);

  /// Fills summary.heartbeat.ghosts_detected and detection_s.
  void summarise(RunSummary& summary) const;

 private:
  /// A half-open connection whose detection is scheduled.
  struct Ghost {
    sim::SimTime since;       ///< when the client vanished
    std::uint32_t server;
    std::uint32_t gen;        ///< the server's ghost_gen then
    std::uint8_t balancer;
    std::uint8_t worker;      ///< the balancer's worker that accepted it
  };
  void gone(std::uint32_t index);

  FleetState& st_;
  std::uint32_t self_ = 0;
  sim::SimTime heartbeat_interval_ = 0, hb_timeout_ = 0, hb_peer_timeout_ = 0, idle_timeout_ = 0;  ///< ns
  bool idle_pings_ = false;  ///< heartbeat.mode = when_idle (a ping only after an interval of silence)
  std::vector<Ghost> table_;
  std::vector<std::uint32_t> free_;
  sim::LogHistogram detection_s_;
  std::uint64_t detected_ = 0;
};

}  // namespace wsfleet::models
