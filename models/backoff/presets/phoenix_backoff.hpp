#pragma once
// Phoenix JavaScript client (phoenix.js Socket): the default reconnectAfterMs table.
#include "models/backoff/presets/client_preset.hpp"

namespace wsfleet::models {

/// `phoenix`: retry number tries (from 1 since the socket last opened) waits
/// [10, 50, 100, 150, 200, 250, 500, 1000, 2000][tries - 1] ms, then 5000 ms; no jitter, never gives up.
class PhoenixBackoff final : public ClientPreset {
 public:
  PhoenixBackoff() : ClientPreset("phoenix") {}
  /// 0: never gives up.
  std::uint32_t max_retries() const override { return 0; }

 protected:
  sim::SimTime step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const override;
};

}  // namespace wsfleet::models
