// The built-in backoff policies, registered explicitly in one table (no self-registration, which a
// static library's linker may drop). Parameters are in seconds; the policies work in nanoseconds.
#include <functional>

#include "models/backoff/backoff_entry.hpp"
#include "models/backoff/circuit_breaker_backoff.hpp"
#include "models/backoff/constant_backoff.hpp"
#include "models/backoff/decorrelated_jitter_backoff.hpp"
#include "models/backoff/equal_jitter_backoff.hpp"
#include "models/backoff/exponential_backoff.hpp"
#include "models/backoff/full_jitter_backoff.hpp"
#include "models/backoff/immediate_backoff.hpp"
#include "models/backoff/no_retry_backoff.hpp"
#include "models/backoff/retry_budget_backoff.hpp"
#include "models/backoff_policy.hpp"

namespace wsfleet::models {

namespace {

constexpr double kMaxDelayS = kMaxBackoffDelayS;
constexpr double kMinBaseS = kMinBackoffDelayS;

std::vector<ParamSpec> exponential_specs() {
  return {ParamSpec{"base_s", 1.0, kMinBaseS, kMaxDelayS, false, "delay before the first retry, doubling per retry (s)"},
          ParamSpec{"cap_s", 30.0, kMinBaseS, kMaxDelayS, false, "largest delay, >= base_s (s)"}, max_retries_spec()};
}

// Resolved base/cap in ns, after the cross-parameter check that resolve_params cannot do alone.
struct BaseCap {
  sim::SimTime base_ns;
  sim::SimTime cap_ns;
};

BaseCap base_cap_of(const std::string& policy, const Params& p) {
  require_not_below(policy, p, "cap_s", "base_s");
  return {sim::from_seconds(p.at("base_s")), sim::from_seconds(p.at("cap_s"))};
}

template <typename Policy>
std::unique_ptr<BackoffPolicy> make_exponential_family(const std::string& policy, const Params& p) {
  const BaseCap bc = base_cap_of(policy, p);
  return std::make_unique<Policy>(bc.base_ns, bc.cap_ns, max_retries_of(p));
}

const std::vector<BackoffEntry>& generic_backoff_policies() {
  static const std::vector<BackoffEntry> entries = {
      {{"none", "never retry: the client gives up after its first drop, rejection or failure", {}},
       [](const Params&) { return std::make_unique<NoRetryBackoff>(); }},
      {{"immediate", "retry at once (no delay)", {max_retries_spec()}},
       [](const Params& p) { return std::make_unique<ImmediateBackoff>(max_retries_of(p)); }},
      {{"constant", "the same delay before every retry",
        {ParamSpec{"delay_s", 1.0, 0.0, kMaxDelayS, false, "delay before each retry (s)"}, max_retries_spec()}},
       [](const Params& p) {
         return std::make_unique<ConstantBackoff>(sim::from_seconds(p.at("delay_s")), max_retries_of(p));
       }},
      {{"exponential", "min(cap_s, base_s * 2^n) before retry n (0 = first), no jitter", exponential_specs()},
       [](const Params& p) { return make_exponential_family<ExponentialBackoff>("exponential", p); }},
      {{"full_jitter", "uniform on [0, min(cap_s, base_s * 2^n)) (AWS full jitter)", exponential_specs()},
       [](const Params& p) { return make_exponential_family<FullJitterBackoff>("full_jitter", p); }},
      {{"equal_jitter", "v/2 + uniform on [0, v/2) with v = min(cap_s, base_s * 2^n) (AWS equal jitter)",
        exponential_specs()},
       [](const Params& p) { return make_exponential_family<EqualJitterBackoff>("equal_jitter", p); }},
      {{"decorrelated_jitter", "min(cap_s, uniform on [base_s, 3 * previous delay)) (AWS decorrelated jitter)",
        exponential_specs()},
       [](const Params& p) { return make_exponential_family<DecorrelatedJitterBackoff>("decorrelated_jitter", p); }},
      {{"retry_budget",
        "full jitter, each retry paid from a per-client token bucket (the AWS SDK retry quota, made general)",
        {ParamSpec{"base_s", 1.0, kMinBaseS, kMaxDelayS, false, "delay before the first retry, doubling per retry (s)"},
         ParamSpec{"cap_s", 30.0, kMinBaseS, kMaxDelayS, false, "largest delay, >= base_s (s)"},
         ParamSpec{"budget", 10.0, 0.0, 1e6, false, "tokens in a full bucket (tokens)"},
         ParamSpec{"retry_cost", 1.0, 0.001, 1e6, false, "tokens one retry takes, <= budget (tokens)"},
         ParamSpec{"refill_per_s", 0.1, 0.0, 1e6, false, "tokens the bucket regains per second (tokens/s)"},
         ParamSpec{"success_refund", 0.0, 0.0, 1e6, false, "tokens a successful connection gives back (tokens)"},
         ParamSpec{"when_empty", 0.0, 0.0, 1.0, true, "0: wait until the bucket can pay; 1: give up (as the AWS SDK) (flag)"},
         max_retries_spec()}},
       [](const Params& p) {
         const BaseCap bc = base_cap_of("retry_budget", p);
         require_not_below("retry_budget", p, "budget", "retry_cost");
         return std::make_unique<RetryBudgetBackoff>(bc.base_ns, bc.cap_ns, p.at("budget"), p.at("retry_cost"),
                                                     p.at("refill_per_s"), p.at("success_refund"), p.at("when_empty") != 0.0,
                                                     max_retries_of(p));
       }},
      {{"circuit_breaker",
        "full jitter; after `failures` failed attempts in a row no attempt for open_s, then one trial (Polly's circuit breaker)",
        {ParamSpec{"base_s", 1.0, kMinBaseS, kMaxDelayS, false, "delay before the first retry, doubling per retry (s)"},
         ParamSpec{"cap_s", 30.0, kMinBaseS, kMaxDelayS, false, "largest delay while closed, >= base_s (s)"},
         ParamSpec{"failures", 5.0, 1.0, 1e6, true, "consecutive failed attempts that open the circuit (count)"},
         ParamSpec{"open_s", 30.0, 0.0, kMaxDelayS, false, "how long it stays open before a trial attempt (s)"},
         max_retries_spec()}},
       [](const Params& p) {
         const BaseCap bc = base_cap_of("circuit_breaker", p);
         return std::make_unique<CircuitBreakerBackoff>(bc.base_ns, bc.cap_ns, static_cast<std::uint32_t>(p.at("failures")),
                                                        sim::from_seconds(p.at("open_s")), max_retries_of(p));
       }},
  };
  return entries;
}

// The generic algorithms, then the client-library presets.
const std::vector<BackoffEntry>& builtin_backoff_policies() {
  static const std::vector<BackoffEntry> entries = [] {
    std::vector<BackoffEntry> all = generic_backoff_policies();
    for (const BackoffEntry& entry : client_preset_entries()) all.push_back(entry);
    return all;
  }();
  return entries;
}

}  // namespace

const std::vector<PolicyInfo>& backoff_policies() {
  static const std::vector<PolicyInfo> infos = [] {
    std::vector<PolicyInfo> out;
    for (const BackoffEntry& entry : builtin_backoff_policies()) out.push_back(entry.info);
    return out;
  }();
  return infos;
}

std::unique_ptr<BackoffPolicy> make_backoff_policy(const std::string& name, const Params& params) {
  for (const BackoffEntry& entry : builtin_backoff_policies()) {
    if (entry.info.name == name) return entry.make(resolve_params(name, entry.info.params, params));
  }
  throw unknown_policy_error("backoff", name, backoff_policies());
}

}  // namespace wsfleet::models
