#pragma once
// Never retry: a client that fails once gives up (lost-calls-cleared, as in Erlang B).
#include "models/backoff_policy.hpp"

namespace wsfleet::models {

/// `none`: no retry at all; the client leaves after its first drop, rejection or failure.
class NoRetryBackoff final : public BackoffPolicy {
 public:
  /// The registry name, "none".
  std::string name() const override { return "none"; }
  /// Never called by the model (gives_up is always true); returns 0 and advances `state`.
  sim::SimTime next_delay(BackoffState& state, sim::Rng& rng) const override;
  /// Reported as 0; gives_up() is what says "no retries".
  std::uint32_t max_retries() const override { return 0; }
  /// Always true.
  bool gives_up(const BackoffState& state) const override {
    (void)state;
    return true;
  }
};

}  // namespace wsfleet::models
