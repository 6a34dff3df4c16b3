// The Kubernetes HPA controller: see kubernetes_hpa.hpp for the files and functions reproduced.
#include "models/autoscaling/kubernetes_hpa.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace wsfleet::models {

namespace {

// Kubernetes carries metric values as int64 milli-units (resource.Quantity.MilliValue()).
std::int64_t milli(double value) { return static_cast<std::int64_t>(std::llround(value * 1000.0)); }

// Tolerances.isWithin: no change while the ratio is within [1 - tolerance, 1 + tolerance].
bool within(double ratio, double tolerance) { return (1.0 - tolerance) <= ratio && ratio <= (1.0 + tolerance); }

std::int32_t ceil_replicas(double x) {
  const double c = std::ceil(x);
  if (!(c < 2147483647.0)) return std::numeric_limits<std::int32_t>::max();
  return static_cast<std::int32_t>(c);
}

void check_rules(const HpaScalingRules& rules, const char* direction) {
  if (rules.stabilization_window < 0) throw std::invalid_argument(std::string(direction) + " stabilization window must be >= 0");
  if (rules.select != HpaSelectPolicy::Disabled && rules.policies.empty()) {
    throw std::invalid_argument(std::string(direction) + ": at least one Pods or Percent policy is needed unless the direction is disabled");
  }
  for (const auto& p : rules.policies) {
    if (p.value <= 0 || p.period <= 0) throw std::invalid_argument(std::string(direction) + ": a policy needs a value > 0 and a period > 0");
  }
}

}  // namespace

KubernetesHpa::KubernetesHpa(HpaConfig config) : config_(std::move(config)) {
  if (config_.sync_period <= 0) throw std::invalid_argument("kubernetes_hpa: the sync period must be > 0");
  if (config_.min_replicas < 0 || config_.max_replicas < 1 || config_.min_replicas > config_.max_replicas) {
    throw std::invalid_argument("kubernetes_hpa: need 0 <= min_replicas <= max_replicas and max_replicas >= 1");
  }
  if (config_.metrics.empty()) throw std::invalid_argument("kubernetes_hpa: at least one metric target is needed");
  for (const auto& m : config_.metrics) {
    if (!(m.value > 0)) throw std::invalid_argument("kubernetes_hpa: a metric target must be > 0");
  }
  if (!(config_.external_target_per_s >= 0)) throw std::invalid_argument("kubernetes_hpa: the External target must be >= 0");
  check_rules(config_.scale_up, "scale-up");
  check_rules(config_.scale_down, "scale-down");
}

void KubernetesHpa::check_input(const AutoscalingInput& input, std::size_t metrics) {
  if (input.metric_is_cpu.size() != metrics) {
    throw std::invalid_argument(name() + ": the input has " + std::to_string(input.metric_is_cpu.size()) +
                                " metrics, the policy " + std::to_string(metrics));
  }
  for (const auto& pod : input.pods) {
    if (pod.metrics.size() != metrics) throw std::invalid_argument(name() + ": a replica lacks a value slot per metric");
  }
  if (input.now < last_sync_) throw std::invalid_argument(name() + ": syncs must come in time order");
  if (input.replicas < 0) throw std::invalid_argument(name() + ": replicas must be >= 0");
  last_sync_ = input.now;
}

HpaProposal KubernetesHpa::propose(const AutoscalingInput& input, std::size_t index) const {
  const HpaMetricTarget& target = config_.metrics.at(index);
  const bool cpu = input.metric_is_cpu.at(index);
  const bool utilization = target.kind == HpaMetricTarget::Kind::Utilization;
  const std::int32_t current = input.replicas;
  // groupPods: ignored (terminating), unready (pending; for CPU also starting ones), missing, ready.
  struct Sample {
    std::int64_t value_milli;
    std::int64_t request_milli;
  };
  std::vector<Sample> samples;  // "metrics" after removeMetricsForPods(ignored, unready)
  std::vector<std::int64_t> unready_requests, missing_requests;
  std::int32_t ready_count = 0;
  for (const auto& pod : input.pods) {
    if (pod.phase == ReplicaPhase::Terminating) continue;
    const std::int64_t request = milli(pod.capacity);
    if (pod.phase == ReplicaPhase::Pending) {
      unready_requests.push_back(request);
      continue;
    }
    const auto& value = pod.metrics[index];
    if (!value) {
      missing_requests.push_back(request);
      continue;
    }
    if (cpu) {
      bool unready = false;
      if (pod.start_time + config_.cpu_initialization_period > input.now) {
        // Within the initialization period: ignore an unready pod, or a sample whose window started
        // before the pod's last readiness transition (the sample's timestamp is the sync's time).
        unready = !pod.ready || input.now < pod.ready_transition + input.metric_window;
      } else {
        // Later: ignore only a pod that is unready and has never been ready.
        unready = !pod.ready && pod.start_time + config_.initial_readiness_delay > pod.ready_transition;
      }
      if (unready) {
        unready_requests.push_back(request);
        continue;
      }
    }
    ++ready_count;
    samples.push_back({milli(*value), request});
  }
  HpaProposal out;
  if (samples.empty()) return out;  // "did not receive metrics for any ready pods"
  const std::int64_t target_milli = milli(target.value);
  const auto target_pct = static_cast<std::int64_t>(target.value);
  // metrics/utilization.go: an integer percent of the summed requests, or an integer milli average.
  auto ratio_of = [&](const std::vector<Sample>& s, double& metric_value) -> std::optional<double> {
    std::int64_t total = 0, requests = 0;
    for (const auto& x : s) {
      total += x.value_milli;
      requests += x.request_milli;
    }
    if (utilization) {
      if (requests <= 0) return std::nullopt;
      const std::int64_t pct = (total * 100) / requests;
      metric_value = static_cast<double>(pct) / 100.0;
      return static_cast<double>(pct) / static_cast<double>(target_pct);
    }
    const std::int64_t average = total / static_cast<std::int64_t>(s.size());
    metric_value = static_cast<double>(average) / 1000.0;
    return static_cast<double>(average) / static_cast<double>(target_milli);
  };
  double metric_value = 0;
  const auto first = ratio_of(samples, metric_value);
  if (!first) return out;
  const double usage_ratio = *first;
  out.valid = true;
  out.usage_ratio = usage_ratio;
  out.metric_value = metric_value;
  const bool rebalance_unready = !unready_requests.empty() && usage_ratio > 1.0;
  if (!rebalance_unready && missing_requests.empty()) {
    out.replicas = within(usage_ratio, config_.tolerance) ? current : ceil_replicas(usage_ratio * ready_count);
    return out;
  }
  if (!missing_requests.empty()) {
    if (usage_ratio < 1.0) {
      // On a scale-down, missing pods use 100 % of their request (or exactly the target value).
      for (const auto r : missing_requests) samples.push_back({utilization ? r : target_milli, r});
    } else if (usage_ratio > 1.0) {
      // On a scale-up, missing pods use 0.
      for (const auto r : missing_requests) samples.push_back({0, r});
    }
  }
  if (rebalance_unready) {
    for (const auto r : unready_requests) samples.push_back({0, r});  // unready pods use 0 on a scale-up
  }
  double ignored = 0;
  const double new_ratio = ratio_of(samples, ignored).value_or(usage_ratio);
  if (within(new_ratio, config_.tolerance) || (usage_ratio < 1.0 && new_ratio > 1.0) ||
      (usage_ratio > 1.0 && new_ratio < 1.0)) {
    out.replicas = current;  // too small a change, or the filled-in pods reverse the direction
    return out;
  }
  const std::int32_t replicas = ceil_replicas(new_ratio * static_cast<double>(samples.size()));
  if ((new_ratio < 1.0 && replicas > current) || (new_ratio > 1.0 && replicas < current)) {
    out.replicas = current;  // the number of pods counted would reverse the direction
    return out;
  }
  out.replicas = replicas;
  return out;
}

HpaProposal KubernetesHpa::propose_external(const AutoscalingInput& input) const {
  HpaProposal out;
  if (config_.external_target_per_s <= 0 || !input.activation) return out;
  // GetExternalPerPodMetricReplicas: usage / (target x status replicas); outside the tolerance,
  // ceil(usage / target), else the current count. At zero replicas the ratio is +Inf for any usage
  // (a scale-up from zero) and NaN for none (the count stays 0).
  const double period_s = sim::to_seconds(config_.sync_period);
  const std::int64_t usage = milli(*input.activation / period_s);
  const std::int64_t target = milli(config_.external_target_per_s);
  const std::int32_t current = input.replicas;
  out.valid = true;
  out.metric_value = static_cast<double>(usage) / 1000.0;
  if (current == 0) {
    out.usage_ratio = usage > 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
    out.replicas = usage > 0 ? ceil_replicas(static_cast<double>(usage) / static_cast<double>(target)) : 0;
    return out;
  }
  out.usage_ratio = static_cast<double>(usage) / (static_cast<double>(target) * current);
  out.replicas = within(out.usage_ratio, config_.tolerance) ? current
                                                             : ceil_replicas(static_cast<double>(usage) / static_cast<double>(target));
  return out;
}

std::int32_t KubernetesHpa::change_in_period(sim::SimTime now, sim::SimTime period,
                                             const std::deque<Timestamped>& events) const {
  std::int32_t sum = 0;
  for (const auto& e : events) {
    if (e.at > now - period) sum += e.value;  // timestamp.After(now - period)
  }
  return sum;
}

std::int32_t KubernetesHpa::scale_up_limit(sim::SimTime now, std::int32_t current) const {
  const auto& rules = config_.scale_up;
  if (rules.select == HpaSelectPolicy::Disabled) return current;
  const bool pick_min = rules.select == HpaSelectPolicy::Min;
  std::int64_t result = pick_min ? std::numeric_limits<std::int32_t>::max() : std::numeric_limits<std::int32_t>::min();
  for (const auto& p : rules.policies) {
    const std::int64_t start = static_cast<std::int64_t>(current) - change_in_period(now, p.period, up_events_) +
                               change_in_period(now, p.period, down_events_);
    std::int64_t proposed = 0;
    if (p.type == HpaRatePolicy::Type::Pods) {
      proposed = start + p.value;
    } else {
      // Rounded up: a small percentage of a few pods must still add one.
      proposed = static_cast<std::int64_t>(std::ceil(static_cast<double>(start) * (1.0 + p.value / 100.0)));
    }
    result = pick_min ? std::min(result, proposed) : std::max(result, proposed);
  }
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(result, std::numeric_limits<std::int32_t>::min(),
                                                            std::numeric_limits<std::int32_t>::max()));
}

std::int32_t KubernetesHpa::scale_down_limit(sim::SimTime now, std::int32_t current) const {
  const auto& rules = config_.scale_down;
  if (rules.select == HpaSelectPolicy::Disabled) return current;
  // For a scale-down the smallest change is the largest count.
  const bool pick_max = rules.select == HpaSelectPolicy::Min;
  std::int64_t result = pick_max ? std::numeric_limits<std::int32_t>::min() : std::numeric_limits<std::int32_t>::max();
  for (const auto& p : rules.policies) {
    const std::int64_t start = static_cast<std::int64_t>(current) - change_in_period(now, p.period, up_events_) +
                               change_in_period(now, p.period, down_events_);
    std::int64_t proposed = 0;
    if (p.type == HpaRatePolicy::Type::Pods) {
      proposed = start - p.value;
    } else {
      proposed = static_cast<std::int64_t>(static_cast<double>(start) * (1.0 - p.value / 100.0));  // truncated
    }
    result = pick_max ? std::max(result, proposed) : std::min(result, proposed);
  }
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(result, std::numeric_limits<std::int32_t>::min(),
                                                            std::numeric_limits<std::int32_t>::max()));
}

std::int32_t KubernetesHpa::normalize(sim::SimTime now, std::int32_t current, std::int32_t proposal, bool& limited) {
  // stabilizeRecommendationWithBehaviors: the smallest recommendation of the scale-up window and the
  // largest of the scale-down window bound the result; the current count when it lies between.
  const sim::SimTime up_cutoff = now - config_.scale_up.stabilization_window;
  const sim::SimTime down_cutoff = now - config_.scale_down.stabilization_window;
  std::int32_t up_rec = proposal, down_rec = proposal;
  for (const auto& r : recommendations_) {
    if (r.at > up_cutoff) up_rec = std::min(r.value, up_rec);
    if (r.at > down_cutoff) down_rec = std::max(r.value, down_rec);
  }
  std::int32_t stabilized = current;
  if (stabilized < up_rec) stabilized = up_rec;
  if (stabilized > down_rec) stabilized = down_rec;
  recommendations_.push_back({proposal, now});
  // Recommendations outside both windows are never read again (the windows only move forward).
  std::erase_if(recommendations_, [&](const Timestamped& r) { return r.at <= up_cutoff && r.at <= down_cutoff; });

  // convertDesiredReplicasWithBehaviorRate.
  if (stabilized > current) {
    std::int32_t limit = scale_up_limit(now, current);
    if (limit < current) limit = current;  // no further scale-up until the period's events expire
    const std::int32_t maximum = std::min(config_.max_replicas, limit);
    if (stabilized > maximum) {
      limited = true;
      return maximum;
    }
  } else if (stabilized < current) {
    std::int32_t limit = scale_down_limit(now, current);
    if (limit > current) limit = current;
    const std::int32_t minimum = std::max(config_.min_replicas, limit);
    if (stabilized < minimum) {
      limited = true;
      return minimum;
    }
  }
  return stabilized;
}

void KubernetesHpa::store_scale_event(sim::SimTime now, std::int32_t previous, std::int32_t desired) {
  if (desired > previous) up_events_.push_back({desired - previous, now});
  if (desired < previous) down_events_.push_back({previous - desired, now});
  sim::SimTime longest = 0;
  for (const auto* rules : {&config_.scale_up, &config_.scale_down}) {
    for (const auto& p : rules->policies) longest = std::max(longest, p.period);
  }
  for (auto* events : {&up_events_, &down_events_}) {
    std::erase_if(*events, [&](const Timestamped& e) { return e.at <= now - longest; });
  }
}

AutoscalingDecision KubernetesHpa::decide(const AutoscalingInput& input) {
  check_input(input, config_.metrics.size());
  AutoscalingDecision d;
  const std::int32_t current = input.replicas;
  // recordInitialRecommendation (horizontal.go, reconcileAutoscaler): the controller's first sync of
  // an HPA records the current replica count as a recommendation, so a new HPA keeps at least that
  // many for its first scale-down stabilization window instead of scaling down at once.
  if (!recorded_initial_) {
    recommendations_.push_back({current, input.now});
    recorded_initial_ = true;
  }
  d.usage_ratio = std::numeric_limits<double>::quiet_NaN();
  d.metric_value = std::numeric_limits<double>::quiet_NaN();
  std::int32_t desired = current;
  if (current == 0 && config_.min_replicas != 0) {
    desired = 0;  // scaled to zero by hand: autoscaling is disabled
    d.recommendation = 0;
  } else if (current > config_.max_replicas) {
    desired = config_.max_replicas;
    d.recommendation = desired;
    d.limited = true;
  } else if (current < config_.min_replicas) {
    desired = config_.min_replicas;
    d.recommendation = desired;
    d.limited = true;
  } else {
    // computeReplicasForMetrics: the largest proposal; invalid metrics block a scale-down.
    std::int32_t replicas = 0;
    std::size_t invalid = 0, valid = 0;
    auto take = [&](const HpaProposal& p) {
      if (!p.valid) {
        ++invalid;
        return;
      }
      if (valid++ == 0 || p.replicas > replicas) {
        replicas = p.replicas;
        d.usage_ratio = p.usage_ratio;
        d.metric_value = p.metric_value;
      }
    };
    for (std::size_t m = 0; m < config_.metrics.size(); ++m) take(propose(input, m));
    if (config_.external_target_per_s > 0) take(propose_external(input));
    if (valid == 0 || (invalid > 0 && replicas < current)) {
      d.had_metrics = false;
      d.recommendation = current;
      desired = current;
    } else {
      d.recommendation = replicas;
      desired = normalize(input.now, current, replicas, d.limited);
    }
  }
  if (desired != current) store_scale_event(input.now, current, desired);
  d.desired = desired;
  d.outcome = outcome_of(current, desired);
  return d;
}

std::vector<ParamSpec> hpa_behavior_specs() {
  return {
      ParamSpec{"tolerance", 0.1, 0.0, 10.0, false, "no change while |1 - metric/target| <= tolerance (ratio)"},
      ParamSpec{"min_replicas", 1, 0, 100000, true, "minReplicas (count)"},
      ParamSpec{"max_replicas", 100, 1, 100000, true, "maxReplicas (count)"},
      ParamSpec{"up_stabilization_s", 0, 0, 3600, true, "behavior.scaleUp.stabilizationWindowSeconds (s)"},
      ParamSpec{"up_pods", 4, 0, 100000, true, "scaleUp Pods policy: pods added per up_pods_period_s, 0 = none (count)"},
      ParamSpec{"up_pods_period_s", 15, 1, 1800, true, "its periodSeconds (s)"},
      ParamSpec{"up_percent", 100, 0, 100000, true, "scaleUp Percent policy: % added per up_percent_period_s, 0 = none (%)"},
      ParamSpec{"up_percent_period_s", 15, 1, 1800, true, "its periodSeconds (s)"},
      ParamSpec{"up_select", 0, 0, 2, true, "scaleUp selectPolicy: 0 Max (the policy allowing most), 1 Min, 2 Disabled"},
      ParamSpec{"down_stabilization_s", 300, 0, 3600, true, "behavior.scaleDown.stabilizationWindowSeconds (s)"},
      ParamSpec{"down_pods", 0, 0, 100000, true, "scaleDown Pods policy: pods removed per down_pods_period_s, 0 = none (count)"},
      ParamSpec{"down_pods_period_s", 15, 1, 1800, true, "its periodSeconds (s)"},
      ParamSpec{"down_percent", 100, 0, 100, true, "scaleDown Percent policy: % removed per down_percent_period_s, 0 = none (%)"},
      ParamSpec{"down_percent_period_s", 15, 1, 1800, true, "its periodSeconds (s)"},
      ParamSpec{"down_select", 0, 0, 2, true, "scaleDown selectPolicy: 0 Max (the policy allowing most), 1 Min, 2 Disabled"},
  };
}

namespace {

HpaScalingRules rules_from(const std::string& policy, const Params& p, const std::string& dir) {
  HpaScalingRules r;
  r.stabilization_window = sim::from_seconds(p.at(dir + "_stabilization_s"));
  r.select = static_cast<HpaSelectPolicy>(static_cast<int>(p.at(dir + "_select")));
  if (p.at(dir + "_pods") > 0) {
    r.policies.push_back({HpaRatePolicy::Type::Pods, static_cast<std::int32_t>(p.at(dir + "_pods")),
                          sim::from_seconds(p.at(dir + "_pods_period_s"))});
  }
  if (p.at(dir + "_percent") > 0) {
    r.policies.push_back({HpaRatePolicy::Type::Percent, static_cast<std::int32_t>(p.at(dir + "_percent")),
                          sim::from_seconds(p.at(dir + "_percent_period_s"))});
  }
  if (r.policies.empty() && r.select != HpaSelectPolicy::Disabled) {
    throw ParamError(dir + "_pods", policy + ": give " + dir + "_pods or " + dir + "_percent > 0 (or " + dir +
                                        "_select = 2 to disable scaling " + dir + ")");
  }
  return r;
}

}  // namespace

HpaConfig hpa_config_from_params(const std::string& policy, const Params& p) {
  HpaConfig c;
  c.tolerance = p.at("tolerance");
  c.min_replicas = static_cast<std::int32_t>(p.at("min_replicas"));
  c.max_replicas = static_cast<std::int32_t>(p.at("max_replicas"));
  if (c.min_replicas > c.max_replicas) {
    throw ParamError("max_replicas", policy + ".max_replicas must be >= min_replicas (got max_replicas " +
                                         format_number(p.at("max_replicas")) + ", min_replicas " +
                                         format_number(p.at("min_replicas")) + ")");
  }
  c.scale_up = rules_from(policy, p, "up");
  c.scale_down = rules_from(policy, p, "down");
  return c;
}

}  // namespace wsfleet::models
