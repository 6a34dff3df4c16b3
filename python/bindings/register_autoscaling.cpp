// The real C++ autoscaling policies, callable from Python without a fleet: one sync at a time
// (decide) or a closed loop over a demand trace (run_trace, what `wsfleet autoscale` prints).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/autoscaling/trace_loop.hpp"
#include "models/autoscaling_policy.hpp"
#include "python/bindings/registration.hpp"

namespace py = pybind11;

namespace wsfleet::python {

namespace {

/// One policy object with its state (windows, events, alarms): one per controller.
struct PyAutoscalingPolicy {
  std::unique_ptr<models::AutoscalingPolicy> policy;
};

models::ReplicaPhase phase_of(const std::string& text) {
  if (text == "running") return models::ReplicaPhase::Running;
  if (text == "pending") return models::ReplicaPhase::Pending;
  if (text == "terminating") return models::ReplicaPhase::Terminating;
  throw py::value_error("phase must be 'running', 'pending' or 'terminating' (got '" + text + "')");
}

const char* outcome_name(models::ScaleOutcome o) {
  switch (o) {
    case models::ScaleOutcome::ScaleUp: return "scale_up";
    case models::ScaleOutcome::ScaleDown: return "scale_down";
    case models::ScaleOutcome::NoChange: break;
  }
  return "no_change";
}

}  // namespace

void register_autoscaling(py::module_& m) {
  m.def(
      "autoscaling_policies",
      [] { return policy_infos(models::autoscaling_policies()); },
      "Every autoscaling policy: name, summary, params");

  py::class_<PyAutoscalingPolicy>(m, "AutoscalingPolicy")
      .def(py::init([](const std::string& name, const models::Params& params) {
             return PyAutoscalingPolicy{models::make_autoscaling_policy(name, params)};
           }),
           py::arg("name"), py::arg("params") = models::Params{})
      .def_property_readonly("name", [](const PyAutoscalingPolicy& p) { return p.policy->name(); })
      .def_property_readonly("sync_period_s", [](const PyAutoscalingPolicy& p) { return sim::to_seconds(p.policy->sync_period()); })
      .def_property_readonly("min_replicas", [](const PyAutoscalingPolicy& p) { return p.policy->min_replicas(); })
      .def_property_readonly("max_replicas", [](const PyAutoscalingPolicy& p) { return p.policy->max_replicas(); })
      .def(
          "decide",
          [](PyAutoscalingPolicy& p, double now_s, std::int32_t replicas, const std::vector<std::optional<double>>& values,
             std::optional<std::vector<std::string>> phase, std::optional<std::vector<bool>> ready,
             std::optional<std::vector<double>> start_s, std::optional<std::vector<double>> ready_since_s,
             std::optional<std::vector<double>> capacity, bool cpu, std::optional<double> window_s) {
            const std::size_t n = values.size();
            auto check_len = [n](std::size_t size, const char* what) {
              if (size != n) throw py::value_error(std::string(what) + " must have one entry per replica (as values)");
            };
            auto finite = [](double v, const char* what) {
              if (!std::isfinite(v)) throw py::value_error(std::string(what) + " must be finite");
              return v;
            };
            if (!std::isfinite(now_s)) throw py::value_error("now_s must be finite");
            models::AutoscalingInput in;
            in.now = sim::from_seconds(now_s);
            in.replicas = replicas;
            in.metric_is_cpu = {cpu};
            in.metric_window = window_s ? sim::from_seconds(finite(*window_s, "window_s")) : p.policy->sync_period();
            if (phase) check_len(phase->size(), "phase");
            if (ready) check_len(ready->size(), "ready");
            if (start_s) check_len(start_s->size(), "start_s");
            if (ready_since_s) check_len(ready_since_s->size(), "ready_since_s");
            if (capacity) check_len(capacity->size(), "capacity");
            for (std::size_t i = 0; i < n; ++i) {
              models::ReplicaView pod;
              pod.phase = phase ? phase_of((*phase)[i]) : models::ReplicaPhase::Running;
              pod.ready = ready ? static_cast<bool>((*ready)[i]) : pod.phase == models::ReplicaPhase::Running;
              pod.start_time = start_s ? sim::from_seconds(finite((*start_s)[i], "start_s")) : -86400 * sim::kNanosPerSecond;
              pod.ready_transition =
                  ready_since_s ? sim::from_seconds(finite((*ready_since_s)[i], "ready_since_s")) : pod.start_time;
              pod.capacity = capacity ? finite((*capacity)[i], "capacity") : 1.0;
              if (values[i]) finite(*values[i], "values");
              pod.metrics = {values[i]};
              in.pods.push_back(pod);
            }
            const models::AutoscalingDecision d = p.policy->decide(in);
            py::dict out;
            out["desired"] = d.desired;
            out["recommendation"] = d.recommendation;
            out["usage_ratio"] = d.usage_ratio;
            out["metric_value"] = d.metric_value;
            out["limited"] = d.limited;
            out["had_metrics"] = d.had_metrics;
            out["outcome"] = outcome_name(d.outcome);
            return out;
          },
          py::arg("now_s"), py::arg("replicas"), py::arg("values"), py::kw_only(), py::arg("phase") = py::none(),
          py::arg("ready") = py::none(), py::arg("start_s") = py::none(), py::arg("ready_since_s") = py::none(),
          py::arg("capacity") = py::none(), py::arg("cpu") = true, py::arg("window_s") = py::none(),
          "One sync at now_s: the replica count it sets, with its recommendation, usage ratio, metric value, "
          "whether a limit applied and the outcome")
      .def(
          "run_trace",
          [](PyAutoscalingPolicy& p, const std::vector<double>& times_s, const std::vector<double>& demand,
             std::int32_t replicas, double ready_after_s, double capacity, bool cpu) {
            if (times_s.size() != demand.size()) throw py::value_error("times_s and demand must have the same length");
            std::vector<models::DemandPoint> trace;
            for (std::size_t i = 0; i < times_s.size(); ++i) {
              if (!std::isfinite(times_s[i]) || times_s[i] < 0 || (i > 0 && !(times_s[i] > times_s[i - 1]))) {
                throw py::value_error("times_s must be finite, >= 0 and increasing");
              }
              if (!std::isfinite(demand[i]) || demand[i] < 0) throw py::value_error("demand must be finite and >= 0");
              trace.push_back({times_s[i], demand[i]});
            }
            models::TraceLoopOptions o;
            o.replicas = replicas;
            o.ready_after_s = ready_after_s;
            o.capacity = capacity;
            o.cpu = cpu;
            const auto rows = models::run_trace_loop(*p.policy, trace, o);
            py::dict out;
            std::vector<double> t, u;
            std::vector<std::int32_t> desired, reps, ready;
            for (const auto& r : rows) {
              t.push_back(r.time_s);
              u.push_back(r.utilization);
              desired.push_back(r.desired);
              reps.push_back(r.replicas);
              ready.push_back(r.ready);
            }
            out["time_s"] = t;
            out["utilization"] = u;
            out["desired"] = desired;
            out["replicas"] = reps;
            out["ready"] = ready;
            return out;
          },
          py::arg("times_s"), py::arg("demand"), py::arg("replicas") = 1, py::arg("ready_after_s") = 0.0,
          py::arg("capacity") = 1.0, py::arg("cpu") = true,
          "The closed loop of `wsfleet autoscale` over a demand trace: columns time_s, utilization, desired, "
          "replicas, ready");
}

}  // namespace wsfleet::python
