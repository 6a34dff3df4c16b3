#pragma once
// The balancer settings each real balancer ships with. A scenario that picks a preset policy
// (nginx_*, haproxy_*, envoy_*, ipvs_*, aws_alb) starts from that software's defaults for health
// checks, passive failure detection and retries; keys the scenario gives override them.
#include <string>

#include "models/fleet_config.hpp"

namespace wsfleet::models {

/// The [balancer] section a scenario starts from when it names `policy` (policy and params are left
/// for the caller). Generic algorithms get wsfleet's defaults (HAProxy-like active checks).
BalancerSection balancer_defaults(const std::string& policy);

/// The software a preset policy imitates ("NGINX", "HAProxy", ...), or "" for a generic algorithm.
std::string balancer_software(const std::string& policy);

}  // namespace wsfleet::models
