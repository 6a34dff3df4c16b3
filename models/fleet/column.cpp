#include "models/fleet/column.hpp"

#include "models/run_summary.hpp"

namespace wsfleet::models::timeseries {

Features Features::of(const RunSummary& s) {
  return {s.pubsub.enabled, !s.deploys.empty(), s.autoscaler.enabled, s.sites.size() > 1, s.classes.size() > 1};
}

bool Features::has(When when) const {
  switch (when) {
    case When::Always: return true;
    case When::PubSub: return pubsub;
    case When::Deploys: return deploys;
    case When::Autoscaler: return autoscaler;
    case When::Sites: return sites;
    case When::Classes: return classes;
  }
  return false;
}

const char* scope_name(Scope scope) {
  switch (scope) {
    case Scope::Fleet: return "fleet";
    case Scope::Server: return "server";
    case Scope::Balancer: return "balancer";
    case Scope::Site: return "site";
    case Scope::Class: return "class";
  }
  return "fleet";
}

}  // namespace wsfleet::models::timeseries
