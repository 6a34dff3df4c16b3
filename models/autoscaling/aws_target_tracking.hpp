#pragma once
// AWS target tracking (EC2 Auto Scaling / Application Auto Scaling), from the AWS documentation
// ("How target tracking scaling for Application Auto Scaling works", "Target tracking scaling policies
// for Amazon EC2 Auto Scaling", "Set the default instance warmup"): the policy creates two CloudWatch
// alarms on the 1-minute metric, a high one (above the target for 3 of 3 datapoints) and a low one
// (below 90 % of the target for 15 of 15 datapoints, the threshold the alarms it creates show); while
// an alarm is in ALARM the policy runs every period and sets the capacity proportionally,
// ceil(counted instances x metric / target). Instances warming up do not count in the metric but
// count in the capacity (a scale-out during warm-up adds only what is still missing) and block a
// scale-in; a scale-in starts a cooldown during which no other scale-in starts (a scale-out ends
// it); scale-in can be disabled.
#include <cstdint>
#include <deque>
#include <string>

#include "models/autoscaling_policy.hpp"
#include "models/autoscaling/instance_metric.hpp"

namespace wsfleet::models {

/// Its configuration (defaults: EC2 Auto Scaling with a 300 s default instance warmup).
struct AwsTargetTrackingConfig {
  InstanceTarget target{true, 50.0};
  sim::SimTime period = 60 * sim::kNanosPerSecond;   ///< the metric's period and the alarms' evaluation
  std::int32_t datapoints_out = 3;                    ///< high alarm: this many datapoints above the target
  std::int32_t datapoints_in = 15;                    ///< low alarm: this many below scale_in_ratio x target
  double scale_in_ratio = 0.9;
  sim::SimTime warmup = 300 * sim::kNanosPerSecond;
  sim::SimTime scale_in_cooldown = 300 * sim::kNanosPerSecond;
  bool disable_scale_in = false;
  std::int32_t min_replicas = 1;
  std::int32_t max_replicas = 100;
};

class AwsTargetTracking : public AutoscalingPolicy {
 public:
  explicit AwsTargetTracking(AwsTargetTrackingConfig config);
  std::string name() const override { return "aws_target_tracking"; }
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
  AwsTargetTrackingConfig config_;
  std::deque<double> datapoints_;   ///< the latest datapoints, newest last
  sim::SimTime last_scale_in_ = 0;
  bool scaled_in_ = false;
};

}  // namespace wsfleet::models
