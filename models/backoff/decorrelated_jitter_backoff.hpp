#pragma once
// Decorrelated jitter (AWS Architecture Blog, "Exponential Backoff And Jitter", 2015).
#include <cstdint>

#include "models/backoff_policy.hpp"

namespace wsfleet::models {

/// `decorrelated_jitter`: sleep = min(cap, U(base, 3 * prev)), where prev is the previous delay
/// (state.last_delay) or base for the first retry (last_delay == 0). Drawn in whole nanoseconds on
/// [base, 3 * prev); the result lies in [base, min(cap, 3 * prev)].
class DecorrelatedJitterBackoff final : public BackoffPolicy {
 public:
  /// `base_ns` > 0 and `cap_ns` >= base_ns, in ns; `max_retries`: 0 = unlimited.
  DecorrelatedJitterBackoff(sim::SimTime base_ns, sim::SimTime cap_ns, std::uint32_t max_retries);
  /// The registry name, "decorrelated_jitter".
  std::string name() const override { return "decorrelated_jitter"; }
  /// min(cap_ns, U(base_ns, 3 * prev)) ns; advances `state`.
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
