#pragma once
// gRPC connection backoff (the protocol every gRPC implementation follows).
#include "models/backoff/presets/client_preset.hpp"
#include "models/backoff/presets/connect_timeout.hpp"

namespace wsfleet::models {

/// `grpc`: backoff is measured from the START of each connection attempt. The first attempt of a
/// connection run gets initial_backoff without jitter; each later one gets
/// b = min(b * multiplier, max_backoff) plus a uniform jitter of +-jitter * b. After a failure the
/// client sleeps until its attempt's start + that backoff (at once if the attempt took longer).
/// Losing an established connection starts a new run at once (the backoff is reset when a
/// connection is accepted). Never gives up. An attempt's own timeout is max(MIN_CONNECT_TIMEOUT, its
/// backoff) (attempt_timeout; the fleet applies it unless the scenario gives clients.connect_timeout_s).
/// Implementations differ around the formula: C-core and Java jitter the first backoff too
/// (jitter_first: 0.8-1.2 s); grpc-go does not, and waits from the END of the failed attempt
/// (from_attempt_start = false). The defaults follow the protocol document.
/// State: attempt = attempts of this run that have failed; last_delay = the jittered backoff of the
/// current attempt (ns).
class GrpcBackoff final : public ClientPreset {
 public:
  /// Durations in ns: initial > 0, max >= initial; multiplier >= 1; jitter in [0, 1).
  /// min_connect_timeout_ns > 0 (MIN_CONNECT_TIMEOUT).
  GrpcBackoff(sim::SimTime initial_ns, double multiplier, double jitter, sim::SimTime max_ns, bool jitter_first = false,
              bool from_attempt_start = true, sim::SimTime min_connect_timeout_ns = sim::from_seconds(kGrpcMinConnectTimeoutS))
      : ClientPreset("grpc"),
        initial_ns_(initial_ns),
        multiplier_(multiplier),
        jitter_(jitter),
        max_ns_(max_ns),
        jitter_first_(jitter_first),
        from_attempt_start_(from_attempt_start),
        min_connect_timeout_ns_(min_connect_timeout_ns) {}
  /// 0: never gives up.
  std::uint32_t max_retries() const override { return 0; }
  /// The backoff before jitter of attempt i of a run (0 = first): initial, then min(b * multiplier, max).
  sim::SimTime unjittered_ns(std::uint32_t i) const;
  /// The attempt's deadline: max(MIN_CONNECT_TIMEOUT, the attempt's backoff) from its start
  /// (TryConnect(Max(current_deadline, now + MIN_CONNECT_TIMEOUT))). The first attempt of a run uses
  /// initial_backoff unjittered (with jitter_first its jitter is drawn when it fails).
  std::optional<sim::SimTime> attempt_timeout(const BackoffState& state) const override;

 protected:
  sim::SimTime step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const override;

 private:
  sim::SimTime initial_ns_;
  double multiplier_, jitter_;
  sim::SimTime max_ns_;
  bool jitter_first_, from_attempt_start_;
  sim::SimTime min_connect_timeout_ns_;
  /// b +- jitter * b, rounded to ns.
  sim::SimTime jittered_ns(double b, sim::Rng& rng) const;
};

}  // namespace wsfleet::models
