// Request-level routing (models/requests) from Python: one run, returned as a dict.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "models/requests/request_routing.hpp"
#include "python/bindings/registration.hpp"

namespace py = pybind11;

namespace wsfleet::python {

namespace {

/// A distribution from its scenario-file kind name and factory parameters; ValueError naming `arg`.
sim::Distribution distribution(const std::string& arg, const std::string& kind, const std::vector<double>& params) {
  const auto& names = sim::Distribution::kind_names();
  for (std::size_t k = 0; k < names.size(); ++k) {
    if (names[k] != kind) continue;
    try {
      return sim::Distribution::make(static_cast<sim::Distribution::Kind>(k), params);
    } catch (const std::invalid_argument& e) {
      throw py::value_error(arg + ": " + e.what());
    }
  }
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  throw py::value_error(arg + ": unknown distribution '" + kind + "'; known: " + known);
}

}  // namespace

void register_requests(py::module_& m) {
  m.def(
      "route_requests",
      [](std::int64_t servers, std::int64_t cores, const std::string& interarrival,
         const std::vector<double>& interarrival_params, const std::string& service,
         const std::vector<double>& service_params, const std::string& policy, const models::Params& params,
         double duration_s, double warmup_s, std::uint64_t seed, std::uint64_t replication) {
        models::RequestRoutingConfig cfg;
        cfg.servers = servers;
        cfg.cores = cores;
        cfg.interarrival_s = distribution("interarrival", interarrival, interarrival_params);
        cfg.service_s = distribution("service", service, service_params);
        cfg.policy = policy;
        cfg.params = params;
        cfg.duration_s = duration_s;
        cfg.warmup_s = warmup_s;
        cfg.seed = seed;
        cfg.replication = replication;
        models::RequestRoutingResult r;
        {
          py::gil_scoped_release release;
          r = models::route_requests(cfg);  // std::invalid_argument -> ValueError
        }
        py::dict d;
        d["arrived"] = r.arrived;
        d["completed"] = r.completed;
        d["in_flight"] = r.in_flight;
        d["conserved"] = r.conserved;
        d["measured"] = r.measured;
        d["mean_response_s"] = r.mean_response_s;
        d["p50_response_s"] = r.p50_response_s;
        d["p99_response_s"] = r.p99_response_s;
        d["max_response_s"] = r.max_response_s;
        d["utilisation"] = r.utilisation;
        d["served"] = r.served;
        d["share_at_least"] = r.share_at_least;
        d["mean_outstanding"] = r.mean_outstanding;
        return d;
      },
      py::arg("servers"), py::arg("cores"), py::arg("interarrival"), py::arg("interarrival_params"),
      py::arg("service"), py::arg("service_params"), py::arg("policy"), py::arg("params"), py::arg("duration_s"),
      py::arg("warmup_s"), py::arg("seed"), py::arg("replication"),
      "One request-level routing run (distributions by kind name and factory parameters, seconds); a dict");
}

}  // namespace wsfleet::python
