#pragma once
// pusher-js connection manager and its WebSocket strategy.
#include "models/backoff/presets/client_preset.hpp"

namespace wsfleet::models {

/// `pusher`: when an established connection closes the client connects again after closed_retry
/// (retryIn(1000)). Within a connection run, a failed WebSocket attempt is not retried at once: the
/// strategy waits for the attempt's own timeout, counted from the attempt's start (15 s, doubling per
/// attempt up to 60 s), and then starts the next attempt. Never gives up. The HTTP fallback that
/// pusher-js races against the WebSocket, and its transport cache, are models/transport/pusher_fallback.hpp.
class PusherBackoff final : public ClientPreset {
 public:
  /// Durations in ns: closed_retry >= 0, timeout > 0, timeout_limit > 0.
  PusherBackoff(sim::SimTime closed_retry_ns, sim::SimTime timeout_ns, sim::SimTime timeout_limit_ns)
      : ClientPreset("pusher"), closed_retry_ns_(closed_retry_ns), timeout_ns_(timeout_ns), timeout_limit_ns_(timeout_limit_ns) {}
  /// 0: never gives up.
  std::uint32_t max_retries() const override { return 0; }
  /// The timeout of attempt i (0 = first) of a connection run, ns: timeout, then min(previous * 2, limit).
  sim::SimTime attempt_timeout_ns(std::uint32_t i) const;
  /// The attempt's own timeout: attempt_timeout_ns(attempt of this connection run) (sequential_strategy.ts).
  std::optional<sim::SimTime> attempt_timeout(const BackoffState& state) const override {
    return attempt_timeout_ns(state.attempt);
  }

 protected:
  sim::SimTime step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const override;

 private:
  sim::SimTime closed_retry_ns_, timeout_ns_, timeout_limit_ns_;
};

}  // namespace wsfleet::models
