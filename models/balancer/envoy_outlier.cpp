#include "models/balancer/envoy_outlier.hpp"

#include <algorithm>

namespace wsfleet::models {

bool EnvoyOutlier::may_eject(std::size_t ejected, std::size_t hosts) const {
  if (hosts == 0) return false;
  const double percent = 100.0 * static_cast<double>(ejected + 1) / static_cast<double>(hosts);
  return percent <= std::min(100.0, max_ejection_percent) || (always_eject_one_host && ejected == 0);
}

sim::SimTime EnvoyOutlier::ejection_time(std::uint32_t backoff) const {
  return std::min(base_ejection * static_cast<sim::SimTime>(backoff), max_ejection);
}

std::uint32_t EnvoyOutlier::next_backoff(std::uint32_t backoff) const {
  return static_cast<sim::SimTime>(backoff) * base_ejection < max_ejection + base_ejection ? backoff + 1 : backoff;
}

bool EnvoyOutlier::panic(std::size_t healthy, std::size_t hosts) const {
  if (hosts == 0) return false;
  return 100.0 * static_cast<double>(healthy) / static_cast<double>(hosts) < std::min(100.0, healthy_panic_threshold);
}

std::optional<EnvoyOutlier> EnvoyOutlier::of(const std::string& policy, const Params& params) {
  if (policy.rfind("envoy_", 0) != 0) return std::nullopt;
  const auto get = [&](const char* name, double fallback) {
    const auto it = params.find(name);
    return it == params.end() ? fallback : it->second;
  };
  EnvoyOutlier o;
  o.consecutive_5xx = static_cast<std::uint32_t>(get("consecutive_5xx", 0.0));
  o.interval = sim::from_seconds(get("outlier_interval_s", 10.0));
  o.base_ejection = sim::from_seconds(get("base_ejection_time_s", 30.0));
  // "If max_ejection_time was not specified ... the default or base_ejection_time whatever is larger."
  o.max_ejection = std::max(sim::from_seconds(get("max_ejection_time_s", 300.0)), o.base_ejection);
  o.max_ejection_percent = get("max_ejection_percent", 10.0);
  o.always_eject_one_host = get("always_eject_one_host", 0.0) != 0.0;
  o.healthy_panic_threshold = get("healthy_panic_threshold", 50.0);
  return o;
}

std::vector<ParamSpec> EnvoyOutlier::param_specs() {
  return {ParamSpec{"consecutive_5xx", 0.0, 0.0, 1000.0, true,
                    "outlier_detection.consecutive_5xx: failed connects in a row that eject a host; 0 = no outlier "
                    "detection (Envoy's default; 5 when configured) (count)"},
          ParamSpec{"outlier_interval_s", 10.0, 0.001, 86400.0, false, "outlier_detection.interval (s)"},
          ParamSpec{"base_ejection_time_s", 30.0, 0.001, 86400.0, false,
                    "outlier_detection.base_ejection_time: x the host's ejection count (s)"},
          ParamSpec{"max_ejection_time_s", 300.0, 0.001, 86400.0, false, "outlier_detection.max_ejection_time (s)"},
          ParamSpec{"max_ejection_percent", 10.0, 0.0, 100.0, false,
                    "outlier_detection.max_ejection_percent: at most this share of the hosts ejected (percent)"},
          ParamSpec{"always_eject_one_host", 0.0, 0.0, 1.0, true,
                    "outlier_detection.always_eject_one_host: 1 = one host may be ejected whatever the percentage (flag)"},
          ParamSpec{"healthy_panic_threshold", 50.0, 0.0, 100.0, false,
                    "common_lb_config.healthy_panic_threshold: below this share of healthy hosts, route to all (percent)"}};
}

}  // namespace wsfleet::models
