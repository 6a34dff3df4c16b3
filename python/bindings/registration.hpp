#pragma once
#include <pybind11/pybind11.h>

#include <vector>

#include "models/policy_params.hpp"

namespace wsfleet::python {
/// A registry's policies as Python dicts: name, summary and params (name, default, min, max, integer, help).
pybind11::list policy_infos(const std::vector<models::PolicyInfo>& infos);
/// ScenarioError, ConservationError and the translation of C++ exceptions.
void register_errors(pybind11::module_& m);
/// Scenario loading and fleet runs.
void register_run(pybind11::module_& m);
/// Balancing and backoff policies, callable directly.
void register_policies(pybind11::module_& m);
void register_heartbeat(pybind11::module_& m);
/// Autoscaling policies, callable directly (models/autoscaling).
void register_autoscaling(pybind11::module_& m);
/// Request-level routing runs (models/requests).
void register_requests(pybind11::module_& m);
}  // namespace wsfleet::python
