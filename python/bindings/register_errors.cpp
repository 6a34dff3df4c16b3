#include <pybind11/pybind11.h>

#include "experiments/scenario_loader.hpp"
#include "models/fleet.hpp"
#include "models/policy_params.hpp"
#include "python/bindings/registration.hpp"

namespace py = pybind11;

namespace wsfleet::python {

namespace {
// Exception types live as long as the interpreter; plain pointers avoid static destructors.
PyObject* g_scenario_error = nullptr;
PyObject* g_conservation_error = nullptr;
}  // namespace

void register_errors(py::module_& m) {
  g_scenario_error = PyErr_NewExceptionWithDoc(
      "wsfleet._core.ScenarioError",
      "A scenario file, string or override is invalid. Attributes: file, line, column (0 when unknown), key.",
      PyExc_ValueError, nullptr);
  g_conservation_error = PyErr_NewExceptionWithDoc(
      "wsfleet._core.ConservationError",
      "An end-of-run invariant failed: every attempt and message must be accounted for.", PyExc_RuntimeError, nullptr);
  m.add_object("ScenarioError", py::reinterpret_borrow<py::object>(g_scenario_error));
  m.add_object("ConservationError", py::reinterpret_borrow<py::object>(g_conservation_error));
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const experiments::ScenarioError& e) {
      py::object inst = py::reinterpret_borrow<py::object>(g_scenario_error)(e.what());
      inst.attr("file") = e.file();
      inst.attr("line") = e.line();
      inst.attr("column") = e.column();
      inst.attr("key") = e.key();
      PyErr_SetObject(g_scenario_error, inst.ptr());
    } catch (const models::ConservationError& e) {
      PyErr_SetString(g_conservation_error, e.what());
    } catch (const models::ParamError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });
}

}  // namespace wsfleet::python
