#pragma once
// Capped exponential backoff without jitter.
#include <cstdint>

#include "models/backoff_policy.hpp"

namespace wsfleet::models {

/// `exponential`: retry n (0 = first) waits min(cap, base * 2^n).
class ExponentialBackoff final : public BackoffPolicy {
 public:
  /// `base_ns` > 0 and `cap_ns` >= base_ns, in ns; `max_retries`: 0 = unlimited.
  ExponentialBackoff(sim::SimTime base_ns, sim::SimTime cap_ns, std::uint32_t max_retries);
  /// The registry name, "exponential".
  std::string name() const override { return "exponential"; }
  /// min(cap_ns, base_ns * 2^n) with n = state.attempt; advances `state`.
  sim::SimTime next_delay(BackoffState& state, sim::Rng& rng) const override;
  /// Retries allowed before giving up; 0 = unlimited.
  std::uint32_t max_retries() const override { return max_retries_; }
  /// The first retry's base delay, ns.
  sim::SimTime base_ns() const { return base_ns_; }
  /// The largest delay, ns.
  sim::SimTime cap_ns() const { return cap_ns_; }

 private:
  sim::SimTime base_ns_;
  sim::SimTime cap_ns_;
  std::uint32_t max_retries_;
};

}  // namespace wsfleet::models
