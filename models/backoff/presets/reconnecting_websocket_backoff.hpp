#pragma once
// reconnecting-websocket 4.4 (pladaria/reconnecting-websocket).
#include <cstdint>

#include "models/backoff/presets/client_preset.hpp"
#include "models/backoff/presets/connect_timeout.hpp"

namespace wsfleet::models {

/// `reconnecting_websocket`: retry number k (from 1) waits min(max, min_delay * grow^(k - 1)), where
/// min_delay = min_delay_base + random() * min_delay_spread is drawn ONCE per client (the library
/// draws it when its module loads, so every socket of a page shares it). The retry count is reset
/// only once a connection has stayed open for min_uptime: a connection lost sooner goes on counting.
/// A new session (reconnect()) starts the count again. Gives up after max_retries (0 = never).
/// State: attempt = the retry count; last_delay = when the client last connected; scratch = 1 + the
/// client's 32-bit random fraction (0 = not drawn yet).
class ReconnectingWebSocketBackoff final : public ClientPreset {
 public:
  /// Durations in ns: base > 0, spread >= 0, max > 0, uptime >= 0; `grow` >= 1.
  ReconnectingWebSocketBackoff(sim::SimTime min_base_ns, sim::SimTime min_spread_ns, sim::SimTime max_ns, double grow,
                               sim::SimTime min_uptime_ns, std::uint32_t max_retries)
      : ClientPreset("reconnecting_websocket"),
        min_base_ns_(min_base_ns),
        min_spread_ns_(min_spread_ns),
        max_ns_(max_ns),
        grow_(grow),
        min_uptime_ns_(min_uptime_ns),
        max_retries_(max_retries) {}
  /// Retries allowed before giving up; 0 = unlimited.
  std::uint32_t max_retries() const override { return max_retries_; }
  /// `connectionTimeout` (4 s): a socket not open by then is closed and retried.
  std::optional<sim::SimTime> attempt_timeout(const BackoffState&) const override {
    return sim::from_seconds(kReconnectingWebSocketConnectTimeoutS);
  }
  /// Records when the connection opened; the count is not reset yet.
  void on_connected(BackoffState& state, sim::SimTime now) const override;
  /// reconnect(): the count starts again; the client's min_delay stays.
  void on_session_restart(BackoffState& state, sim::SimTime now) const override;
  /// The client's min_delay (ns) once drawn (drawing it if `state` has none yet).
  sim::SimTime min_delay_ns(BackoffState& state, sim::Rng& rng) const;

 protected:
  sim::SimTime step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const override;
  bool stops(const BackoffState& state, const RetryContext& context) const override;

 private:
  /// True when `context` is the loss of a connection that had stayed open for min_uptime.
  bool count_was_reset(const BackoffState& state, const RetryContext& context) const;

  sim::SimTime min_base_ns_, min_spread_ns_, max_ns_;
  double grow_;
  sim::SimTime min_uptime_ns_;
  std::uint32_t max_retries_;
};

}  // namespace wsfleet::models
