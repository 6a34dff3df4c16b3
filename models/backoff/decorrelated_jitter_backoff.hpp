#pragma once
// Decorrelated jitter (AWS Architecture Blog, "Exponential Backoff And Jitter", 2015).
#include <cstdint>

#include "models/backoff/capped_backoff.hpp"

namespace wsfleet::models {

/// `decorrelated_jitter`: sleep = min(cap, U(base, 3 * prev)), where prev is the previous delay
/// (state.last_delay) or base for the first retry (last_delay == 0). Drawn in whole nanoseconds on
/// [base, 3 * prev); the result lies in [base, min(cap, 3 * prev)].
class DecorrelatedJitterBackoff final : public CappedBackoff {
 public:
  /// `base_ns` > 0 and `cap_ns` >= base_ns, in ns; `max_retries`: 0 = unlimited.
  DecorrelatedJitterBackoff(sim::SimTime base_ns, sim::SimTime cap_ns, std::uint32_t max_retries)
      : CappedBackoff("decorrelated_jitter", base_ns, cap_ns, max_retries) {}
  /// min(cap_ns, U(base_ns, 3 * prev)) ns; advances `state`.
  sim::SimTime next_delay(BackoffState& state, sim::Rng& rng) const override;
};

}  // namespace wsfleet::models
