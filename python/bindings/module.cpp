// The private extension module wsfleet._core: each area registers itself from its own file.
#include <pybind11/pybind11.h>

#include "python/bindings/registration.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "wsfleet's C++ engine (private: use the wsfleet package)";
  wsfleet::python::register_errors(m);
  wsfleet::python::register_run(m);
  wsfleet::python::register_policies(m);
  wsfleet::python::register_heartbeat(m);
  wsfleet::python::register_autoscaling(m);
  wsfleet::python::register_requests(m);
}
