#pragma once
// Autoscaling policies: what a real autoscaler decides at each of its syncs from what it can observe
// of the replicas (servers) it scales. Pure code, no fleet: the fleet's Autoscaler component
// (models/fleet/autoscaler.*), `wsfleet autoscale` and the Python bindings feed the same policies.
// A policy object is stateful (stabilization windows, past scale events, alarm states, cooldowns):
// one object per controller, fed its syncs in time order.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/policy_params.hpp"
#include "sim/time.hpp"

namespace wsfleet::models {

/// The lifecycle phase of one replica as the controller's pod lister sees it.
enum class ReplicaPhase : std::uint8_t {
  Pending,      ///< asked for, not running yet (booting, pulling its image)
  Running,      ///< its container runs (ready or not: see ReplicaView::ready)
  Terminating,  ///< being removed (Kubernetes: a deletion timestamp is set); ignored by the HPA
};

/// One replica at a sync: its phase, readiness, start and the metric samples of it.
struct ReplicaView {
  ReplicaPhase phase = ReplicaPhase::Running;
  bool ready = true;                    ///< its readiness condition (a Running replica that passed its readiness probe)
  sim::SimTime start_time = 0;          ///< when its container started, ns (meaningful when Running)
  sim::SimTime ready_transition = 0;    ///< last change of its readiness condition, ns
  double capacity = 1.0;                ///< its resource request (capacity) in the metric's unit; a utilization
                                        ///< target divides usage by it (e.g. 2 cores)
  std::vector<std::optional<double>> metrics;  ///< one value per metric of the input (the metric's unit, averaged over
                                               ///< the metric window ending at `now`); no value = the sample is missing
};

/// What a controller observes at one sync.
struct AutoscalingInput {
  sim::SimTime now = 0;                        ///< the time of the sync, ns
  std::int32_t replicas = 0;                   ///< the replicas asked for so far (spec.replicas: booting ones included)
  std::vector<ReplicaView> pods;               ///< every replica that exists (any phase)
  std::vector<bool> metric_is_cpu;             ///< per metric: CPU (the HPA ignores CPU samples of starting replicas)
  sim::SimTime metric_window = 15 * sim::kNanosPerSecond;  ///< the window each metric sample averages over, ns
  /// Demand seen outside the replicas since the previous sync (in a fleet: connection attempts), for a
  /// controller that must wake a workload at zero replicas (KEDA's activation); empty: none.
  std::optional<double> activation;
};

/// How a sync ended, for the summary's accounting (every sync is exactly one of these).
enum class ScaleOutcome : std::uint8_t {
  NoChange,   ///< desired == replicas
  ScaleUp,    ///< desired > replicas
  ScaleDown,  ///< desired < replicas
};

/// What a controller decides at one sync.
struct AutoscalingDecision {
  std::int32_t desired = 0;           ///< the replica count it sets
  std::int32_t recommendation = 0;    ///< its proposal before stabilization, rate limits and min/max
  double usage_ratio = 0.0;           ///< metric / target of the metric that gave the proposal (NaN when none)
  double metric_value = 0.0;          ///< that metric's aggregate as the controller computed it (its unit; a
                                      ///< utilization target: a fraction of capacity)
  bool limited = false;               ///< a rate limit, a cooldown, a disabled direction or min/max changed it
  bool had_metrics = true;            ///< false when it could not compute a proposal (no metrics: it keeps replicas)
  ScaleOutcome outcome = ScaleOutcome::NoChange;
};

/// An autoscaling algorithm with its state.
class AutoscalingPolicy {
 public:
  virtual ~AutoscalingPolicy() = default;
  virtual std::string name() const = 0;
  /// How often it syncs, ns (Kubernetes: --horizontal-pod-autoscaler-sync-period).
  virtual sim::SimTime sync_period() const = 0;
  /// Its bounds on the replica count.
  virtual std::int32_t min_replicas() const = 0;
  virtual std::int32_t max_replicas() const = 0;
  /// New bounds from now on (a scheduled action: AWS PutScheduledUpdateGroupAction's MinSize/MaxSize, an
  /// edit of the HPA's minReplicas/maxReplicas). Needs 0 <= min <= max and max >= 1 (std::invalid_argument).
  virtual void set_bounds(std::int32_t min, std::int32_t max) = 0;
  /// One sync: the replica count to set. Throws std::invalid_argument when `input` is inconsistent
  /// (a pod without a value slot per metric, times going backwards).
  virtual AutoscalingDecision decide(const AutoscalingInput& input) = 0;
};

/// Every registered autoscaling policy, in listing order.
const std::vector<PolicyInfo>& autoscaling_policies();
/// Builds a fresh policy by name; validates `params` (ParamError naming the parameter).
std::unique_ptr<AutoscalingPolicy> make_autoscaling_policy(const std::string& name, const Params& params);

/// Checks bounds for set_bounds: 0 <= min <= max, max >= 1 (std::invalid_argument otherwise).
void check_bounds(std::int32_t min, std::int32_t max);
/// The outcome of a decision that sets `desired` while `replicas` are asked for.
inline ScaleOutcome outcome_of(std::int32_t replicas, std::int32_t desired) {
  return desired > replicas ? ScaleOutcome::ScaleUp : desired < replicas ? ScaleOutcome::ScaleDown : ScaleOutcome::NoChange;
}

}  // namespace wsfleet::models
