#pragma once
// Phoenix JavaScript client (phoenix.js Socket and Channel): the default reconnectAfterMs table, and
// the channels' joins on every connection with the default rejoinAfterMs schedule.
#include "models/backoff/presets/client_preset.hpp"

namespace wsfleet::models {

/// `phoenix`: retry number tries (from 1 since the socket last opened) waits
/// [10, 50, 100, 150, 200, 250, 500, 1000, 2000][tries - 1] ms, then 5000 ms; no jitter, never gives up.
/// With `rejoin_channels`, each channel sends a join when the socket opens; a join that is refused or
/// gets no reply within `join_timeout` is sent again after [1000, 2000, 5000][tries - 1] ms, then 10000 ms.
class PhoenixBackoff final : public ClientPreset {
 public:
  explicit PhoenixBackoff(bool rejoin_channels = true, sim::SimTime join_timeout = 10 * sim::kNanosPerSecond)
      : ClientPreset("phoenix"), rejoin_channels_(rejoin_channels), join_timeout_(join_timeout) {}
  /// 0: never gives up.
  std::uint32_t max_retries() const override { return 0; }
  /// The channels' joins (none without rejoin_channels).
  std::optional<ChannelRejoin> channel_rejoin() const override;

 protected:
  sim::SimTime step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const override;

 private:
  bool rejoin_channels_;
  sim::SimTime join_timeout_;
};

}  // namespace wsfleet::models
