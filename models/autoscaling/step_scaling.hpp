#pragma once
// EC2 Auto Scaling step scaling, from the AWS documentation ("Step and simple scaling policies for
// Amazon EC2 Auto Scaling"): a high and a low CloudWatch alarm on the 1-minute metric (breached for
// `datapoints` consecutive datapoints); while the high alarm is in ALARM, each evaluation applies the
// step adjustment (ChangeInCapacity) for the breach's size: [0, step) above the threshold adds
// step1_add, [step, 2 step) step2_add, beyond step3_add; the low alarm removes `remove` instances.
// Instances warming up do not count in the metric; they count against a new step adjustment (a
// breach that asks +3 while 2 instances warm adds 1), and no scale-in starts while any warms.
#include <cstdint>
#include <deque>
#include <string>

#include "models/autoscaling_policy.hpp"
#include "models/autoscaling/instance_metric.hpp"

namespace wsfleet::models {

struct StepScalingConfig {
  bool percent = true;           ///< thresholds in percent of capacity (else per-instance values)
  double high = 70.0;            ///< the high alarm's threshold
  double low = 30.0;             ///< the low alarm's threshold
  double step = 10.0;            ///< the width of a step above `high`
  std::int32_t add[3] = {1, 2, 4};
  std::int32_t remove = 1;
  sim::SimTime period = 60 * sim::kNanosPerSecond;
  std::int32_t datapoints = 1;
  sim::SimTime warmup = 300 * sim::kNanosPerSecond;
  std::int32_t min_replicas = 1;
  std::int32_t max_replicas = 100;
};

class StepScaling : public AutoscalingPolicy {
 public:
  explicit StepScaling(StepScalingConfig config);
  std::string name() const override { return "step_scaling"; }
  sim::SimTime sync_period() const override { return config_.period; }
  std::int32_t min_replicas() const override { return config_.min_replicas; }
  std::int32_t max_replicas() const override { return config_.max_replicas; }
  void set_bounds(std::int32_t min, std::int32_t max) override {
    check_bounds(min, max);
    config_.min_replicas = min;
    config_.max_replicas = max;
  }
  AutoscalingDecision decide(const AutoscalingInput& input) override;

 private:
  StepScalingConfig config_;
  std::deque<double> datapoints_;
};

}  // namespace wsfleet::models
