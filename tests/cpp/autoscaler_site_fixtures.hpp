#pragma once
// Helpers shared by the per-site autoscaler tests (test_autoscaler_sites*.cpp): two sites as TOML,
// the HPA's parameters, and a site's outcome in a run's summary.
#include <stdexcept>
#include <string>

#include "models/autoscaling_policy.hpp"
#include "models/fleet.hpp"
#include "tests/cpp/catch.hpp"

namespace wsfleet::testing {

/// Two sites of one server each, a (5 ms) and b (9 ms), one client region eu: as TOML.
inline const std::string kTwoSites = R"(
[topology]
[[topology.links]]
between = ["eu", "a"]
latency_ms = 5
[[topology.links]]
between = ["eu", "b"]
latency_ms = 9
[[topology.sites]]
name = "a"
servers = 1
[[topology.sites]]
name = "b"
servers = 1
[[topology.regions]]
name = "eu"
share = 1.0
)";

inline models::Params hpa_params(double min, double max) {
  const auto* info = models::find_policy(models::autoscaling_policies(), "kubernetes_hpa");
  return models::resolve_params("kubernetes_hpa", info->params,
                                {{"target_utilization_pct", 60}, {"min_replicas", min}, {"max_replicas", max}});
}

inline const models::AutoscalerSiteOutcome& site(const models::RunResult& r, const std::string& name) {
  for (const auto& s : r.summary.autoscaler.sites) {
    if (s.site == name) return s;
  }
  FAIL("no autoscaler site " << name);
  throw std::logic_error("unreachable");
}

}  // namespace wsfleet::testing
