#pragma once
// Envoy's outlier detection (consecutive 5xx: a failed connect counts as a 503) and its panic
// threshold, as the Envoy presets' balancer-side parameters. Checked against envoyproxy/envoy
// source/common/upstream/outlier_detection_impl.cc (ejectHost: eject while 100 * (ejected + 1) /
// hosts <= max_ejection_percent, or the first one with always_eject_one_host; the host's ejection
// backoff grows by one per ejection while backoff * base < max + base; checkHostForUneject at every
// interval: back once min(base * backoff, max_ejection_time) has passed since the ejection;
// onIntervalTimer: the backoff of a host back for at least an interval shrinks by one;
// unejectHost resets the consecutive counters) and source/common/upstream/load_balancer_impl.cc
// (isHostSetInPanic: below healthy_panic_threshold percent healthy hosts the load balancer uses
// every host). Defaults: api/envoy/config/cluster/v3/outlier_detection.proto (interval 10 s,
// base_ejection_time 30 s, max_ejection_percent 10, max_ejection_time 300 s, consecutive_5xx 5)
// and cluster.proto common_lb_config.healthy_panic_threshold 50 %. Outlier detection is off unless
// the cluster configures it: here consecutive_5xx = 0.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/policy_params.hpp"
#include "sim/time.hpp"

namespace wsfleet::models {

/// The outlier detection and panic settings of one Envoy preset.
struct EnvoyOutlier {
  std::uint32_t consecutive_5xx = 0;     ///< failures in a row that eject a host; 0 = no outlier detection
  sim::SimTime interval = 0;             ///< the detector's timer, ns
  sim::SimTime base_ejection = 0;        ///< base_ejection_time, ns
  sim::SimTime max_ejection = 0;         ///< max_ejection_time, ns
  double max_ejection_percent = 10.0;
  bool always_eject_one_host = false;
  double healthy_panic_threshold = 50.0; ///< percent; 0 = never panic

  /// ejectHost(): may one more host be ejected while `ejected` of `hosts` are?
  bool may_eject(std::size_t ejected, std::size_t hosts) const;
  /// The ejection's length for a host whose backoff (already incremented) is `backoff`.
  sim::SimTime ejection_time(std::uint32_t backoff) const;
  /// The backoff after one more ejection (ejectHost: + 1 while backoff * base < max + base).
  std::uint32_t next_backoff(std::uint32_t backoff) const;
  /// isHostSetInPanic(): fewer than healthy_panic_threshold percent of `hosts` are healthy.
  bool panic(std::size_t healthy, std::size_t hosts) const;

  /// The settings of balancing preset `policy` with its resolved `params`; no value unless it is Envoy's.
  static std::optional<EnvoyOutlier> of(const std::string& policy, const Params& params);
  /// The parameters every Envoy preset takes for them (added to its own).
  static std::vector<ParamSpec> param_specs();
};

}  // namespace wsfleet::models
