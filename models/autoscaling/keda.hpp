#pragma once
// KEDA (kedacore/keda: pkg/scaling/executor/scale_scaledobjects.go, the HPA it builds in
// controllers/keda/hpa.go, and the ScaledObject docs): every pollingInterval (30 s) the operator asks
// its scaler whether the workload is active (metric > activationThreshold); it scales an idle
// workload from zero to max(minReplicaCount, 1) when it becomes active, and to zero when no scaler
// was active for cooldownPeriod (300 s) and minReplicaCount is 0. Between 1 and maxReplicaCount the
// HPA it creates does the scaling (sync 15 s): an External metric with an AverageValue target
// (pkg/controller/podautoscaler GetExternalPerPodMetricReplicas: ratio = total / (target x
// replicas); outside the tolerance, ceil(total / target)), minReplicas max(minReplicaCount, 1), then
// the HPA's stabilization and behavior. The metric is the fleet's total of the scaled metric.
// Assumption: the operator starts with the workload counted as active at its first poll. At zero
// replicas the scaler's metric is the demand seen outside the replicas (AutoscalingInput::activation,
// given at every sync), summed since the previous poll: a poll reads what happened since the one
// before, as a trigger's query over its polling interval does.
#include <algorithm>
#include <cstdint>
#include <string>

#include "models/autoscaling/kubernetes_hpa.hpp"

namespace wsfleet::models {

struct KedaConfig {
  HpaConfig hpa;                                          ///< the HPA's behavior, tolerance, max; min is derived
  double threshold = 100.0;                               ///< target value per replica (the metric's unit)
  double activation_threshold = 0.0;                      ///< active when the total is above it
  sim::SimTime polling_interval = 30 * sim::kNanosPerSecond;
  sim::SimTime cooldown_period = 300 * sim::kNanosPerSecond;
  std::int32_t min_replica_count = 0;
};

class Keda : public KubernetesHpa {
 public:
  explicit Keda(KedaConfig config);
  std::string name() const override { return "keda"; }
  std::int32_t min_replicas() const override { return keda_.min_replica_count; }
  /// minReplicaCount and maxReplicaCount; the HPA it created follows (its minReplicas is max(min, 1)).
  void set_bounds(std::int32_t min, std::int32_t max) override {
    KubernetesHpa::set_bounds(std::max<std::int32_t>(min, 1), max);
    keda_.min_replica_count = min;
  }
  AutoscalingDecision decide(const AutoscalingInput& input) override;

 private:
  static HpaConfig hpa_of(KedaConfig config);
  KedaConfig keda_;
  sim::SimTime next_poll_ = 0;
  sim::SimTime last_active_ = 0;
  double activation_since_poll_ = 0.0;  ///< the demand seen outside (AutoscalingInput::activation) since the previous poll
  bool activation_given_ = false;
  bool started_ = false;
};

}  // namespace wsfleet::models
