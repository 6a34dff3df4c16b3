#pragma once
// One server: a hard connection limit, a CPU queue, and its per-interval counters.
#include <cstdint>
#include <vector>

#include "models/cpu_queue.hpp"
#include "sim/histogram.hpp"
#include "sim/token_bucket.hpp"

namespace wsfleet::models {

/// Counts during the current sample interval.
struct ServerInterval {
  std::uint64_t attempts = 0, established = 0, rejected = 0, failed = 0, closed = 0, dropped = 0;
  std::uint64_t messages_delivered = 0;
};

/// A WebSocket server process.
struct Server {
  Server(std::uint32_t cores, double handshakes_per_s) : cpu(cores), admission(handshakes_per_s, handshakes_per_s) {}
  bool up = true;                       ///< running (not crashed, not yet added, not removed)
  bool present = true;                  ///< part of the fleet (false before a [[scaling]] add and after removal)
  bool draining = false;                ///< being removed: takes no new connections
  std::uint16_t crashed_by = 0;         ///< 1 + index of the fault that crashed it while it is down, else 0
  bool blackhole = false;               ///< gray failure: accepts connections, never completes a handshake
  bool unreachable = false;             ///< site_partition: the balancers' connects to it get no answer
  bool health_failing = false;          ///< gray failure: its health endpoint fails (active probes fail), it serves on
  bool lossy = false;                   ///< gray failure: its inbound frames may be lost or retransmitted (GrayFailures::inbound)
  std::uint64_t metrics_messages = 0;   ///< messages done since the last load report
  sim::SimTime busy_at_last_report = 0; ///< CpuQueue::busy_ns at the previous load report
  std::vector<std::uint32_t> members;   ///< clients holding a slot (handshaking or connected)
  std::uint64_t connected = 0;          ///< established connections open
  std::uint64_t ghosts = 0;             ///< half-open connections (the client is gone) still holding a slot
  std::uint32_t ghost_gen = 0;          ///< bumped when a crash or drain clears the ghosts (stale timers are ignored)
  CpuQueue cpu;                         ///< work queue
  sim::TokenBucket admission;           ///< handshakes per second it accepts
  ServerInterval interval;              ///< counters since the last sample
  sim::LogHistogram interval_latency_ms;  ///< message latency during the current interval
  sim::LogHistogram window_latency_ms;    ///< message latency since the autoscaler's last look (only when it scales on p99 latency)
  sim::SimTime busy_at_last_sample = 0; ///< CpuQueue::busy_ns at the previous sample
  sim::SimTime present_since = 0;       ///< when it last became part of the fleet, ns
  sim::SimTime present_before = 0;      ///< time it was part of the fleet before present_since, ns

  /// Joins (true) or leaves (false) the fleet at `now`, keeping the time it was part of it (the CPU
  /// capacity the summary divides by counts a server's cores only while it is present).
  void set_present(bool p, sim::SimTime now) {
    if (p == present) return;
    if (present) present_before += now - present_since;
    else present_since = now;
    present = p;
  }
  /// Leaves the fleet at `now` (a [[scaling]] remove, a deploy's old server, an autoscaler's
  /// scale-in), once its members were closed: no connection, no half-open one, down and absent.
  void leave_fleet(sim::SimTime now) {
    connected = 0;
    ghosts = 0;
    ++ghost_gen;
    draining = false;
    set_present(false, now);
    up = false;
  }
  /// Time it has been part of the fleet up to `now`, ns.
  [[nodiscard]] sim::SimTime present_time(sim::SimTime now) const {
    return present_before + (present ? now - present_since : 0);
  }
};

}  // namespace wsfleet::models
