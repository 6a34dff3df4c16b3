// The real C++ balancing and backoff policies, callable from Python without a simulation.
#include <optional>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>

#include "models/backoff/presets/connect_timeout.hpp"
#include "models/backoff_policy.hpp"
#include "models/balancing_policy.hpp"
#include "models/load_balancer.hpp"
#include "python/bindings/registration.hpp"

namespace py = pybind11;

namespace wsfleet::python {

py::list policy_infos(const std::vector<models::PolicyInfo>& infos) {
  py::list out;
  for (const auto& p : infos) {
    py::list params;
    for (const auto& s : p.params) {
      py::dict d;
      d["name"] = s.name;
      d["default"] = s.default_value;
      d["min"] = s.min_value;
      d["max"] = s.max_value;
      d["integer"] = s.integer;
      d["help"] = s.help;
      params.append(d);
    }
    py::dict d;
    d["name"] = p.name;
    d["summary"] = p.summary;
    d["params"] = params;
    out.append(d);
  }
  return out;
}

namespace {

/// A policy plus its own random stream, for picking on a fleet state given from Python.
struct PyBalancingPolicy {
  std::unique_ptr<models::BalancingPolicy> policy;
  sim::Rng rng;
};

/// A backoff policy; draws use the same stream name as the simulation's clients.
struct PyBackoffPolicy {
  std::unique_ptr<models::BackoffPolicy> policy;
};

/// `after` of sample_ms / sequence_ms, like `wsfleet backoff --after`.
models::RetryCause retry_cause_after(const std::string& after) {
  if (after == "loss") return models::RetryCause::ConnectionLost;
  if (after == "failure") return models::RetryCause::AttemptFailed;
  throw py::value_error("after must be 'loss' or 'failure' (got '" + after + "')");
}

}  // namespace

void register_policies(py::module_& m) {
  m.def("balancing_policies", [] { return policy_infos(models::balancing_policies()); },
        "Every balancing policy: name, summary, params");
  m.def("balancing_presets", [] { return policy_infos(models::balancing_presets()); },
        "The balancing policies that reproduce real software (a subset of balancing_policies())");
  m.def("backoff_policies", [] { return policy_infos(models::backoff_policies()); },
        "Every backoff policy: name, summary, params");
  m.def(
      "backoff_client_presets",
      [] {
        py::list out;
        for (const auto& p : models::backoff_client_presets()) {
          py::dict d;
          d["name"] = p.name;
          d["library"] = p.library;
          d["source"] = p.source;
          // The library's per-attempt connect timeout (s), None when it has none of its own.
          const auto timeout = models::preset_connect_timeout(p.name, models::Params{});
          d["connect_timeout_s"] = timeout ? py::cast(timeout->timeout_s) : py::none();
          d["honours_retry_after"] = p.honours_retry_after;
          out.append(d);
        }
        return out;
      },
      "The backoff policies that reproduce a client library: name, library, source, connect_timeout_s, "
      "honours_retry_after");

  m.def("backoff_honours_retry_after", &models::backoff_honours_retry_after, py::arg("name"),
        "Whether clients of backoff policy `name` wait for a shedding server's Retry-After by default "
        "(clients.honour_retry_after = \"preset\")");

  py::class_<PyBalancingPolicy>(m, "BalancingPolicy")
      .def(py::init([](const std::string& name, const models::Params& params, std::uint64_t seed) {
             return PyBalancingPolicy{models::make_balancing_policy(name, params),
                                      sim::StreamFactory(seed, 0).stream("balancer")};
           }),
           py::arg("name"), py::arg("params") = models::Params{}, py::arg("seed") = 1)
      .def_property_readonly("name", [](const PyBalancingPolicy& p) { return p.policy->name(); })
      .def("pick",
           [](PyBalancingPolicy& p, const std::vector<std::int64_t>& active_connections,
              std::optional<std::vector<double>> weights, std::optional<std::vector<bool>> eligible,
              std::optional<std::vector<double>> cpu_utilisation, std::optional<std::vector<double>> response_time_s,
              std::uint64_t key, std::optional<std::vector<double>> memory_utilisation,
              std::optional<std::vector<double>> bandwidth_bps, std::optional<std::vector<std::int64_t>> max_connections,
              std::optional<std::vector<std::int64_t>> queued, std::optional<std::vector<std::int64_t>> inactive_connections,
              std::optional<std::vector<std::vector<double>>> metrics, std::optional<std::vector<std::uint64_t>> ids) {
             const std::size_t n = active_connections.size();
             std::vector<models::BackendState> backends(n);
             // Copies one optional per-backend column into the states, checking its length.
             auto column = [&](const auto& values, const char* what, auto assign) {
               if (!values) return;
               if (values->size() != n) throw py::value_error(std::string(what) + " must have one entry per backend");
               for (std::size_t i = 0; i < n; ++i) assign(backends[i], (*values)[i]);
             };
             auto non_negative = [](std::int64_t v, const char* what) {
               if (v < 0) throw py::value_error(std::string(what) + " must be >= 0");
               return v;
             };
             for (std::size_t i = 0; i < n; ++i) {
               backends[i].active_connections = non_negative(active_connections[i], "active_connections");
               backends[i].id = i;
             }
             column(weights, "weights", [](auto& b, double v) {
               if (!(v > 0)) throw py::value_error("weights must be > 0");
               b.weight = v;
             });
             column(eligible, "eligible", [](auto& b, bool v) { b.eligible = v; });
             column(cpu_utilisation, "cpu_utilisation", [](auto& b, double v) { b.cpu_utilisation = v; });
             column(response_time_s, "response_time_s", [](auto& b, double v) { b.response_time_s = v; });
             column(memory_utilisation, "memory_utilisation", [](auto& b, double v) { b.memory_utilisation = v; });
             column(bandwidth_bps, "bandwidth_bps", [](auto& b, double v) { b.bandwidth_bps = v; });
             column(max_connections, "max_connections",
                    [&](auto& b, std::int64_t v) { b.max_connections = non_negative(v, "max_connections"); });
             column(queued, "queued", [&](auto& b, std::int64_t v) { b.queued = non_negative(v, "queued"); });
             column(inactive_connections, "inactive_connections",
                    [&](auto& b, std::int64_t v) { b.inactive_connections = non_negative(v, "inactive_connections"); });
             column(metrics, "metrics", [](auto& b, const std::vector<double>& v) { b.metrics = v; });
             column(ids, "ids", [](auto& b, std::uint64_t v) { b.id = v; });
             p.policy->on_backends_changed(backends);
             return p.policy->pick(backends, models::PickRequest{key}, p.rng);
           },
           py::arg("active_connections"), py::arg("weights") = py::none(), py::arg("eligible") = py::none(),
           py::arg("cpu_utilisation") = py::none(), py::arg("response_time_s") = py::none(), py::arg("key") = 0,
           py::arg("memory_utilisation") = py::none(), py::arg("bandwidth_bps") = py::none(),
           py::arg("max_connections") = py::none(), py::arg("queued") = py::none(),
           py::arg("inactive_connections") = py::none(), py::arg("metrics") = py::none(), py::arg("ids") = py::none(),
           "Index of the backend the policy picks for this fleet state, or -1 if none is eligible")
      .def("on_failure", [](PyBalancingPolicy& p, std::size_t backend) { p.policy->on_failure(backend); },
           py::arg("backend"), "Reports a failed connection attempt to `backend` (NGINX lowers its effective weight)");

  py::class_<models::LoadBalancer>(m, "LoadBalancer")
      .def(py::init([](const std::string& name, const std::vector<double>& weights, const models::Params& params,
                       std::uint64_t seed) {
             return std::make_unique<models::LoadBalancer>(models::make_balancing_policy(name, params), weights,
                                                           sim::StreamFactory(seed, 0).stream("balancer"));
           }),
           py::arg("name"), py::arg("weights"), py::arg("params") = models::Params{}, py::arg("seed") = 1)
      .def("pick", &models::LoadBalancer::pick, py::arg("key") = 0)
      .def("connection_opened", &models::LoadBalancer::connection_opened, py::arg("backend"))
      .def("connection_closed", [](models::LoadBalancer& lb, int backend) { lb.connection_closed(backend); },
           py::arg("backend"))
      .def("set_eligible", &models::LoadBalancer::set_eligible, py::arg("backend"), py::arg("eligible"))
      .def("picks",
           [](models::LoadBalancer& lb, std::size_t n) {
             // Exactly what `wsfleet balance` does: pick i is keyed by mix64(i) and stays open.
             std::vector<int> out;
             out.reserve(n);
             for (std::size_t i = 0; i < n; ++i) {
               const int b = lb.pick(sim::mix64(i));
               out.push_back(b);
               if (b >= 0) lb.connection_opened(b);
             }
             return out;
           },
           py::arg("n"))
      .def_property_readonly("active_connections", [](const models::LoadBalancer& lb) {
        std::vector<std::int64_t> out;
        for (const auto& b : lb.backends()) out.push_back(b.active_connections);
        return out;
      })
      .def_property_readonly("policy", &models::LoadBalancer::policy_name);

  py::class_<PyBackoffPolicy>(m, "BackoffPolicy")
      .def(py::init([](const std::string& name, const models::Params& params) {
             return PyBackoffPolicy{models::make_backoff_policy(name, params)};
           }),
           py::arg("name"), py::arg("params") = models::Params{})
      .def_property_readonly("name", [](const PyBackoffPolicy& p) { return p.policy->name(); })
      .def_property_readonly("max_retries", [](const PyBackoffPolicy& p) { return p.policy->max_retries(); })
      .def("sample_ms",
           [](const PyBackoffPolicy& p, std::uint32_t attempt, std::size_t samples, std::uint64_t seed,
              const std::string& after) {
             sim::Rng rng = sim::StreamFactory(seed, 0).stream("clients.backoff");
             const auto d = models::sample_backoff_delays(*p.policy, attempt, samples, rng, retry_cause_after(after));
             py::array_t<double> out(static_cast<py::ssize_t>(d.size()));
             auto v = out.mutable_unchecked<1>();
             for (std::size_t i = 0; i < d.size(); ++i) v(static_cast<py::ssize_t>(i)) = sim::to_millis(d[i]);
             return out;
           },
           py::arg("attempt"), py::arg("samples"), py::arg("seed") = 1, py::arg("after") = "loss",
           "Delays (ms) for retry number `attempt`, as `wsfleet backoff` prints them (after: 'loss' or 'failure')")
      .def("sequence_ms",
           [](const PyBackoffPolicy& p, std::uint32_t retries, std::uint64_t seed, const std::string& after) {
             sim::Rng rng = sim::StreamFactory(seed, 0).stream("clients.backoff");
             std::vector<double> out;
             for (const auto d : models::backoff_sequence(*p.policy, retries, rng, retry_cause_after(after))) {
               out.push_back(sim::to_millis(d));
             }
             return out;
           },
           py::arg("retries"), py::arg("seed") = 1, py::arg("after") = "loss",
           "One client's delays (ms) over consecutive failed retries; shorter if the policy gives up first");
}

}  // namespace wsfleet::python
