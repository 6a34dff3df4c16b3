// AWS target tracking: see aws_target_tracking.hpp for what is reproduced and from where.
#include "models/autoscaling/aws_target_tracking.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace wsfleet::models {

AwsTargetTracking::AwsTargetTracking(AwsTargetTrackingConfig config) : config_(config) {
  if (config_.min_replicas > config_.max_replicas) throw std::invalid_argument("aws_target_tracking: min > max");
  if (!(config_.target.value > 0)) throw std::invalid_argument("aws_target_tracking: the target must be > 0");
}

AutoscalingDecision AwsTargetTracking::decide(const AutoscalingInput& input) {
  AutoscalingDecision d;
  const std::int32_t capacity = input.replicas;
  d.usage_ratio = std::numeric_limits<double>::quiet_NaN();
  d.metric_value = std::numeric_limits<double>::quiet_NaN();
  std::int32_t counted = 0;
  const auto datapoint = instance_metric(input, config_.target.percent, config_.warmup, counted);
  std::int32_t desired = capacity;
  if (datapoint) {
    datapoints_.push_back(*datapoint);
    const auto keep = static_cast<std::size_t>(std::max(config_.datapoints_out, config_.datapoints_in));
    while (datapoints_.size() > keep) datapoints_.pop_front();
    d.metric_value = config_.target.percent ? *datapoint / 100.0 : *datapoint;
    d.usage_ratio = *datapoint / config_.target.value;
  } else {
    d.had_metrics = false;  // missing data: the alarms keep their state but nothing new breaches
  }
  auto last_all = [&](std::int32_t n, auto pred) {
    if (!datapoint || datapoints_.size() < static_cast<std::size_t>(n)) return false;
    return std::all_of(datapoints_.end() - n, datapoints_.end(), pred);
  };
  const double target = config_.target.value;
  const bool high = last_all(config_.datapoints_out, [&](double v) { return v > target; });
  const bool low = last_all(config_.datapoints_in, [&](double v) { return v < config_.scale_in_ratio * target; });
  // Proportional capacity: the counted instances' load spread at the target.
  const double proposal_f = datapoint ? std::ceil(counted * *datapoint / target) : capacity;
  const auto proposal = static_cast<std::int32_t>(std::min(proposal_f, 1e9));
  d.recommendation = capacity;
  if (capacity > config_.max_replicas || capacity < config_.min_replicas) {
    desired = std::clamp(capacity, config_.min_replicas, config_.max_replicas);
    d.recommendation = desired;
    d.limited = true;
  } else if (high) {
    d.recommendation = proposal;
    if (proposal > capacity) {  // warming instances already count in `capacity`
      desired = std::min(proposal, config_.max_replicas);
      d.limited = desired != proposal;
      scaled_in_ = false;       // a scale-out ends the scale-in cooldown
    }
  } else if (low) {
    d.recommendation = proposal;
    if (proposal < capacity) {
      const bool cooling = scaled_in_ && input.now < last_scale_in_ + config_.scale_in_cooldown;
      if (config_.disable_scale_in || cooling || warming_replicas(input, config_.warmup) > 0) {
        d.limited = true;
      } else {
        desired = std::max(proposal, config_.min_replicas);
        d.limited = desired != proposal;
        last_scale_in_ = input.now;
        scaled_in_ = true;
      }
    }
  }
  d.desired = desired;
  d.outcome = outcome_of(capacity, desired);
  return d;
}

}  // namespace wsfleet::models
