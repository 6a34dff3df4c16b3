#pragma once
// What the CloudWatch-driven policies (aws_target_tracking, step_scaling) see of a metric: one
// datapoint per period, the average over the instances that count (in service and past their
// warm-up), as a percent of their capacity (a utilization, e.g. ASGAverageCPUUtilization) or as a
// per-instance average value (e.g. connections per instance).
#include <cstdint>
#include <optional>

#include "models/autoscaling_policy.hpp"
#include "models/policy_params.hpp"

namespace wsfleet::models {

/// The metric's datapoint over the Running replicas started at least `warmup` before `now`, or no
/// value when none counts (CloudWatch: missing data). `percent`: 100 x sum(value) / sum(capacity);
/// otherwise sum(value) / count. `counted` receives the number of replicas averaged.
std::optional<double> instance_metric(const AutoscalingInput& input, bool percent, sim::SimTime warmup,
                                      std::int32_t& counted);

/// Replicas asked for and not yet past their warm-up: Pending ones and Running ones started less
/// than `warmup` before `now`.
std::int32_t warming_replicas(const AutoscalingInput& input, sim::SimTime warmup);

/// The metric target shared by these policies: `target_utilization_pct` unless `target_average_value` > 0.
struct InstanceTarget {
  bool percent = true;
  double value = 50.0;
};
InstanceTarget instance_target_of(const Params& p);

}  // namespace wsfleet::models
