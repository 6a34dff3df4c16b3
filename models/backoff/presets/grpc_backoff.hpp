#pragma once
// gRPC connection backoff (the protocol every gRPC implementation follows).
#include "models/backoff/presets/client_preset.hpp"

namespace wsfleet::models {

/// `grpc`: backoff is measured from the START of each connection attempt. The first attempt of a
/// connection run gets initial_backoff without jitter; each later one gets
/// b = min(b * multiplier, max_backoff) plus a uniform jitter of +-jitter * b. After a failure the
/// client sleeps until its attempt's start + that backoff (at once if the attempt took longer).
/// Losing an established connection starts a new run at once (the backoff is reset when a
/// connection is accepted). Never gives up. MIN_CONNECT_TIMEOUT (20 s) is the model's
/// clients.connect_timeout_s, not part of this policy.
/// State: attempt = attempts of this run that have failed; last_delay = the jittered backoff of the
/// current attempt (ns).
class GrpcBackoff final : public ClientPreset {
 public:
  /// Durations in ns: initial > 0, max >= initial; multiplier >= 1; jitter in [0, 1).
  GrpcBackoff(sim::SimTime initial_ns, double multiplier, double jitter, sim::SimTime max_ns)
      : ClientPreset("grpc"), initial_ns_(initial_ns), multiplier_(multiplier), jitter_(jitter), max_ns_(max_ns) {}
  /// 0: never gives up.
  std::uint32_t max_retries() const override { return 0; }
  /// The backoff before jitter of attempt i of a run (0 = first): initial, then min(b * multiplier, max).
  sim::SimTime unjittered_ns(std::uint32_t i) const;

 protected:
  sim::SimTime step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const override;

 private:
  sim::SimTime initial_ns_;
  double multiplier_, jitter_;
  sim::SimTime max_ns_;
};

}  // namespace wsfleet::models
