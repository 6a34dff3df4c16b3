#pragma once
// centrifuge-js (Centrifugo's JavaScript SDK) reconnect backoff.
#include "models/backoff/presets/client_preset.hpp"
#include "models/backoff/presets/connect_timeout.hpp"

namespace wsfleet::models {

/// `centrifuge`: retry step s (from 0 since the last connect) waits
/// min(max, min + randInt(0, min(max, min * 2^min(s, 31)))) ms, randInt inclusive of both ends
/// (floor(random() * (hi + 1))). The delay is never below min, and it equals max with probability
/// (min + 1) / (max + 1) once min * 2^s >= max (a mass at the cap). Never gives up.
class CentrifugeBackoff final : public ClientPreset {
 public:
  /// `min_ms` > 0, `max_ms` >= min_ms.
  CentrifugeBackoff(double min_ms, double max_ms) : ClientPreset("centrifuge"), min_ms_(min_ms), max_ms_(max_ms) {}
  /// 0: never gives up.
  std::uint32_t max_retries() const override { return 0; }
  /// `timeout` (5 s): the connect command's reply must come within it.
  std::optional<sim::SimTime> attempt_timeout(const BackoffState&) const override {
    return sim::from_seconds(kCentrifugeConnectTimeoutS);
  }

 protected:
  sim::SimTime step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const override;

 private:
  double min_ms_, max_ms_;
};

}  // namespace wsfleet::models
