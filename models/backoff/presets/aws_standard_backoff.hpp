#pragma once
// AWS SDK for JavaScript v3 "standard" retry mode (Smithy util-retry StandardRetryStrategy).
#include <cstdint>

#include "models/backoff/presets/client_preset.hpp"

namespace wsfleet::models {

/// `aws_standard`: every failure, and the loss of a connection, is a transient error of the current
/// request. Retry i (0 = first of the request) waits floor(random() * min(base * 2^i, cap)) ms. A
/// request makes at most max_attempts attempts (max_attempts - 1 retries), and each retry takes
/// retry_cost tokens from the client's retry quota (quota_tokens to start with): with fewer tokens
/// than retry_cost left, the client gives up. A success gives back the last retry's cost, or
/// success_increment if the request needed no retry, up to the initial quota.
/// State: attempt = retries of the current request; scratch = tokens spent.
class AwsStandardBackoff final : public ClientPreset {
 public:
  /// `base_ms` > 0, `cap_ms` > 0, `max_attempts` >= 1, `quota_tokens` >= 0, `retry_cost` >= 0,
  /// `success_increment` >= 0 (token counts are whole numbers).
  AwsStandardBackoff(double base_ms, double cap_ms, std::uint32_t max_attempts, std::uint32_t quota_tokens,
                     std::uint32_t retry_cost, std::uint32_t success_increment)
      : ClientPreset("aws_standard"),
        base_ms_(base_ms),
        cap_ms_(cap_ms),
        max_attempts_(max_attempts),
        quota_tokens_(quota_tokens),
        retry_cost_(retry_cost),
        success_increment_(success_increment) {}
  /// max_attempts - 1.
  std::uint32_t max_retries() const override { return max_attempts_ - 1; }
  /// Attempts exhausted, or the quota cannot pay a retry.
  bool gives_up(const BackoffState& state) const override;
  /// recordSuccess: tokens come back; the next request starts.
  void on_connected(BackoffState& state, sim::SimTime now) const override;
  /// Tokens left in the client's retry quota.
  std::uint32_t tokens_left(const BackoffState& state) const;

 protected:
  sim::SimTime step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const override;

 private:
  double base_ms_, cap_ms_;
  std::uint32_t max_attempts_, quota_tokens_, retry_cost_, success_increment_;
};

}  // namespace wsfleet::models
