// [autoscaler]: a controller of models/autoscaling that adds and removes servers (docs/autoscaling.md).
#include "experiments/distribution_keys.hpp"
#include "experiments/schema/limits.hpp"
#include "experiments/schema/schema.hpp"
#include "models/autoscaling_policy.hpp"
#include "models/fleet_config.hpp"

namespace wsfleet::experiments::schema {

namespace {

// autoscaler.provisioning: {distribution = NAME, its parameters}.
std::string provisioning_json() {
  std::string kinds, params;
  for (const DistributionKeys& d : distribution_keys()) {
    if (d.kind == sim::Distribution::Kind::Never) continue;
    kinds += std::string(kinds.empty() ? "" : ", ") + "\"" + d.name + "\"";
    for (const std::string& p : d.keys) {
      if (params.find("\"" + p + "\"") == std::string::npos) params += ", \"" + p + "\": {\"type\": \"number\", \"minimum\": 0}";
    }
  }
  return R"({"type": "object", "required": ["distribution"], "additionalProperties": false, )"
         R"("properties": {"distribution": {"enum": [)" + kinds + "]}" + params + "}}";
}

Section autoscaler() {
  using A = models::AutoscalerSection;
  Key policy = manual("policy", KeyType::Choice, "the autoscaling policy (wsfleet list); the section turns the autoscaler on");
  for (const models::PolicyInfo& info : models::autoscaling_policies()) policy.choices.push_back(info.name);
  policy.default_note = "required when the section is given";
  Key klass = manual("class", KeyType::String, "the [[fleet.classes]] name of the servers it adds");
  klass.default_note = "the last class";
  Key provisioning = manual("provisioning", KeyType::Special,
                            "boot and image pull of a new server: {distribution = \"constant\", value_s = 60}; also "
                            "exponential (mean_s), uniform (low_s, high_s), lognormal (mean_s, stddev_s), pareto (scale_s, shape)",
                            "{ distribution = \"constant\", value_s = 60.0 }");
  provisioning.unit = "s";
  provisioning.json = provisioning_json();
  return {"autoscaler", false,
          "An autoscaler: a real controller (Kubernetes HPA, AWS target tracking, KEDA, step scaling) observes the "
          "servers every sync and adds or drains servers; a new one boots, passes its readiness probe, then joins the "
          "balancers (docs/autoscaling.md).",
          {policy,
           choice("metric", &A::metric, {"cpu", "connections", "memory", "buffered_bytes", "p99_latency"},
                  "what it scales on: cores busy (capacity: the server's cores), open connections (capacity: the "
                  "connection limit), memory MiB (capacity: the memory limit), send-buffer bytes ([pubsub]), the 99th "
                  "percentile of message latency over the sync period in ms (a custom metric: use an average-value target)"),
           klass, provisioning,
           number("readiness_delay_s", &A::readiness_delay_s, between(0.0, kMaxDurationS),
                  "from a booted server's start to its readiness probe passing (then it joins the balancers)"),
           number("drain_timeout_s", &A::drain_timeout_s, between(0.0, kMaxDurationS),
                  "a server removed by a scale-in closes what it still holds after this (terminationGracePeriodSeconds)"),
           table_array("sites", "with [[topology.sites]]: one site's own min_replicas / max_replicas (every site has its own "
                                "autoscaler; without an entry a site takes the section's)")},
          true, "the policy's parameters (wsfleet list), numbers; max_replicas reserves 2 x max_replicas server slots"};
}

Section sites() {
  using S = models::AutoscalerSite;
  return {"autoscaler.sites", true,
          "One site's bounds: with [[topology.sites]] every site's servers form their own autoscaled group (one HPA per "
          "cluster), with the section's policy and settings and these bounds.",
          {required(by_hand(text("site", &S::site, "a [[topology.sites]] name (each at most once)"))),
           by_hand(optional_number("min_replicas", &S::min_replicas, between(0.0, 100000.0),
                                   "its minimum (KEDA: its min_replica_count; 0 only with keda, which wakes the site on "
                                   "its own clients' attempts)", "the section's")),
           by_hand(optional_number("max_replicas", &S::max_replicas, between(1.0, 100000.0),
                                   "its maximum (reserves 2 x max_replicas server slots in the site)", "the section's"))},
          false, ""};
}

}  // namespace

std::vector<Section> autoscaler_sections() { return {autoscaler(), sites()}; }

}  // namespace wsfleet::experiments::schema
