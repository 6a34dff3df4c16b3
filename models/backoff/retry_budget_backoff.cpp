#include "models/backoff/retry_budget_backoff.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/backoff/backoff_step.hpp"

namespace wsfleet::models {

namespace {
std::uint32_t milli(double tokens) { return static_cast<std::uint32_t>(std::llround(tokens * 1000.0)); }
}  // namespace

RetryBudgetBackoff::RetryBudgetBackoff(sim::SimTime base_ns, sim::SimTime cap_ns, double budget, double retry_cost,
                                       double refill_per_s, double success_refund, bool give_up_when_empty,
                                       std::uint32_t max_retries)
    : base_ns_(base_ns),
      cap_ns_(cap_ns),
      budget_mt_(milli(budget)),
      cost_mt_(milli(retry_cost)),
      refund_mt_(milli(success_refund)),
      refill_per_s_(refill_per_s),
      give_up_when_empty_(give_up_when_empty),
      max_retries_(max_retries) {
  check_base_cap("retry_budget", base_ns, cap_ns);
}

void RetryBudgetBackoff::refill(BackoffState& state, sim::SimTime now) const {
  const sim::SimTime since = now - state.last_delay;
  if (since > 0 && state.scratch > 0 && refill_per_s_ > 0.0) {
    // Milli-tokens regained: ns x tokens/s x 1e-6.
    const double back = std::floor(static_cast<double>(since) * refill_per_s_ * 1e-6);
    state.scratch = back >= static_cast<double>(state.scratch) ? 0 : state.scratch - static_cast<std::uint32_t>(back);
  }
  if (now > state.last_delay) state.last_delay = now;
}

double RetryBudgetBackoff::tokens(const BackoffState& state, sim::SimTime now) const {
  BackoffState s = state;
  refill(s, now);
  return (static_cast<double>(budget_mt_) - static_cast<double>(s.scratch)) / 1000.0;
}

sim::SimTime RetryBudgetBackoff::jitter(BackoffState& state, sim::Rng& rng) const {
  const sim::SimTime ceiling_ns = exponential_ceiling_ns(base_ns_, cap_ns_, state.attempt);
  if (state.attempt < std::numeric_limits<std::uint32_t>::max()) ++state.attempt;
  return static_cast<sim::SimTime>(rng.below(static_cast<std::uint64_t>(ceiling_ns)));
}

sim::SimTime RetryBudgetBackoff::next_delay(BackoffState& state, sim::Rng& rng) const { return jitter(state, rng); }

std::optional<sim::SimTime> RetryBudgetBackoff::retry_delay(BackoffState& state, sim::Rng& rng, const RetryContext& context) const {
  if (gives_up(state)) return std::nullopt;
  refill(state, context.now);
  const std::int64_t left = static_cast<std::int64_t>(budget_mt_) - static_cast<std::int64_t>(state.scratch);
  sim::SimTime wait = 0;
  if (left < static_cast<std::int64_t>(cost_mt_)) {
    // The bucket cannot pay for this retry now.
    if (give_up_when_empty_ || refill_per_s_ <= 0.0) return std::nullopt;
    // Until the bucket holds the cost: milli-tokens owed x 1e6 / (tokens/s) ns.
    const auto owed = static_cast<double>(static_cast<std::int64_t>(cost_mt_) - left);
    wait = static_cast<sim::SimTime>(std::ceil(owed * 1e6 / refill_per_s_));
  }
  // The retry takes its tokens now; while it waits, the bucket refills what it owes.
  state.scratch = static_cast<std::uint32_t>(std::min<std::uint64_t>(std::numeric_limits<std::uint32_t>::max(),
                                                                      static_cast<std::uint64_t>(state.scratch) + cost_mt_));
  return std::max(jitter(state, rng), wait);
}

void RetryBudgetBackoff::on_connected(BackoffState& state, sim::SimTime now) const {
  refill(state, now);
  state.scratch = state.scratch > refund_mt_ ? state.scratch - refund_mt_ : 0;
  state.attempt = 0;
}

}  // namespace wsfleet::models
