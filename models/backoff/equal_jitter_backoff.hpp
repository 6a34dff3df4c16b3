#pragma once
// Exponential backoff with equal jitter (AWS Architecture Blog, "Exponential Backoff And Jitter", 2015).
#include <cstdint>

#include "models/backoff/capped_backoff.hpp"

namespace wsfleet::models {

/// `equal_jitter`: retry n waits v/2 + U(0, v/2) with v = min(cap, base * 2^n): half the exponential
/// delay is kept, the other half is jitter. Drawn in whole nanoseconds on [ceil(v/2), v).
class EqualJitterBackoff final : public CappedBackoff {
 public:
  /// `base_ns` > 0 and `cap_ns` >= base_ns, in ns; `max_retries`: 0 = unlimited.
  EqualJitterBackoff(sim::SimTime base_ns, sim::SimTime cap_ns, std::uint32_t max_retries)
      : CappedBackoff("equal_jitter", base_ns, cap_ns, max_retries) {}
  /// Uniform on [ceil(v/2), v) ns, v = min(cap_ns, base_ns * 2^n), n = state.attempt; advances `state`.
  sim::SimTime next_delay(BackoffState& state, sim::Rng& rng) const override;
};

}  // namespace wsfleet::models
