#pragma once
// Retry at once.
#include <cstdint>

#include "models/backoff_policy.hpp"

namespace wsfleet::models {

/// `immediate`: every retry is scheduled with zero delay.
class ImmediateBackoff final : public BackoffPolicy {
 public:
  /// `max_retries`: retries before giving up, 0 = unlimited.
  explicit ImmediateBackoff(std::uint32_t max_retries) : max_retries_(max_retries) {}
  /// The registry name, "immediate".
  std::string name() const override { return "immediate"; }
  /// Always 0 ns; advances `state`.
  sim::SimTime next_delay(BackoffState& state, sim::Rng& rng) const override;
  /// Retries allowed before giving up; 0 = unlimited.
  std::uint32_t max_retries() const override { return max_retries_; }

 private:
  std::uint32_t max_retries_;
};

}  // namespace wsfleet::models
