// Step scaling: see step_scaling.hpp for what is reproduced and from where.
#include "models/autoscaling/step_scaling.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace wsfleet::models {

StepScaling::StepScaling(StepScalingConfig config) : config_(config) {
  if (config_.min_replicas > config_.max_replicas) throw std::invalid_argument("step_scaling: min > max");
  if (!(config_.low < config_.high)) throw std::invalid_argument("step_scaling: the low threshold must be below the high one");
}

AutoscalingDecision StepScaling::decide(const AutoscalingInput& input) {
  AutoscalingDecision d;
  const std::int32_t capacity = input.replicas;
  d.usage_ratio = std::numeric_limits<double>::quiet_NaN();
  d.metric_value = std::numeric_limits<double>::quiet_NaN();
  std::int32_t counted = 0;
  const auto datapoint = instance_metric(input, config_.percent, config_.warmup, counted);
  if (datapoint) {
    datapoints_.push_back(*datapoint);
    while (datapoints_.size() > static_cast<std::size_t>(config_.datapoints)) datapoints_.pop_front();
    d.metric_value = config_.percent ? *datapoint / 100.0 : *datapoint;
    d.usage_ratio = *datapoint / config_.high;
  } else {
    d.had_metrics = false;
  }
  const bool full = datapoint && datapoints_.size() == static_cast<std::size_t>(config_.datapoints);
  const bool high = full && std::all_of(datapoints_.begin(), datapoints_.end(), [&](double v) { return v > config_.high; });
  const bool low = full && std::all_of(datapoints_.begin(), datapoints_.end(), [&](double v) { return v < config_.low; });
  std::int32_t desired = capacity;
  const std::int32_t warming = warming_replicas(input, config_.warmup);
  if (capacity > config_.max_replicas || capacity < config_.min_replicas) {
    desired = std::clamp(capacity, config_.min_replicas, config_.max_replicas);
    d.limited = true;
  } else if (high) {
    const double breach = *datapoint - config_.high;
    const int step = breach < config_.step ? 0 : breach < 2 * config_.step ? 1 : 2;
    const std::int32_t add = config_.add[step];
    // Warming instances count against the adjustment.
    const std::int32_t wanted = capacity - warming + add;
    if (wanted > capacity) {
      desired = std::min(wanted, config_.max_replicas);
      d.limited = desired != wanted;
    } else {
      d.limited = true;
    }
  } else if (low) {
    if (warming > 0) {
      d.limited = true;
    } else {
      desired = std::max(capacity - config_.remove, config_.min_replicas);
      d.limited = desired != capacity - config_.remove;
    }
  }
  d.recommendation = desired;
  d.desired = desired;
  d.outcome = outcome_of(capacity, desired);
  return d;
}

}  // namespace wsfleet::models
