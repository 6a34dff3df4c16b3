#pragma once
// The load-balancing policy interface: a policy chooses one backend for a new connection (or a
// request) from the balancer's view of the fleet. Designed to carry every policy of the seed list:
// weighted round robin (weight), least connections (active_connections), least loaded
// (cpu_utilisation), least response time (response_time_s), least bandwidth (bandwidth_bps),
// hashing (PickRequest::key, on_backends_changed to rebuild rings/tables) and custom metric scores
// (metrics). Values can be stale: the balancer refreshes them at its own report interval.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "models/policy_params.hpp"
#include "sim/random.hpp"

namespace wsfleet::models {

/// The balancer's view of one backend at pick time.
struct BackendState {
  double weight = 1.0;                    ///< configured weight (> 0)
  bool eligible = true;                   ///< up as far as the balancer knows and below any cap
  std::int64_t active_connections = 0;    ///< live connections the balancer has open to it
  double cpu_utilisation = 0.0;           ///< last reported CPU utilisation, 0..1 (may exceed 1 when backlogged)
  double response_time_s = 0.0;          ///< smoothed response time, seconds
  double bandwidth_bps = 0.0;             ///< last reported traffic, bytes per second
  std::vector<double> metrics;            ///< custom metric vector (policy-defined meaning)
  std::uint64_t id = 0;                   ///< stable identity (e.g. the server id) that survives other backends
                                          ///< being added or removed; hashing policies place ring points by it
};

/// What is being routed.
struct PickRequest {
  std::uint64_t key = 0;   ///< stable client identity (e.g. a hashed client IP or user id), for hashing policies
};

/// Result of a pick when no backend is eligible.
inline constexpr int kNoBackend = -1;

/// A load-balancing algorithm. One instance per balancer; it may keep state between picks
/// (round-robin position, smooth-WRR current weights, hash rings).
class BalancingPolicy {
 public:
  virtual ~BalancingPolicy() = default;
  /// The registry name.
  virtual std::string name() const = 0;
  /// Chooses the index of an eligible backend, or kNoBackend if none is eligible.
  /// `rng` is the balancer's own random stream.
  virtual int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) = 0;
  /// Called when backends are added or removed or weights change (before the next pick).
  /// The default does nothing; table-based policies rebuild here.
  virtual void on_backends_changed(std::span<const BackendState> backends) { (void)backends; }
};

/// Every registered balancing policy, in listing order.
const std::vector<PolicyInfo>& balancing_policies();
/// Builds a policy by name; validates `params` (throws ParamError naming the parameter, or with
/// an empty param() and the list of known names when `name` is unknown).
std::unique_ptr<BalancingPolicy> make_balancing_policy(const std::string& name, const Params& params);

}  // namespace wsfleet::models
