// Checked against smithy-lang/smithy-typescript (the retry code of aws/aws-sdk-js-v3)
// packages/core/src/submodules/retry/util-retry/StandardRetryStrategy.ts (retry while retryCount + 1
// < maxAttempts and capacity >= cost; capacity -= cost per retry; recordSuccess: capacity =
// min(INITIAL_RETRY_TOKENS, capacity + (last retry cost or NO_RETRY_INCREMENT))),
// DefaultRetryBackoffStrategy.ts (floor(random() * min(base * 2^i, MAXIMUM_RETRY_DELAY))),
// constants.ts / config.ts / retries-2026-config.ts (base 100 ms, 500 ms for throttling errors;
// 20000 ms cap; 500 tokens; cost 10 for TRANSIENT errors, 5 for the others; 3 attempts) and
// service-error-classification (ECONNREFUSED, ECONNRESET, timeouts and 500/502/503/504 are TRANSIENT).
#include "models/backoff/presets/aws_standard_backoff.hpp"

#include <algorithm>
#include <cmath>

#include "models/backoff/backoff_step.hpp"

namespace wsfleet::models {

std::uint32_t AwsStandardBackoff::tokens_left(const BackoffState& state) const {
  return state.scratch >= quota_tokens_ ? 0 : quota_tokens_ - state.scratch;
}

bool AwsStandardBackoff::gives_up(const BackoffState& state) const {
  return state.attempt + 1ull >= max_attempts_ || tokens_left(state) < retry_cost_;
}

void AwsStandardBackoff::on_connected(BackoffState& state, sim::SimTime now) const {
  (void)now;
  const std::uint32_t refund = state.attempt > 0 ? retry_cost_ : success_increment_;
  state.scratch = state.scratch > refund ? state.scratch - refund : 0;
  state.attempt = 0;
}

sim::SimTime AwsStandardBackoff::step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const {
  (void)context;
  const double ceiling_ms = std::min(base_ms_ * std::pow(2.0, static_cast<double>(state.attempt)), cap_ms_);
  const sim::SimTime delay_ns = static_cast<sim::SimTime>(std::floor(rng.uniform01() * ceiling_ms)) * sim::kNanosPerMilli;
  state.scratch = std::min(quota_tokens_, state.scratch + std::min(retry_cost_, quota_tokens_));
  record_retry(state, delay_ns);
  return delay_ns;
}

}  // namespace wsfleet::models
