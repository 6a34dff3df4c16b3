#pragma once
// The Kubernetes HorizontalPodAutoscaler controller (autoscaling/v2), reproduced from
// kubernetes/kubernetes pkg/controller/podautoscaler:
// - replica_calculator.go: groupPods (ready / unready / missing / ignored pods, the CPU initialization
//   period and the initial readiness delay), GetResourceReplicas and calcPlainMetricReplicas (usage
//   ratio, tolerance, ceil(ratio x ready pods), missing pods at 100 % / 0 % and unready pods at 0 % on a
//   scale-up, the direction checks), metrics/utilization.go (integer percent of the summed requests,
//   integer milli-value averages);
// - horizontal.go: reconcileAutoscaler (min/max before any metric), computeReplicasForMetrics (the
//   largest proposal of several metrics; no scale-down while a metric is invalid),
//   stabilizeRecommendationWithBehaviors (the largest recommendation of the scale-down window, the
//   smallest of the scale-up window), convertDesiredReplicasWithBehaviorRate with
//   calculateScaleUpLimitWithScalingRules / calculateScaleDownLimitWithBehaviors and
//   getReplicasChangePerPeriod (Pods / Percent policies per period, selectPolicy Max / Min / Disabled),
//   storeScaleEvent;
// - pkg/apis/autoscaling/v2/defaults.go: the default behavior (up: 4 pods or 100 % per 15 s, whichever
//   is more, no stabilization; down: 100 % per 15 s, 300 s stabilization).
// Controller flags and their defaults: --horizontal-pod-autoscaler-sync-period 15 s, -tolerance 0.1,
// -cpu-initialization-period 5 min, -initial-readiness-delay 30 s, -downscale-stabilization 5 min.
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "models/autoscaling_policy.hpp"

namespace wsfleet::models {

/// One HPAScalingPolicy: at most `value` pods or percent of change per `period`.
struct HpaRatePolicy {
  enum class Type : std::uint8_t { Pods, Percent };
  Type type = Type::Pods;
  std::int32_t value = 0;             ///< pods, or percent of the replicas at the period's start
  sim::SimTime period = 0;            ///< periodSeconds, ns
};

/// HPAScalingRules.selectPolicy.
enum class HpaSelectPolicy : std::uint8_t { Max, Min, Disabled };

/// HPAScalingRules: one direction's stabilization window, policies and how they combine.
struct HpaScalingRules {
  sim::SimTime stabilization_window = 0;   ///< stabilizationWindowSeconds, ns
  HpaSelectPolicy select = HpaSelectPolicy::Max;
  std::vector<HpaRatePolicy> policies;
};

/// One metric's target: a Utilization (percent of the replicas' requests, an integer as in the API)
/// or an AverageValue (per replica, in the metric's unit).
struct HpaMetricTarget {
  enum class Kind : std::uint8_t { Utilization, AverageValue };
  Kind kind = Kind::Utilization;
  double value = 80.0;   ///< percent (Utilization) or the metric's unit (AverageValue)
};

/// Everything the controller and its HPA object configure.
struct HpaConfig {
  sim::SimTime sync_period = 15 * sim::kNanosPerSecond;
  double tolerance = 0.1;
  sim::SimTime cpu_initialization_period = 300 * sim::kNanosPerSecond;
  sim::SimTime initial_readiness_delay = 30 * sim::kNanosPerSecond;
  std::int32_t min_replicas = 1;
  std::int32_t max_replicas = 100;
  HpaScalingRules scale_up{0, HpaSelectPolicy::Max,
                           {{HpaRatePolicy::Type::Pods, 4, 15 * sim::kNanosPerSecond},
                            {HpaRatePolicy::Type::Percent, 100, 15 * sim::kNanosPerSecond}}};
  HpaScalingRules scale_down{300 * sim::kNanosPerSecond, HpaSelectPolicy::Max,
                             {{HpaRatePolicy::Type::Percent, 100, 15 * sim::kNanosPerSecond}}};
  std::vector<HpaMetricTarget> metrics{HpaMetricTarget{}};
  /// An External metric with an AverageValue target (GetExternalPerPodMetricReplicas): the demand seen
  /// outside the replicas (AutoscalingInput::activation, per sync) as a rate per second, divided by
  /// this target per replica; 0 = no External metric. With minReplicas 0 (the HPAScaleToZero gate)
  /// it is what scales the target up from zero replicas, where no pod reports a per-pod metric.
  double external_target_per_s = 0.0;
};

/// One metric's proposal (GetResourceReplicas / calcPlainMetricReplicas), exposed for tests.
struct HpaProposal {
  bool valid = false;         ///< false: "did not receive metrics for any ready pods"
  std::int32_t replicas = 0;
  double usage_ratio = 0.0;   ///< the first usage ratio (before missing / unready pods are filled in)
  double metric_value = 0.0;  ///< utilization (fraction) or the average value (metric unit) of the ready pods
};

/// The HPA controller for one HorizontalPodAutoscaler object.
class KubernetesHpa : public AutoscalingPolicy {
 public:
  /// Throws std::invalid_argument on an inconsistent configuration.
  explicit KubernetesHpa(HpaConfig config);
  std::string name() const override { return "kubernetes_hpa"; }
  sim::SimTime sync_period() const override { return config_.sync_period; }
  std::int32_t min_replicas() const override { return config_.min_replicas; }
  std::int32_t max_replicas() const override { return config_.max_replicas; }
  void set_bounds(std::int32_t min, std::int32_t max) override {
    check_bounds(min, max);
    config_.min_replicas = min;
    config_.max_replicas = max;
  }
  AutoscalingDecision decide(const AutoscalingInput& input) override;

  /// The replica proposal of metric `index` alone for `input` (the replica calculator).
  HpaProposal propose(const AutoscalingInput& input, std::size_t index) const;
  /// The External metric's proposal (invalid when there is none or the input has no demand value).
  HpaProposal propose_external(const AutoscalingInput& input) const;
  const HpaConfig& config() const { return config_; }

 protected:
  /// Stabilization, then rate limits and min/max (normalizeDesiredReplicasWithBehaviors); records the
  /// recommendation. Sets decision.limited when a limit or a bound changed the stabilized count.
  std::int32_t normalize(sim::SimTime now, std::int32_t current, std::int32_t proposal, bool& limited);
  /// storeScaleEvent: remembers a change of the replica count for the rate limits.
  void store_scale_event(sim::SimTime now, std::int32_t previous, std::int32_t desired);
  /// Checks the input's shape and time order.
  void check_input(const AutoscalingInput& input, std::size_t metrics);

 private:
  struct Timestamped {
    std::int32_t value;
    sim::SimTime at;
  };
  std::int32_t scale_up_limit(sim::SimTime now, std::int32_t current) const;
  std::int32_t scale_down_limit(sim::SimTime now, std::int32_t current) const;
  std::int32_t change_in_period(sim::SimTime now, sim::SimTime period, const std::deque<Timestamped>& events) const;

  HpaConfig config_;
  std::deque<Timestamped> recommendations_;
  bool recorded_initial_ = false;  ///< recordInitialRecommendation has seeded the windows
  std::deque<Timestamped> up_events_;
  std::deque<Timestamped> down_events_;
  sim::SimTime last_sync_ = -1;
};

/// The HPA's configuration from registry parameters (`wsfleet list`: kubernetes_hpa).
HpaConfig hpa_config_from_params(const std::string& policy, const Params& p);
/// The registry parameters that configure the HPA part (shared with keda).
std::vector<ParamSpec> hpa_behavior_specs();

}  // namespace wsfleet::models
