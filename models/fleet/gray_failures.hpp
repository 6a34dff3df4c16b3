#pragma once
// Gray failures that need time of their own, as a component: a slow server (type "slow_server": a
// noisy neighbour or CPU throttling takes 1 - 1/factor of its CPU, in slices every 10 ms, so its
// work waits and its capacity falls by `factor`) and a server whose health flaps (type
// "health_flap": its health endpoint fails the first half of every period_s; the balancers' active
// probes see it, their rise/fall counts decide whether it leaves and rejoins). The fault kinds
// (models/faults/) start and end them; other gray failures need no events (handshake_blackhole,
// link_degrade).
//
// Frame-level gray failures pass the inbound frames of the servers they touch (Server::lossy)
// through inbound(): a server that silently drops a share of them ("dropped_messages"), a lossy
// link to a site ("link_loss": TCP retransmits, after its retransmission timeout, doubled at each
// loss of the same packet), a link from a region to a site that is down ("link_down": nothing
// crosses). A lost heartbeat starts its connection's heartbeat timeout: heartbeat.timeout_s after
// the ping was due, the sender gives up on the connection and closes it (the fault counts it as
// dropped); the client reconnects. Handshakes through a lossy link take the retransmissions'
// time (handshake_delay), through a link that is down they never complete. Random streams:
// "gray.frames" (one per server: which frames are lost, how often a packet is retransmitted; each
// server's frames are drawn in time order) and "gray.handshakes" (a handshake's retransmissions).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "models/fleet/fleet_state.hpp"
#include "sim/event_handler.hpp"

namespace wsfleet::models {

/// The slow and flapping servers of one run.
class GrayFailures : public sim::EventHandler {
 public:
  explicit GrayFailures(FleetState& state);
  /// True when the scenario has a fault that needs it.
  static bool needed(const FleetConfig& config);
  void handle(const sim::Event& e) override;

  /// Fault `fault` (a slow_server) starts taking its share of its server's CPU.
  void slow_start(std::uint32_t fault);
  /// It stops (the slices already queued still run).
  void slow_end(std::uint32_t fault);
  /// Fault `fault` (a health_flap) starts failing its server's health endpoint half of every period.
  void flap_start(std::uint32_t fault);
  /// Its server's health endpoint answers again.
  void flap_end(std::uint32_t fault);

  /// A dropped_messages, link_loss or link_down fault starts (its servers' frames go through inbound()).
  void frames_start(std::uint32_t fault);
  /// It ends.
  void frames_end(std::uint32_t fault);
  /// A frame from a client in `region` reaches lossy server `server` at `at`: a heartbeat (of client
  /// `c`'s connection at generation `gen`) or a data message. kLost when it is lost (it never reaches
  /// the server's CPU; a lost heartbeat starts its connection's heartbeat timeout), else the delay
  /// its TCP retransmissions add (0: none), ns: a message's latency includes it.
  sim::SimTime inbound(std::uint32_t server, std::uint32_t region, bool heartbeat, sim::SimTime at, std::uint32_t c,
                       std::uint32_t gen);
  static constexpr sim::SimTime kLost = -1;
  /// True while some link_loss or link_down fault runs.
  bool paths_impaired() const { return impaired_paths_ > 0; }
  /// The running link_down fault that cuts region `region` off site `site` (-1: the link is up).
  std::int32_t down_fault(std::uint32_t region, std::uint32_t site) const {
    if (impaired_paths_ == 0) return -1;
    for (std::uint32_t fault : on_path_[static_cast<std::size_t>(region) * st_.topo.sites() + site]) {
      if (st_.cfg.faults[fault].target == FaultTarget::LinkDown) return static_cast<std::int32_t>(fault);
    }
    return -1;
  }
  /// Extra time a handshake from `region` through site `site` takes (its packets' retransmissions),
  /// ns; -1 when a link between them is down (it never completes).
  sim::SimTime handshake_delay(std::uint32_t region, std::uint32_t site);
  /// Retransmission timeout of a data packet on a path with round trip `rtt` (RFC 6298 after one
  /// sample: SRTT + max(G, 4 RTTVAR) = rtt + max(200 ms, 2 rtt), with Linux's tcp_rto_min 200 ms as G).
  static sim::SimTime data_rto(sim::SimTime rtt) { return rtt + std::max<sim::SimTime>(kRtoMin, 2 * rtt); }
  /// Time `losses` retransmissions of one packet take with first timeout `rto` (doubled each time,
  /// each at most TCP_RTO_MAX = 120 s).
  static sim::SimTime retransmission_time(sim::SimTime rto, std::uint32_t losses);
  static constexpr sim::SimTime kRtoMin = 200'000'000;      ///< Linux TCP_RTO_MIN (HZ / 5)
  static constexpr sim::SimTime kRtoInitial = 1'000'000'000;  ///< RFC 6298 / Linux TCP_TIMEOUT_INIT: the SYN's, SYN-ACK's
  static constexpr sim::SimTime kRtoMax = 120'000'000'000;  ///< Linux TCP_RTO_MAX

  /// Checks that every lost heartbeat is accounted for (frame-level faults only).
  void conservation(RunSummary& summary) const;

  /// CPU time its slices took from slowed servers, ns.
  sim::SimTime stolen_ns() const { return stolen_; }
  /// Times a flapping server's health endpoint started failing.
  std::uint64_t health_failures() const { return flaps_; }

 private:
  enum Tag : std::uint32_t { kSlice, kFlap, kTick, kHeartbeatTimeout };
  static constexpr sim::SimTime kSliceNs = 10'000'000;  ///< 10 ms
  /// Servers a frame-level fault touches.
  std::vector<std::uint32_t> servers_of(std::uint32_t fault) const;
  /// Recomputes Server::lossy of server `b`.
  void refresh(std::uint32_t b);
  /// Counts frame `heartbeat` lost by `fault`; a heartbeat starts its connection's timeout.
  void lose(std::uint32_t fault, bool heartbeat, sim::SimTime at, std::uint32_t c, std::uint32_t gen);
  /// A lost heartbeat's timeout ran out.
  void heartbeat_timeout(std::uint32_t fault, std::uint32_t c, std::uint32_t gen);
  /// Losses of a packet before it gets through with loss probability `p`.
  static std::uint32_t losses(sim::Rng& rng, double p);

  FleetState& st_;
  std::uint32_t self_ = 0;
  std::vector<std::uint8_t> active_;  ///< per fault: running
  // Frame-level faults.
  bool frames_ = false;                               ///< the scenario has one
  std::vector<std::vector<std::uint32_t>> on_server_; ///< per server: its running dropped_messages faults
  std::vector<std::vector<std::uint32_t>> on_path_;   ///< per region x site: its running link_loss / link_down faults
  std::uint32_t impaired_paths_ = 0;                  ///< running link_loss / link_down faults
  std::vector<sim::Rng> rng_frames_;                  ///< per server: "gray.frames"
  sim::Rng rng_handshakes_;                           ///< "gray.handshakes"
  sim::SimTime hb_timeout_ = 0;                       ///< heartbeat.timeout_s (0: a lost heartbeat goes unnoticed)
  /// Per fault: what became of its lost heartbeats besides closing their connection.
  struct LostBeats {
    std::uint64_t superseded = 0;  ///< the connection had closed already when the timeout ran out
    std::uint64_t link_back = 0;   ///< link_down: the link was up again by then (TCP's retransmission got through)
    std::uint64_t not_due = 0;     ///< the timeout falls after the end of the run (or there is none)
  };
  std::vector<LostBeats> lost_beats_;
  sim::SimTime stolen_ = 0;
  std::uint64_t flaps_ = 0;
};

}  // namespace wsfleet::models
