#pragma once
// socket.io-client 4.x reconnection (Manager + its bundled Backoff).
#include <cstdint>

#include "models/backoff/presets/client_preset.hpp"
#include "models/backoff/presets/connect_timeout.hpp"

namespace wsfleet::models {

/// `socketio`: retry n (0 = first since the last success) waits ms = min * 2^n, then ONE random number
/// r sets both the size and the sign of the jitter: dev = floor(r * jitter * ms), ms - dev when
/// floor(r * 10) is even, else ms + dev; the delay is min(ms, max) truncated to whole milliseconds
/// (JavaScript `| 0`). The count restarts after a successful (re)connection and after a lost one.
/// Reproduced quirk: once min * 2^n overflows a double (n >= 1015 for min = 1 s) ms - dev is
/// Infinity - Infinity = NaN and `NaN | 0` is 0, so half the retries go out at once.
class SocketIoBackoff final : public ClientPreset {
 public:
  /// `min_ms` > 0, `max_ms` > 0 (ms, min may exceed max), `jitter` in [0, 1] (0 = no random draw),
  /// `max_retries` (reconnectionAttempts): 0 = unlimited.
  SocketIoBackoff(double min_ms, double max_ms, double jitter, std::uint32_t max_retries);
  /// Retries allowed before giving up (reconnectionAttempts); 0 = unlimited.
  std::uint32_t max_retries() const override { return max_retries_; }
  /// Manager `timeout` (20 s): an attempt not open by then fails ("timeout" error) and is retried.
  std::optional<sim::SimTime> attempt_timeout(const BackoffState&) const override {
    return sim::from_seconds(kSocketIoConnectTimeoutS);
  }

 protected:
  sim::SimTime step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const override;

 private:
  double min_ms_, max_ms_, jitter_;
  std::uint32_t max_retries_;
};

}  // namespace wsfleet::models
