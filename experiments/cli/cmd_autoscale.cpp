// `wsfleet autoscale`: the real autoscaling policy code as a closed loop over a demand trace.
#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "experiments/cli/commands.hpp"
#include "models/autoscaling/trace_loop.hpp"
#include "models/autoscaling_policy.hpp"

namespace wsfleet::cli {

namespace {

struct AutoscaleOptions {
  std::string policy;
  std::vector<std::string> params;
  std::string trace;
  std::uint64_t replicas = 1;
  double ready_after_s = 0;
  double capacity = 1;
  std::string metric = "cpu";
};

}  // namespace

Action add_autoscale(CLI::App& app) {
  auto opts = std::make_shared<AutoscaleOptions>();
  auto* cmd = app.add_subcommand(
      "autoscale",
      "Run an autoscaling policy's real code as a closed loop over a demand trace; print one CSV row per decision "
      "(time_s,utilization,desired,replicas,ready)");
  cmd->add_option("policy", opts->policy, "Autoscaling policy name (see 'wsfleet list')")->required();
  cmd->add_option("--param", opts->params, "Policy parameter NAME=VALUE (repeatable), e.g. --param target_utilization_pct=60");
  cmd->add_option("--trace", opts->trace,
                  "CSV with columns time_s and demand: the fleet's total metric (e.g. CPU cores in use) from each time on")
      ->required();
  cmd->add_option("--replicas", opts->replicas, "Replicas at time 0, all ready (default 1)")->check(whole_number(0, 100000));
  cmd->add_option("--ready-after", opts->ready_after_s, "Seconds from a decision until a new replica is ready (default 0)");
  cmd->add_option("--capacity", opts->capacity,
                  "Each replica's capacity (resource request) in the metric's unit: utilization = demand / (ready x "
                  "capacity) (default 1)");
  cmd->add_option("--metric", opts->metric,
                  "cpu (the HPA's CPU readiness rules apply, the default) or other (connections, memory, ...)");
  return [opts]() -> int {
    std::vector<models::TraceRow> rows;
    try {
      if (opts->metric != "cpu" && opts->metric != "other") {
        throw std::invalid_argument("--metric '" + opts->metric + "': expected cpu or other");
      }
      if (!(opts->ready_after_s >= 0) || opts->ready_after_s > 86400) {
        throw std::invalid_argument("--ready-after must be from 0 to 86400 s (got " + models::format_number(opts->ready_after_s) + ")");
      }
      if (!(opts->capacity > 0) || !std::isfinite(opts->capacity)) {
        throw std::invalid_argument("--capacity must be a number > 0 (got " + models::format_number(opts->capacity) + ")");
      }
      const auto policy = models::make_autoscaling_policy(opts->policy, parse_params(opts->params));
      std::ifstream in(opts->trace);
      if (!in) throw std::invalid_argument("--trace " + opts->trace + ": cannot open the file");
      const auto trace = models::read_demand_trace(in, opts->trace);
      models::TraceLoopOptions o;
      o.replicas = static_cast<std::int32_t>(opts->replicas);
      o.ready_after_s = opts->ready_after_s;
      o.capacity = opts->capacity;
      o.cpu = opts->metric == "cpu";
      const sim::SimTime steps = sim::from_seconds(trace.back().time_s) / policy->sync_period();
      if (steps > 10'000'000) throw std::invalid_argument("--trace: more than 10 million decisions; shorten the trace");
      rows = models::run_trace_loop(*policy, trace, o);
    } catch (const std::invalid_argument& e) {
      std::cerr << "wsfleet autoscale: " << e.what() << "\n";
      return kExitBadInput;
    }
    std::ostringstream out;
    out << "time_s,utilization,desired,replicas,ready\n";
    for (const auto& r : rows) {
      out << models::format_number(r.time_s) << "," << (std::isnan(r.utilization) ? std::string("") : models::format_number(r.utilization))
          << "," << r.desired << "," << r.replicas << "," << r.ready << "\n";
    }
    std::cout << out.str();
    return 0;
  };
}

}  // namespace wsfleet::cli
