#pragma once
// The load-balancing policy interface: a policy chooses one backend for a new connection (or a
// request) from the balancer's view of the fleet. Designed to carry every policy of the seed list:
// weighted round robin (weight), least connections (active_connections), least loaded
// (cpu_utilisation), least response time (response_time_s), least bandwidth (bandwidth_bps),
// hashing (PickRequest::key, on_backends_changed to rebuild rings/tables) and custom metric scores
// (metrics). Values can be stale: the balancer refreshes them at its own report interval.
//
// The catalogue of algorithms and real-software presets, and what each reproduces: docs/balancing.md.
#include <cstddef>
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
  std::vector<double> metrics;            ///< extra custom metrics, appended to the load vector (see below)
  std::uint64_t id = 0;                   ///< stable identity (e.g. the server id) that survives other backends
                                          ///< being added or removed; hashing policies place ring points by it.
                                          ///< Must differ between backends for the hashing policies.
  // Added for the real-software presets (defaults keep older callers unchanged):
  std::int64_t max_connections = 0;       ///< per-backend connection cap (HAProxy maxconn, NGINX max_conns); 0 = none
  std::int64_t queued = 0;                ///< requests waiting for this backend at the balancer (HAProxy queue)
  std::int64_t inactive_connections = 0;  ///< connections in TIME_WAIT/FIN states (IPVS InActConn)
  double memory_utilisation = 0.0;        ///< last reported memory utilisation, 0..1
};

/// True when the backend has a connection cap and has reached it (or has a queue), as HAProxy
/// judges saturation: maxconn set and (queue non-empty or served >= maxconn).
inline bool saturated(const BackendState& b) {
  return b.max_connections > 0 && (b.queued > 0 || b.active_connections >= b.max_connections);
}

/// Layout of the load vector that `custom_load` scores (models/balancing/load_vector.hpp builds it):
/// index 0 cpu_utilisation, 1 memory_utilisation, 2 active_connections, 3 response_time_s,
/// 4 bandwidth_bps, 5 queued, then kLoadVectorFixed + i = metrics[i].
enum LoadVectorIndex : std::size_t {
  kLoadCpu = 0,
  kLoadMemory = 1,
  kLoadConnections = 2,
  kLoadResponseTime = 3,
  kLoadBandwidth = 4,
  kLoadQueued = 5,
  kLoadVectorFixed = 6,  ///< number of fixed entries; metrics[i] follows at kLoadVectorFixed + i
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
  /// The default does nothing; table-based policies rebuild here. Eligibility changes are not
  /// signalled here (on_backend_changed tells a policy that tracks its balancer's backends):
  /// policies skip ineligible backends at pick time (hash policies walk on to the next
  /// candidate, or rebuild over the eligible set, as the software they mirror does). A call with
  /// unchanged weights and ids is harmless: stateful policies keep their state.
  virtual void on_backends_changed(std::span<const BackendState> backends) { (void)backends; }
  /// Called by the balancer when a connection attempt to `backend` (an index into the last span
  /// given to pick) failed. The default does nothing; NGINX's round robin lowers the peer's
  /// effective weight here (`effective_weight -= weight / max_fails`). Marking the backend down
  /// (fails/fail_timeout) is the balancer's business, through BackendState::eligible.
  virtual void on_failure(std::size_t backend) { (void)backend; }
  /// Called once by the LoadBalancer that owns this policy, with its backends: from then on it calls
  /// on_backend_changed after every change of one backend's connections or eligibility (weights go
  /// through on_backends_changed), so that a policy may keep an index of them (least_connections
  /// does). A pick given any other span must not use it. The defaults ignore both.
  virtual void track(std::span<const BackendState> backends) { (void)backends; }
  virtual void on_backend_changed(std::span<const BackendState> backends, std::size_t backend) {
    (void)backends;
    (void)backend;
  }
};

/// Every registered balancing policy, in listing order: the generic algorithms, then the presets
/// that reproduce real software (NGINX, HAProxy, Envoy, IPVS, AWS ALB). Any of them is a valid
/// policy name everywhere (TOML, CLI, Python).
const std::vector<PolicyInfo>& balancing_policies();
/// The presets alone (a subset of balancing_policies(), same order).
const std::vector<PolicyInfo>& balancing_presets();
/// True when `name` is a registered preset of real software.
bool is_balancing_preset(const std::string& name);
/// Builds a policy by name; validates `params` (throws ParamError naming the parameter, or with
/// an empty param() and the list of known names when `name` is unknown).
std::unique_ptr<BalancingPolicy> make_balancing_policy(const std::string& name, const Params& params);

}  // namespace wsfleet::models
