#pragma once
// ASP.NET Core SignalR JavaScript client: withAutomaticReconnect() with its DefaultReconnectPolicy.
#include <cstdint>

#include "models/backoff/presets/client_preset.hpp"

namespace wsfleet::models {

/// `signalr`: after an established connection is lost the client retries after 0, 2, 10 and 30 s, then
/// gives up (the fixed list, then null). Reproduced quirk: automatic reconnect applies only to a lost
/// connection; a failed start() (the first connection, or the first of a new session) is not retried
/// unless `retry_failed_start` (what applications add by hand) is set. Uses scratch bit 0 ("in the
/// reconnect loop").
class SignalRBackoff final : public ClientPreset {
 public:
  /// `retry_failed_start`: also retry a failed start() with the same list.
  explicit SignalRBackoff(bool retry_failed_start) : ClientPreset("signalr"), retry_failed_start_(retry_failed_start) {}
  /// 4: the length of the delay list.
  std::uint32_t max_retries() const override;
  /// The list keeps its count; the reconnect-loop flag stays until a new session.
  void on_connected(BackoffState& state, sim::SimTime now) const override;
  /// A new start(): not in a reconnect loop any more.
  void on_session_restart(BackoffState& state, sim::SimTime now) const override;

 protected:
  sim::SimTime step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const override;
  bool stops(const BackoffState& state, const RetryContext& context) const override;

 private:
  bool retry_failed_start_;
};

}  // namespace wsfleet::models
