#pragma once
// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter", 2015).
#include <cstdint>

#include "models/backoff/capped_backoff.hpp"

namespace wsfleet::models {

/// `full_jitter`: retry n waits U(0, v) with v = min(cap, base * 2^n), drawn as a whole number of
/// nanoseconds uniform on [0, v).
class FullJitterBackoff final : public CappedBackoff {
 public:
  /// `base_ns` > 0 and `cap_ns` >= base_ns, in ns; `max_retries`: 0 = unlimited.
  FullJitterBackoff(sim::SimTime base_ns, sim::SimTime cap_ns, std::uint32_t max_retries)
      : CappedBackoff("full_jitter", base_ns, cap_ns, max_retries) {}
  /// Uniform on [0, v) ns, v = min(cap_ns, base_ns * 2^n), n = state.attempt; advances `state`.
  sim::SimTime next_delay(BackoffState& state, sim::Rng& rng) const override;
};

}  // namespace wsfleet::models
