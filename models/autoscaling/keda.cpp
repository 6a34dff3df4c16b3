// KEDA: see keda.hpp for what is reproduced and from where.
#include "models/autoscaling/keda.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace wsfleet::models {

HpaConfig Keda::hpa_of(KedaConfig config) {
  config.hpa.min_replicas = std::max<std::int32_t>(config.min_replica_count, 1);
  config.hpa.metrics = {HpaMetricTarget{HpaMetricTarget::Kind::AverageValue, config.threshold}};
  if (config.min_replica_count > config.hpa.max_replicas) throw std::invalid_argument("keda: minReplicaCount > maxReplicaCount");
  return config.hpa;
}

Keda::Keda(KedaConfig config) : KubernetesHpa(hpa_of(config)), keda_(std::move(config)) {
  if (!(keda_.threshold > 0)) throw std::invalid_argument("keda: the threshold must be > 0");
}

AutoscalingDecision Keda::decide(const AutoscalingInput& input) {
  check_input(input, 1);
  AutoscalingDecision d;
  const std::int32_t current = input.replicas;
  d.recommendation = current;
  // The scaler's metric: the total over the replicas that report it, in milli-units like the HPA.
  std::int64_t total_milli = 0;
  for (const auto& pod : input.pods) {
    if (pod.phase == ReplicaPhase::Running && pod.metrics[0]) total_milli += std::llround(*pod.metrics[0] * 1000.0);
  }
  const double total = static_cast<double>(total_milli) / 1000.0;
  const auto target_milli = std::llround(keda_.threshold * 1000.0);
  d.metric_value = current > 0 ? total / current : total;
  d.usage_ratio = current > 0 ? static_cast<double>(total_milli) / (static_cast<double>(target_milli) * current)
                              : std::numeric_limits<double>::quiet_NaN();
  if (!started_) {
    started_ = true;
    last_active_ = input.now;
    next_poll_ = input.now;
  }
  std::int32_t desired = current;
  bool decided = false;
  if (input.activation) {
    activation_since_poll_ += *input.activation;
    activation_given_ = true;
  }
  if (input.now >= next_poll_) {
    next_poll_ = input.now + keda_.polling_interval;
    // At zero replicas no server reports: the scaler reads the demand from outside (a fleet gives
    // the connection attempts, summed here since the previous poll: the first attempts activate it).
    const bool active = total > keda_.activation_threshold ||
                        (current == 0 && activation_given_ && activation_since_poll_ > keda_.activation_threshold);
    activation_since_poll_ = 0.0;
    activation_given_ = false;
    if (active) last_active_ = input.now;
    if (current == 0 && active) {
      desired = std::max<std::int32_t>(keda_.min_replica_count, 1);
      decided = true;
    } else if (current > 0 && !active && keda_.min_replica_count == 0 &&
               input.now >= last_active_ + keda_.cooldown_period) {
      desired = 0;
      decided = true;
    }
  }
  if (!decided && current > 0) {
    // The HPA KEDA created (it does nothing while the scale is at zero).
    const std::int32_t hpa_min = config().min_replicas;
    if (current > config().max_replicas) {
      desired = config().max_replicas;
      d.recommendation = desired;
      d.limited = true;
    } else if (current < hpa_min) {
      desired = hpa_min;
      d.recommendation = desired;
      d.limited = true;
    } else {
      std::int32_t proposal = current;
      if (std::fabs(1.0 - d.usage_ratio) > config().tolerance) {
        proposal = static_cast<std::int32_t>(std::min(std::ceil(static_cast<double>(total_milli) / static_cast<double>(target_milli)), 1e9));
      }
      d.recommendation = proposal;
      desired = normalize(input.now, current, proposal, d.limited);
    }
    if (desired != current) store_scale_event(input.now, current, desired);
  }
  if (decided) d.recommendation = desired;
  d.desired = desired;
  d.outcome = outcome_of(current, desired);
  return d;
}

}  // namespace wsfleet::models
