#pragma once
// ably-js realtime connection manager: disconnected retries, immediate reconnect, suspended state.
#include "models/backoff/presets/client_preset.hpp"
#include "models/backoff/presets/connect_timeout.hpp"

namespace wsfleet::models {

/// `ably`: n counts the disconnections since the client was last connected (from 1). Losing an
/// established connection reconnects at once (n = 1), but at most once a second (the next one waits
/// until a second after the previous immediate reconnect). A failed attempt waits
/// disconnected_retry * min((n + 2) / 3, 2) * (1 - 0.2 * random()) (so n = 2 after a lost connection).
/// connection_state_ttl after the first attempt since the client was last connected started, the
/// client is suspended: the pending retry is replaced by one suspended_retry after that moment, and
/// from then on every failed attempt waits suspended_retry, without jitter. Never gives up.
/// An attempt still in progress when the TTL expires is not aborted here (the model's connect timeout
/// governs it); when it fails, the retry comes suspended_retry after the expiry.
/// State: attempt = n; last_delay = the time the suspend timer started, which is also the time of the
/// last immediate reconnect; scratch bits: timer running, suspended, last immediate reconnect known.
class AblyBackoff final : public ClientPreset {
 public:
  /// Durations in ns, all > 0.
  AblyBackoff(sim::SimTime disconnected_retry_ns, sim::SimTime suspended_retry_ns, sim::SimTime state_ttl_ns)
      : ClientPreset("ably"),
        disconnected_retry_ns_(disconnected_retry_ns),
        suspended_retry_ns_(suspended_retry_ns),
        state_ttl_ns_(state_ttl_ns) {}
  /// 0: never gives up.
  std::uint32_t max_retries() const override { return 0; }
  /// `timeouts.webSocketConnectTimeout` (10 s).
  std::optional<sim::SimTime> attempt_timeout(const BackoffState&) const override {
    return sim::from_seconds(kAblyConnectTimeoutS);
  }
  /// The suspend timer: an attempt still in flight when connectionStateTtl expires is aborted
  /// (notifyState('suspended') disposes every transport): the time left until the expiry, while the
  /// timer runs and the client is not suspended yet.
  std::optional<sim::SimTime> attempt_abort(const BackoffState& state, sim::SimTime start) const override;
  /// Connected: n = 0, suspend timer cancelled; the time of the last immediate reconnect is kept.
  void on_connected(BackoffState& state, sim::SimTime now) const override;

 protected:
  sim::SimTime step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const override;

 private:
  sim::SimTime disconnected_retry_ns_, suspended_retry_ns_, state_ttl_ns_;
};

}  // namespace wsfleet::models
