#pragma once
// A closed loop of one autoscaling policy over a demand trace, without a fleet: the policy syncs every
// sync period, the replicas it asks for become ready `ready_after` later, and the demand (the fleet's
// total metric, e.g. CPU cores in use) spreads evenly over the ready replicas. What `wsfleet
// autoscale` prints and `wsfleet.AutoscalingPolicy.run_trace` returns.
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "models/autoscaling_policy.hpp"

namespace wsfleet::models {

/// One trace row: from `time_s` on, the fleet's total metric is `demand` (until the next row).
struct DemandPoint {
  double time_s = 0;
  double demand = 0;
};

/// Reads a CSV with a header naming `time_s` and `demand` (other columns are ignored): times >= 0 and
/// strictly increasing, demands >= 0, at least one row. Throws std::invalid_argument "NAME:LINE: ...".
std::vector<DemandPoint> read_demand_trace(std::istream& in, const std::string& name);

struct TraceLoopOptions {
  std::int32_t replicas = 1;       ///< replicas at time 0, all ready
  double ready_after_s = 0;        ///< a new replica is pending this long, then running and ready
  double capacity = 1;             ///< each replica's capacity (request) in the metric's unit
  bool cpu = true;                 ///< the metric is CPU (the HPA's CPU readiness rules apply)
};

/// One row per sync: the time, the ready replicas' utilization (demand / (ready x capacity); NaN with
/// none ready), the decision, the replicas asked for after it, and the ready ones at the sync.
struct TraceRow {
  double time_s = 0;
  double utilization = 0;
  std::int32_t desired = 0;
  std::int32_t replicas = 0;
  std::int32_t ready = 0;
};

/// Runs `policy` from time 0 to the trace's last time (inclusive). Throws std::invalid_argument on bad
/// options or an empty trace.
std::vector<TraceRow> run_trace_loop(AutoscalingPolicy& policy, const std::vector<DemandPoint>& trace,
                                     const TraceLoopOptions& options);

}  // namespace wsfleet::models
