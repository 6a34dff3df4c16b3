#pragma once
// A retry budget per client: the AWS SDK's retry quota (models/backoff/presets/aws_standard_backoff.*)
// made general. Each client holds a token bucket of `budget` tokens that refills at `refill_per_s`
// (a time-based bucket, like Envoy's or Finagle's retry budgets per client) and gains
// `success_refund` tokens per successful connection (the AWS quota's refund); every retry costs
// `retry_cost`. With too few tokens the client either waits until the bucket holds the cost
// (`when_empty = 0`) or gives up (`when_empty = 1`, the AWS SDK's behaviour). Delays between retries
// are full jitter: uniform on [0, min(cap_s, base_s * 2^n)).
#include <cstdint>
#include <optional>
#include <string>

#include "models/backoff_policy.hpp"

namespace wsfleet::models {

/// `retry_budget`. State: attempt = retries since the last success; scratch = milli-tokens spent
/// (0 = a full bucket; may exceed the budget while a retry waits for the tokens it already took);
/// last_delay = the time of the bucket's last refill, ns.
class RetryBudgetBackoff final : public BackoffPolicy {
 public:
  /// Tokens are whole thousandths; `budget` <= 1e6, `retry_cost` <= budget, rates >= 0.
  RetryBudgetBackoff(sim::SimTime base_ns, sim::SimTime cap_ns, double budget, double retry_cost, double refill_per_s,
                     double success_refund, bool give_up_when_empty, std::uint32_t max_retries);
  std::string name() const override { return "retry_budget"; }
  /// The full-jitter delay alone (no budget: a client with a full bucket at time 0).
  sim::SimTime next_delay(BackoffState& state, sim::Rng& rng) const override;
  std::uint32_t max_retries() const override { return max_retries_; }
  /// The delay that both the jitter and the bucket allow, or none when the client gives up.
  std::optional<sim::SimTime> retry_delay(BackoffState& state, sim::Rng& rng, const RetryContext& context) const override;
  /// Attempts reset; the bucket keeps its level, plus success_refund.
  void on_connected(BackoffState& state, sim::SimTime now) const override;
  /// Tokens in `state`'s bucket at `now` (after refilling), may be negative while a retry waits.
  double tokens(const BackoffState& state, sim::SimTime now) const;

 private:
  void refill(BackoffState& state, sim::SimTime now) const;
  sim::SimTime jitter(BackoffState& state, sim::Rng& rng) const;

  sim::SimTime base_ns_, cap_ns_;
  std::uint32_t budget_mt_, cost_mt_, refund_mt_;
  double refill_per_s_;
  bool give_up_when_empty_;
  std::uint32_t max_retries_;
};

}  // namespace wsfleet::models
