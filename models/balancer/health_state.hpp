#pragma once
// The fall/rise state machine of an active health check (HAProxy `check fall N rise M`, AWS target
// group unhealthy/healthy thresholds): a backend is marked down after `fall` consecutive failed
// probes and up again after `rise` consecutive passed ones.
#include <cstdint>

namespace wsfleet::models {

/// What one balancer believes about one backend's health.
class HealthState {
 public:
  explicit HealthState(bool up = true) : up_(up) {}
  /// Believed up.
  bool up() const { return up_; }
  /// Records one probe result; returns true when the belief flips (down after `fall` consecutive
  /// failures while up, up after `rise` consecutive passes while down). A result that agrees with
  /// the current belief resets the streak against it.
  bool record(bool passed, std::uint32_t fall, std::uint32_t rise) {
    if (passed == up_) {
      streak_ = 0;
      return false;
    }
    if (++streak_ < (up_ ? fall : rise)) return false;
    up_ = !up_;
    streak_ = 0;
    return true;
  }
  /// Forces a belief (an oracle, or a backend that joins the tier), clearing the streak.
  void set(bool up) {
    up_ = up;
    streak_ = 0;
  }

 private:
  bool up_;
  std::uint32_t streak_ = 0;
};

}  // namespace wsfleet::models
