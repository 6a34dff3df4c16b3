// The built-in autoscaling policies, registered explicitly in one table (no self-registration, which a
// static library's linker may drop). Parameters are in seconds, counts and the metric's unit.
#include <functional>
#include <stdexcept>
#include <string>

#include "models/autoscaling/aws_target_tracking.hpp"
#include "models/autoscaling/keda.hpp"
#include "models/autoscaling/kubernetes_hpa.hpp"
#include "models/autoscaling/step_scaling.hpp"
#include "models/autoscaling_policy.hpp"

namespace wsfleet::models {

namespace {

struct AutoscalingEntry {
  PolicyInfo info;
  std::function<std::unique_ptr<AutoscalingPolicy>(const Params&)> make;
};

std::vector<ParamSpec> target_specs(double default_pct) {
  return {ParamSpec{"target_utilization_pct", default_pct, 1, 100000, true,
                    "target: metric / capacity per replica, in percent (used unless target_average_value > 0) (%)"},
          ParamSpec{"target_average_value", 0, 0, 1e12, false,
                    "target: average metric per replica in the metric's unit, 0 = use target_utilization_pct"}};
}

std::vector<ParamSpec> operator+(std::vector<ParamSpec> a, const std::vector<ParamSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

ParamSpec min_spec(double def) { return {"min_replicas", def, 0, 100000, true, "fewest replicas (count)"}; }
ParamSpec max_spec() { return {"max_replicas", 100, 1, 100000, true, "most replicas (count)"}; }

void require_min_max(const std::string& policy, const Params& p) {
  if (p.at("min_replicas") > p.at("max_replicas")) {
    throw ParamError("max_replicas", policy + ".max_replicas must be >= min_replicas (got max_replicas " +
                                         format_number(p.at("max_replicas")) + ", min_replicas " +
                                         format_number(p.at("min_replicas")) + ")");
  }
}

std::vector<ParamSpec> hpa_specs() {
  return std::vector<ParamSpec>{
             ParamSpec{"sync_period_s", 15, 1, 3600, false, "--horizontal-pod-autoscaler-sync-period (s)"},
             ParamSpec{"cpu_initialization_period_s", 300, 0, 86400, false,
                       "--horizontal-pod-autoscaler-cpu-initialization-period: CPU samples of younger pods are "
                       "used only when ready for a full metric window (s)"},
             ParamSpec{"initial_readiness_delay_s", 30, 0, 86400, false,
                       "--horizontal-pod-autoscaler-initial-readiness-delay: an unready pod that turned unready "
                       "within this of its start counts as never ready (s)"},
             ParamSpec{"scale_to_zero", 0, 0, 1, true,
                       "1 = the alpha HPAScaleToZero feature gate is on: a per-site min_replicas of 0 is allowed with "
                       "an External metric (external_target_per_s)"},
             ParamSpec{"external_target_per_s", 0, 0, 1e9, false,
                       "an External metric with an AverageValue target: connection attempts per second of the "
                       "clients whose nearest site it is (the fleet's, without sites) per replica; 0 = none"}} +
         target_specs(80) + hpa_behavior_specs();
}

// The HPA KEDA creates: its behavior and tolerance; maxReplicaCount is max_replicas, and its
// minReplicas follows min_replica_count.
std::vector<ParamSpec> keda_hpa_specs() {
  std::vector<ParamSpec> out;
  for (const auto& s : hpa_behavior_specs()) {
    if (s.name != "min_replicas") out.push_back(s);
  }
  return out;
}

const std::vector<AutoscalingEntry>& entries() {
  static const std::vector<AutoscalingEntry> all = {
      {{"kubernetes_hpa",
        "Kubernetes HorizontalPodAutoscaler v2 (pkg/controller/podautoscaler): ceil(ratio x ready pods) outside the "
        "tolerance, readiness rules, 300 s scale-down stabilization, Pods/Percent rate policies",
        hpa_specs()},
       [](const Params& p) {
         HpaConfig c = hpa_config_from_params("kubernetes_hpa", p);
         c.sync_period = sim::from_seconds(p.at("sync_period_s"));
         c.cpu_initialization_period = sim::from_seconds(p.at("cpu_initialization_period_s"));
         c.initial_readiness_delay = sim::from_seconds(p.at("initial_readiness_delay_s"));
         const InstanceTarget t = instance_target_of(p);
         c.metrics = {HpaMetricTarget{t.percent ? HpaMetricTarget::Kind::Utilization : HpaMetricTarget::Kind::AverageValue,
                                      t.value}};
         c.external_target_per_s = p.at("external_target_per_s");
         return std::make_unique<KubernetesHpa>(c);
       }},
      {{"aws_target_tracking",
        "AWS target tracking: 1-minute datapoints, scale out after 3 above the target, in after 15 below 90 % of "
        "it, proportional capacity, instance warm-up, scale-in cooldown",
        target_specs(50) +
            std::vector<ParamSpec>{
                ParamSpec{"period_s", 60, 1, 3600, false, "the metric's period and the alarms' evaluation (s)"},
                ParamSpec{"datapoints_out", 3, 1, 100, true, "high alarm: consecutive datapoints above the target"},
                ParamSpec{"datapoints_in", 15, 1, 100, true, "low alarm: consecutive datapoints below scale_in_ratio x target"},
                ParamSpec{"scale_in_ratio", 0.9, 0.01, 1, false, "the low alarm's threshold as a share of the target"},
                ParamSpec{"warmup_s", 300, 0, 86400, false, "instance warm-up (s)"},
                ParamSpec{"scale_in_cooldown_s", 300, 0, 86400, false, "no scale-in within this of the last (s)"},
                ParamSpec{"disable_scale_in", 0, 0, 1, true, "1 = the policy never removes capacity"},
                min_spec(1), max_spec()}},
       [](const Params& p) {
         require_min_max("aws_target_tracking", p);
         AwsTargetTrackingConfig c;
         c.target = instance_target_of(p);
         c.period = sim::from_seconds(p.at("period_s"));
         c.datapoints_out = static_cast<std::int32_t>(p.at("datapoints_out"));
         c.datapoints_in = static_cast<std::int32_t>(p.at("datapoints_in"));
         c.scale_in_ratio = p.at("scale_in_ratio");
         c.warmup = sim::from_seconds(p.at("warmup_s"));
         c.scale_in_cooldown = sim::from_seconds(p.at("scale_in_cooldown_s"));
         c.disable_scale_in = p.at("disable_scale_in") != 0;
         c.min_replicas = static_cast<std::int32_t>(p.at("min_replicas"));
         c.max_replicas = static_cast<std::int32_t>(p.at("max_replicas"));
         return std::make_unique<AwsTargetTracking>(c);
       }},
      {{"keda",
        "KEDA ScaledObject: polls every 30 s, activates from zero, back to zero after a 300 s cooldown; its HPA "
        "scales on the total metric / threshold per replica",
        std::vector<ParamSpec>{
            ParamSpec{"threshold", 100, 1e-3, 1e12, false, "target value per replica (the metric's unit; the total / threshold)"},
            ParamSpec{"activation_threshold", 0, 0, 1e12, false, "active when the total metric is above it"},
            ParamSpec{"polling_interval_s", 30, 1, 3600, false, "pollingInterval (s)"},
            ParamSpec{"cooldown_period_s", 300, 0, 86400, false, "cooldownPeriod before scaling to zero (s)"},
            ParamSpec{"min_replica_count", 0, 0, 100000, true, "minReplicaCount (0 allows scaling to zero)"},
            ParamSpec{"sync_period_s", 15, 1, 3600, false, "the HPA controller's sync period (s)"}} +
            keda_hpa_specs()},
       [](const Params& given) {
         Params p = given;
         p["min_replicas"] = 1;  // the HPA's minReplicas is max(min_replica_count, 1) (keda.cpp)
         KedaConfig c;
         c.hpa = hpa_config_from_params("keda", p);
         c.hpa.sync_period = sim::from_seconds(p.at("sync_period_s"));
         c.threshold = p.at("threshold");
         c.activation_threshold = p.at("activation_threshold");
         c.polling_interval = sim::from_seconds(p.at("polling_interval_s"));
         c.cooldown_period = sim::from_seconds(p.at("cooldown_period_s"));
         c.min_replica_count = static_cast<std::int32_t>(p.at("min_replica_count"));
         if (c.min_replica_count > c.hpa.max_replicas) {
           throw ParamError("min_replica_count", "keda.min_replica_count must be <= max_replicas (got " +
                                                     format_number(p.at("min_replica_count")) + ", max_replicas " +
                                                     format_number(p.at("max_replicas")) + ")");
         }
         return std::make_unique<Keda>(c);
       }},
      {{"step_scaling",
        "EC2 Auto Scaling step scaling: high/low alarms on 1-minute datapoints, step adjustments by breach size, "
        "instance warm-up",
        std::vector<ParamSpec>{
            ParamSpec{"high_utilization_pct", 70, 1, 100000, false, "high alarm threshold, % of capacity"},
            ParamSpec{"low_utilization_pct", 30, 0, 100000, false, "low alarm threshold, % of capacity"},
            ParamSpec{"high_average_value", 0, 0, 1e12, false,
                      "high alarm threshold as a per-instance value (metric unit); > 0 switches every threshold to values"},
            ParamSpec{"low_average_value", 0, 0, 1e12, false, "low alarm threshold as a per-instance value (metric unit)"},
            ParamSpec{"step_width", 10, 1e-9, 1e12, false, "width of each step above the high threshold (threshold unit)"},
            ParamSpec{"step1_add", 1, 0, 100000, true, "instances added for a breach below one step width"},
            ParamSpec{"step2_add", 2, 0, 100000, true, "instances added for a breach of one to two step widths"},
            ParamSpec{"step3_add", 4, 0, 100000, true, "instances added beyond two step widths"},
            ParamSpec{"remove", 1, 0, 100000, true, "instances removed while the low alarm holds"},
            ParamSpec{"period_s", 60, 1, 3600, false, "the metric's period (s)"},
            ParamSpec{"datapoints", 1, 1, 100, true, "consecutive datapoints beyond a threshold to alarm"},
            ParamSpec{"warmup_s", 300, 0, 86400, false, "instance warm-up (s)"},
            min_spec(1), max_spec()}},
       [](const Params& p) {
         require_min_max("step_scaling", p);
         StepScalingConfig c;
         c.percent = !(p.at("high_average_value") > 0);
         c.high = c.percent ? p.at("high_utilization_pct") : p.at("high_average_value");
         c.low = c.percent ? p.at("low_utilization_pct") : p.at("low_average_value");
         if (!(c.low < c.high)) {
           throw ParamError(c.percent ? "low_utilization_pct" : "low_average_value",
                            "step_scaling: the low threshold must be below the high one (got low " + format_number(c.low) +
                                ", high " + format_number(c.high) + ")");
         }
         c.step = p.at("step_width");
         c.add[0] = static_cast<std::int32_t>(p.at("step1_add"));
         c.add[1] = static_cast<std::int32_t>(p.at("step2_add"));
         c.add[2] = static_cast<std::int32_t>(p.at("step3_add"));
         c.remove = static_cast<std::int32_t>(p.at("remove"));
         c.period = sim::from_seconds(p.at("period_s"));
         c.datapoints = static_cast<std::int32_t>(p.at("datapoints"));
         c.warmup = sim::from_seconds(p.at("warmup_s"));
         c.min_replicas = static_cast<std::int32_t>(p.at("min_replicas"));
         c.max_replicas = static_cast<std::int32_t>(p.at("max_replicas"));
         return std::make_unique<StepScaling>(c);
       }},
  };
  return all;
}

}  // namespace

void check_bounds(std::int32_t min, std::int32_t max) {
  if (min < 0 || max < 1 || min > max) {
    throw std::invalid_argument("autoscaling bounds need 0 <= min <= max and max >= 1 (got min " + std::to_string(min) +
                                ", max " + std::to_string(max) + ")");
  }
}

const std::vector<PolicyInfo>& autoscaling_policies() {
  static const std::vector<PolicyInfo> infos = [] {
    std::vector<PolicyInfo> out;
    for (const auto& e : entries()) out.push_back(e.info);
    return out;
  }();
  return infos;
}

std::unique_ptr<AutoscalingPolicy> make_autoscaling_policy(const std::string& name, const Params& params) {
  for (const auto& e : entries()) {
    if (e.info.name == name) return e.make(resolve_params(name, e.info.params, params));
  }
  throw unknown_policy_error("autoscaling", name, autoscaling_policies());
}

}  // namespace wsfleet::models
