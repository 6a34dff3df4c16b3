#pragma once
// The broker between servers (the Redis-adapter pattern): a first-come-first-served forwarder with
// a capacity in deliveries per second and a network latency, which loses what it holds when it
// goes down.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "sim/time.hpp"

namespace wsfleet::models {

class Broker {
 public:
  /// `ns_per_delivery`: forwarding time per (publication, receiving server); `latency`: one way.
  Broker(double ns_per_delivery, sim::SimTime latency) : ns_per_delivery_(ns_per_delivery), latency_(latency) {}

  bool up() const { return up_; }
  /// Outages so far: publications accepted in epoch e were queued before the e-th outage began.
  std::uint32_t epoch() const { return static_cast<std::uint32_t>(down_at_.size()); }

  /// Accepts a publication at `now` that goes to `deliveries` servers; returns when it leaves the
  /// broker (FIFO behind what it already holds).
  sim::SimTime accept(sim::SimTime now, std::uint32_t deliveries) {
    const auto service = static_cast<sim::SimTime>(std::llround(ns_per_delivery_ * static_cast<double>(deliveries)));
    free_at_ = std::max(now, free_at_) + service;
    return free_at_;
  }
  /// When a publication leaving at `depart` reaches the servers.
  sim::SimTime arrival(sim::SimTime depart) const { return depart + latency_; }
  /// The broker fails at `now`: what it holds is lost.
  void go_down(sim::SimTime now) {
    up_ = false;
    down_at_.push_back(now);
    free_at_ = now;
  }
  void come_up() { up_ = true; }
  /// True if a publication accepted in `epoch` and due to leave at `depart` was lost in an outage.
  bool lost(std::uint32_t epoch, sim::SimTime depart) const { return epoch < down_at_.size() && down_at_[epoch] < depart; }

 private:
  double ns_per_delivery_;
  sim::SimTime latency_;
  sim::SimTime free_at_ = 0;
  bool up_ = true;
  std::vector<sim::SimTime> down_at_;
};

}  // namespace wsfleet::models
