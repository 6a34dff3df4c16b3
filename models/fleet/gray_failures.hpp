#pragma once
// Gray failures that need time of their own, as a component: a slow server (type "slow_server": a
// noisy neighbour or CPU throttling takes 1 - 1/factor of its CPU, in slices every 10 ms, so its
// work waits and its capacity falls by `factor`) and a server whose health flaps (type
// "health_flap": its health endpoint fails the first half of every period_s; the balancers' active
// probes see it, their rise/fall counts decide whether it leaves and rejoins). The fault kinds
// (models/faults/) start and end them; other gray failures need no events (handshake_blackhole,
// link_degrade). No random stream.
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

  /// CPU time its slices took from slowed servers, ns.
  sim::SimTime stolen_ns() const { return stolen_; }
  /// Times a flapping server's health endpoint started failing.
  std::uint64_t health_failures() const { return flaps_; }

 private:
  enum Tag : std::uint32_t { kSlice, kFlap };
  static constexpr sim::SimTime kSliceNs = 10'000'000;  ///< 10 ms
  FleetState& st_;
  std::uint32_t self_ = 0;
  std::vector<std::uint8_t> active_;  ///< per fault: running
  sim::SimTime stolen_ = 0;
  std::uint64_t flaps_ = 0;
};

}  // namespace wsfleet::models
