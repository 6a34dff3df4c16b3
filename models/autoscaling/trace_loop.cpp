// The trace-driven closed loop of `wsfleet autoscale`.
#include "models/autoscaling/trace_loop.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "models/policy_params.hpp"

namespace wsfleet::models {

namespace {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream s(line);
  while (std::getline(s, cell, ',')) {
    while (!cell.empty() && (cell.back() == '\r' || cell.back() == ' ')) cell.pop_back();
    while (!cell.empty() && cell.front() == ' ') cell.erase(cell.begin());
    out.push_back(cell);
  }
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

double number_at(const std::string& text, const std::string& where, const std::string& column) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(v)) {
    throw std::invalid_argument(where + ": " + column + " '" + text + "' is not a finite number");
  }
  return v;
}

}  // namespace

std::vector<DemandPoint> read_demand_trace(std::istream& in, const std::string& name) {
  std::string line;
  std::size_t line_no = 0;
  long time_col = -1, demand_col = -1;
  std::size_t columns = 0;
  std::vector<DemandPoint> out;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto cells = split_csv(line);
    const std::string where = name + ":" + std::to_string(line_no);
    if (time_col < 0) {
      for (std::size_t i = 0; i < cells.size(); ++i) {
        if (cells[i] == "time_s") time_col = static_cast<long>(i);
        if (cells[i] == "demand") demand_col = static_cast<long>(i);
      }
      if (time_col < 0 || demand_col < 0) {
        throw std::invalid_argument(where + ": the header must name the columns time_s and demand (got '" + line + "')");
      }
      columns = cells.size();
      continue;
    }
    if (cells.size() != columns) {
      throw std::invalid_argument(where + ": expected " + std::to_string(columns) + " columns, got " + std::to_string(cells.size()));
    }
    const double t = number_at(cells[static_cast<std::size_t>(time_col)], where, "time_s");
    const double demand = number_at(cells[static_cast<std::size_t>(demand_col)], where, "demand");
    if (t < 0 || t > 1e9) throw std::invalid_argument(where + ": time_s must be from 0 to 1e9 s (got " + format_number(t) + ")");
    if (!out.empty() && !(t > out.back().time_s)) {
      throw std::invalid_argument(where + ": time_s must increase (got " + format_number(t) + " after " +
                                  format_number(out.back().time_s) + ")");
    }
    if (demand < 0) throw std::invalid_argument(where + ": demand must be >= 0 (got " + format_number(demand) + ")");
    out.push_back({t, demand});
  }
  if (time_col < 0) throw std::invalid_argument(name + ": empty trace (expected a header time_s,demand and rows)");
  if (out.empty()) throw std::invalid_argument(name + ": the trace has a header but no rows");
  return out;
}

std::vector<TraceRow> run_trace_loop(AutoscalingPolicy& policy, const std::vector<DemandPoint>& trace,
                                     const TraceLoopOptions& options) {
  if (trace.empty()) throw std::invalid_argument("the trace has no rows");
  if (options.replicas < 0 || options.replicas > 100000) throw std::invalid_argument("replicas must be from 0 to 100000");
  if (!(options.ready_after_s >= 0) || options.ready_after_s > 86400) throw std::invalid_argument("ready_after must be from 0 to 86400 s");
  if (!(options.capacity > 0) || !std::isfinite(options.capacity)) throw std::invalid_argument("capacity must be > 0");
  const sim::SimTime period = policy.sync_period();
  const sim::SimTime end = sim::from_seconds(trace.back().time_s);
  const sim::SimTime ready_after = sim::from_seconds(options.ready_after_s);
  // Each replica: when it becomes (or became) ready. The initial ones have been up for a day.
  std::vector<sim::SimTime> ready_at(static_cast<std::size_t>(options.replicas), -86400 * sim::kNanosPerSecond);
  std::vector<TraceRow> rows;
  std::size_t next = 0;
  double demand = 0;
  for (sim::SimTime now = 0; now <= end; now += period) {
    while (next < trace.size() && sim::from_seconds(trace[next].time_s) <= now) demand = trace[next++].demand;
    AutoscalingInput input;
    input.now = now;
    input.replicas = static_cast<std::int32_t>(ready_at.size());
    input.metric_is_cpu = {options.cpu};
    input.metric_window = period;
    std::int32_t ready = 0;
    for (const auto t : ready_at) ready += t <= now ? 1 : 0;
    const double per_replica = ready > 0 ? demand / ready : 0.0;
    for (const auto t : ready_at) {
      ReplicaView pod;
      pod.capacity = options.capacity;
      if (t <= now) {
        pod.phase = ReplicaPhase::Running;
        pod.ready = true;
        pod.start_time = t;
        pod.ready_transition = t;
        pod.metrics = {per_replica};
      } else {
        pod.phase = ReplicaPhase::Pending;
        pod.ready = false;
        pod.metrics = {std::nullopt};
      }
      input.pods.push_back(pod);
    }
    const AutoscalingDecision d = policy.decide(input);
    TraceRow row;
    row.time_s = sim::to_seconds(now);
    row.utilization = ready > 0 ? demand / (ready * options.capacity) : std::numeric_limits<double>::quiet_NaN();
    row.desired = d.desired;
    row.ready = ready;
    // Apply: new replicas pending until ready; a scale-down removes the pending ones first, then the
    // newest (a ReplicaSet deletes unready and younger pods first).
    if (d.desired > input.replicas) {
      ready_at.insert(ready_at.end(), static_cast<std::size_t>(d.desired - input.replicas), now + ready_after);
    } else if (d.desired < input.replicas) {
      std::sort(ready_at.begin(), ready_at.end());
      ready_at.resize(static_cast<std::size_t>(std::max(d.desired, 0)));
    }
    row.replicas = static_cast<std::int32_t>(ready_at.size());
    rows.push_back(row);
  }
  return rows;
}

}  // namespace wsfleet::models
