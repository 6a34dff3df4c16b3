// Scenario runs from Python: the same loader, engine and writers as the CLI, so results agree bit for bit.
#include <utility>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "experiments/result_writer.hpp"
#include "experiments/scenario_loader.hpp"
#include "experiments/schema/schema_export.hpp"
#include "experiments/summary_schema.hpp"
#include "experiments/timeseries_schema.hpp"
#include "models/fleet.hpp"
#include "python/bindings/registration.hpp"

namespace py = pybind11;

namespace wsfleet::python {

namespace {

/// A finished run, kept in C++ so that saving it writes exactly what the CLI writes.
struct PyRunResult {
  models::FleetConfig config;
  models::RunResult result;
};

/// Column name -> values: numpy arrays, or with numpy = false the standard library's array('d'),
/// for a process that reads a few values and should not load numpy (a sweep's worker).
py::dict columns_of(const sim::TimeSeries& ts, bool numpy) {
  py::dict out;
  const py::object std_array = numpy ? py::object() : py::module_::import("array").attr("array");
  for (std::size_t c = 0; c < ts.columns().size(); ++c) {
    const auto& v = ts.column(c);
    if (numpy) {
      out[py::str(ts.columns()[c])] = py::array_t<double>(static_cast<py::ssize_t>(v.size()), v.data());
    } else {
      py::object column = std_array("d");
      column.attr("frombytes")(py::bytes(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double)));
      out[py::str(ts.columns()[c])] = column;
    }
  }
  return out;
}

/// The engine calls the hook every kHookEveryEvents events; the hook goes to Python (takes the GIL)
/// only when kHookInterval has passed since it last did. An event of this engine can stand for
/// many messages (from ~10k to ~10M events per second of wall time, by scenario), so only a clock
/// keeps Ctrl-C prompt everywhere: a clock read per 256 events costs nothing measurable, and Python
/// is entered at most 20 times a second.
constexpr std::uint64_t kHookEveryEvents = 256;
constexpr std::chrono::milliseconds kHookInterval{50};

/// Runs with the GIL released. Every kHookInterval (see above) the hook takes the GIL, lets Python
/// handle pending signals (Ctrl-C, a notebook's interrupt: the KeyboardInterrupt propagates out of
/// the run as error_already_set and the run is abandoned), then calls `progress(simulated_s, end_s,
/// events)` when one was given. The hook only reads the clocks: the run's results are the same with
/// or without it.
std::shared_ptr<PyRunResult> run_config(models::FleetConfig cfg, const py::object& progress) {
  auto out = std::make_shared<PyRunResult>();
  out->config = std::move(cfg);
  auto fleet = std::make_unique<models::Fleet>(out->config);  // validates policies (ValueError)
  const double end_s = out->config.run.duration_s;
  const bool has_progress = !progress.is_none();
  auto last = std::chrono::steady_clock::now();
  {
    py::gil_scoped_release release;
    out->result = fleet->run([&](sim::SimTime now, std::uint64_t events) {
      const auto t = std::chrono::steady_clock::now();
      if (t - last < kHookInterval) return;
      last = t;
      py::gil_scoped_acquire acquire;
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (has_progress) progress(sim::to_seconds(now), end_s, events);
    }, kHookEveryEvents);
  }
  // The columns the sampler wrote are the declared ones (experiments/timeseries_schema.cpp), as the
  // CSV writer checks: Python's frames never hold a column the declaration lacks.
  experiments::timeseries::check(out->result);
  return out;
}

}  // namespace

void register_run(py::module_& m) {
  py::class_<PyRunResult, std::shared_ptr<PyRunResult>>(m, "RunResult", "A finished run (use wsfleet.run)")
      .def("summary_json", [](const PyRunResult& r) { return experiments::summary_json_text(r.result.summary); },
           "summary.json's text")
      .def("fleet_columns", [](const PyRunResult& r, bool numpy) { return columns_of(r.result.fleet, numpy); },
           py::arg("numpy") = true, "Fleet time series: column name -> numpy array (array('d') with numpy=False)")
      .def("server_columns", [](const PyRunResult& r, bool numpy) { return columns_of(r.result.servers, numpy); },
           py::arg("numpy") = true, "Per-server time series: column name -> numpy array (array('d') with numpy=False)")
      .def("balancer_columns", [](const PyRunResult& r, bool numpy) { return columns_of(r.result.balancers, numpy); },
           py::arg("numpy") = true, "Per-balancer time series: column name -> numpy array (array('d') with numpy=False)")
      .def("site_columns", [](const PyRunResult& r, bool numpy) { return columns_of(r.result.sites, numpy); },
           py::arg("numpy") = true, "Per-site time series (only with two or more sites): column name -> numpy array (array('d') with numpy=False)")
      .def("class_columns", [](const PyRunResult& r, bool numpy) { return columns_of(r.result.classes, numpy); },
           py::arg("numpy") = true, "Per-class time series (only with two or more [[fleet.classes]]): column name -> numpy array (array('d') with numpy=False)")
      .def("scenario_toml", [](const PyRunResult& r) { return experiments::scenario_to_toml(r.config); },
           "The effective scenario as TOML")
      .def("write", [](const PyRunResult& r, const std::string& dir) {
        experiments::write_run_directory(dir, r.config, r.result);
      }, py::arg("directory"), "Write summary.json, timeseries.csv and scenario.toml, as `wsfleet run --out` does");

  m.def("scenario_schema", [] { return experiments::schema::json_schema(); },
        "The JSON Schema of a scenario file (`wsfleet schema`), as text");
  m.def("summary_schema", [] { return experiments::summary::json_schema(); },
        "The JSON Schema of summary.json (`wsfleet schema --summary`), as text");
  m.def("timeseries_schema", [] { return experiments::timeseries::json_schema(); },
        "The JSON Schema of one row of timeseries.csv (`wsfleet schema --timeseries`), as text");
  m.def("load_scenario_text",
        [](const std::string& text, const std::string& source, const std::vector<std::string>& overrides) {
          return experiments::scenario_to_toml(experiments::load_scenario_string(text, source, overrides));
        },
        py::arg("text"), py::arg("source"), py::arg("overrides") = std::vector<std::string>{},
        "Validate a scenario; returns the effective scenario as TOML or raises ScenarioError");
  m.def("load_scenario_file",
        [](const std::string& path, const std::vector<std::string>& overrides) {
          return experiments::scenario_to_toml(experiments::load_scenario_file(path, overrides));
        },
        py::arg("path"), py::arg("overrides") = std::vector<std::string>{});
  m.def("run_text",
        [](const std::string& text, const std::string& source, const std::vector<std::string>& overrides,
           const py::object& progress) {
          return run_config(experiments::load_scenario_string(text, source, overrides), progress);
        },
        py::arg("text"), py::arg("source"), py::arg("overrides") = std::vector<std::string>{},
        py::arg("progress") = py::none(),
        "Run a scenario given as TOML text (the GIL is released while the engine runs; progress(simulated_s, "
        "end_s, events) is called every 50 ms of wall time, and Ctrl-C interrupts the run)");
  m.def("run_file",
        [](const std::string& path, const std::vector<std::string>& overrides, const py::object& progress) {
          return run_config(experiments::load_scenario_file(path, overrides), progress);
        },
        py::arg("path"), py::arg("overrides") = std::vector<std::string>{}, py::arg("progress") = py::none(),
        "Run a scenario file (the GIL is released while the engine runs; progress as in run_text)");
}

}  // namespace wsfleet::python
