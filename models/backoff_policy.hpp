#pragma once
// Reconnect/backoff policies: how long a client waits before retry number n. A policy object is
// stateless and shared by all clients; the per-client memory is a BackoffState.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/policy_params.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"

namespace wsfleet::models {

/// Per-client retry memory (kept small: one per client).
struct BackoffState {
  std::uint32_t attempt = 0;      ///< retries already scheduled since the last success (0 = next is the first retry)
  sim::SimTime last_delay = 0;    ///< the previous delay, ns (decorrelated jitter uses it)
};

/// A reconnect-delay algorithm.
class BackoffPolicy {
 public:
  virtual ~BackoffPolicy() = default;
  virtual std::string name() const = 0;
  /// The delay before the next retry, in ns; advances `state` (attempt + 1, last_delay).
  virtual sim::SimTime next_delay(BackoffState& state, sim::Rng& rng) const = 0;
  /// Retries allowed after a failure before the client gives up; 0 = unlimited.
  virtual std::uint32_t max_retries() const = 0;
  /// True when a client in `state` must not retry again (its retries are exhausted).
  virtual bool gives_up(const BackoffState& state) const {
    return max_retries() != 0 && state.attempt >= max_retries();
  }
};

/// Every registered backoff policy, in listing order.
const std::vector<PolicyInfo>& backoff_policies();
/// Builds a policy by name; validates `params` like make_balancing_policy.
std::unique_ptr<BackoffPolicy> make_backoff_policy(const std::string& name, const Params& params);

/// `samples` delays (ns) for retry number `attempt` (0 = first retry), each from a fresh client
/// state advanced through the earlier retries with the same rng (so history-dependent policies such
/// as decorrelated jitter are drawn correctly).
std::vector<sim::SimTime> sample_backoff_delays(const BackoffPolicy& policy, std::uint32_t attempt,
                                                std::size_t samples, sim::Rng& rng);

}  // namespace wsfleet::models
