// Instance-average datapoints for the CloudWatch-driven policies.
#include "models/autoscaling/instance_metric.hpp"

namespace wsfleet::models {

std::optional<double> instance_metric(const AutoscalingInput& input, bool percent, sim::SimTime warmup,
                                      std::int32_t& counted) {
  double total = 0, capacity = 0;
  counted = 0;
  for (const auto& pod : input.pods) {
    if (pod.phase != ReplicaPhase::Running || pod.start_time + warmup > input.now) continue;
    if (pod.metrics.empty() || !pod.metrics[0]) continue;
    total += *pod.metrics[0];
    capacity += pod.capacity;
    ++counted;
  }
  if (counted == 0) return std::nullopt;
  if (percent) return capacity > 0 ? std::optional<double>(100.0 * total / capacity) : std::nullopt;
  return total / counted;
}

std::int32_t warming_replicas(const AutoscalingInput& input, sim::SimTime warmup) {
  std::int32_t n = 0;
  for (const auto& pod : input.pods) {
    if (pod.phase == ReplicaPhase::Pending || (pod.phase == ReplicaPhase::Running && pod.start_time + warmup > input.now)) ++n;
  }
  return n;
}

InstanceTarget instance_target_of(const Params& p) {
  if (p.at("target_average_value") > 0) return {false, p.at("target_average_value")};
  return {true, p.at("target_utilization_pct")};
}

}  // namespace wsfleet::models
