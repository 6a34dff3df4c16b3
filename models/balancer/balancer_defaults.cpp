#include "models/balancer/balancer_defaults.hpp"

namespace wsfleet::models {

namespace {

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

}  // namespace

std::string balancer_software(const std::string& policy) {
  if (starts_with(policy, "nginx_")) return "NGINX";
  if (starts_with(policy, "haproxy_")) return "HAProxy";
  if (starts_with(policy, "envoy_")) return "Envoy";
  if (starts_with(policy, "ipvs_")) return "kube-proxy (IPVS)";
  if (starts_with(policy, "aws_alb")) return "AWS ALB";
  return "";
}

BalancerSection balancer_defaults(const std::string& policy) {
  BalancerSection b;
  const std::string software = balancer_software(policy);
  if (software == "NGINX") {
    // Open-source NGINX has no active checks: max_fails=1 fail_timeout=10s, and
    // proxy_next_upstream error timeout with proxy_next_upstream_tries 0 (every peer may be tried).
    b.health_check.mode = HealthCheckMode::None;
    b.passive = {1, 10.0};
    b.tries = 0;
    b.idle_timeout_s = 60.0;  // proxy_read_timeout: an idle proxied WebSocket is cut after 60 s
    b.connect_timeout_s = 60.0;  // proxy_connect_timeout (default 60 s)
  } else if (software == "HAProxy") {
    // `check` with the defaults inter 2000ms fall 3 rise 2. `retries 3` (to the same server, as
    // `option redispatch` is off by default) and the maxconn queue are the preset's parameters
    // (models/balancer/haproxy_backend.hpp); balancer.tries does not apply.
    b.health_check = {HealthCheckMode::Active, 2.0, 2.0, 3, 2};
    b.passive = {0, 10.0};
    b.tries = 1;
  } else if (software == "Envoy") {
    // No active health checking and no outlier detection unless configured (the preset's
    // consecutive_5xx parameter turns Envoy's outlier detection on: models/balancer/envoy_outlier.hpp).
    b.health_check.mode = HealthCheckMode::None;
    b.passive = {0, 30.0};
    b.tries = 1;
    b.idle_timeout_s = 300.0;  // the HTTP connection manager's stream_idle_timeout (5 min) covers upgraded streams
    b.connect_timeout_s = 5.0;  // the cluster's connect_timeout (default 5 s)
  } else if (software == "kube-proxy (IPVS)") {
    // Endpoints leave the IPVS table when the pod's readiness probe fails: periodSeconds 10,
    // timeoutSeconds 1, failureThreshold 3, successThreshold 1.
    b.health_check = {HealthCheckMode::Active, 10.0, 1.0, 3, 1};
    b.passive = {0, 10.0};
    b.tries = 1;
    b.idle_timeout_s = 900.0;  // IPVS's established-TCP timeout
    b.connect_timeout_s = 0.0;  // L4 forwarding (DNAT): no connect of its own; the client's SYN goes to the pod
  } else if (software == "AWS ALB") {
    // Target group defaults: interval 30 s, timeout 5 s, unhealthy threshold 2, healthy threshold 5.
    b.health_check = {HealthCheckMode::Active, 30.0, 5.0, 2, 5};
    b.passive = {0, 10.0};
    b.tries = 1;
    b.idle_timeout_s = 60.0;  // the load balancer's idle timeout attribute
    b.connect_timeout_s = 10.0;  // a target that does not accept the connection within 10 s: HTTP 504
  }
  return b;
}

}  // namespace wsfleet::models
