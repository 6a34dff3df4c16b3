#pragma once
// The same delay before every retry (pusher-js style).
#include <cstdint>

#include "models/backoff_policy.hpp"

namespace wsfleet::models {

/// `constant`: every retry waits `delay_ns`.
class ConstantBackoff final : public BackoffPolicy {
 public:
  /// `delay_ns`: the fixed delay, ns (>= 0); `max_retries`: 0 = unlimited.
  ConstantBackoff(sim::SimTime delay_ns, std::uint32_t max_retries);
  /// The registry name, "constant".
  std::string name() const override { return "constant"; }
  /// Always delay_ns; advances `state`.
  sim::SimTime next_delay(BackoffState& state, sim::Rng& rng) const override;
  /// Retries allowed before giving up; 0 = unlimited.
  std::uint32_t max_retries() const override { return max_retries_; }

 private:
  sim::SimTime delay_ns_;
  std::uint32_t max_retries_;
};

}  // namespace wsfleet::models
