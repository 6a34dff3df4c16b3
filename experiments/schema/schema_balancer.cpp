// [balancer], [balancer.health_check], [balancer.passive], [balancer.slow_start] and [backoff].
#include "experiments/schema/limits.hpp"
#include "experiments/schema/schema.hpp"
#include "models/backoff_policy.hpp"
#include "models/balancing_policy.hpp"
#include "models/fleet_config.hpp"

namespace wsfleet::experiments::schema {

namespace {

Key policy_key(const std::vector<models::PolicyInfo>& registry, const std::string& doc, const std::string& fallback) {
  Key k = manual("policy", KeyType::Choice, doc, toml_string(fallback));
  for (const models::PolicyInfo& info : registry) k.choices.push_back(info.name);
  return k;
}

Section balancer() {
  using B = models::BalancerSection;
  return {"balancer", false,
          "The balancer tier. A preset policy (nginx_*, haproxy_*, envoy_*, ipvs_*, aws_alb) brings its software's "
          "defaults for the keys left out; the defaults shown are those of the generic algorithms (docs/balancer.md).",
          {policy_key(models::balancing_policies(), "the balancing policy (wsfleet list)", models::BalancerSection{}.policy),
           integer("count", &B::count, 1, 64, "balancers side by side; clients pick one by DNS round robin"),
           integer("tries", &B::tries, 0, 1000000, "backends tried per connection when a try fails (NGINX proxy_next_upstream_tries); 0 = all"),
           integer("max_connections_per_backend", &B::max_connections_per_backend, 0, 1000000000,
                   "per balancer (NGINX max_conns, HAProxy maxconn); 0 = unlimited"),
           number("max_new_connections_per_s", &B::max_new_connections_per_s, between(0.0, kMaxRatePerS),
                  "per balancer, beyond it new connections are refused; 0 = unlimited"),
           integer("source_ports", &B::source_ports, 0, 65536,
                   "usable source ports per (balancer address, backend): Linux 32768-60999; 0 = unlimited"),
           integer("source_addresses", &B::source_addresses, 1, 65536, "source IP addresses each balancer connects from"),
           number("metrics_interval_s", &B::metrics_interval_s, between(kMinTimerS, kMaxDurationS),
                  "how often load reports (CPU, response time, traffic) reach the balancer"),
           choice("sticky", &B::sticky, {"none", "cookie", "source_ip"},
                  "session affinity: a cookie brings a client back to its server; source_ip: a stick table per balancer"),
           number("failover_s", &B::failover_s, at_least(0.0),
                  "after a balancer fails, clients keep resolving to it this long (DNS TTL)"),
           number("idle_timeout_s", &B::idle_timeout_s, at_least(0.0),
                  "the balancer cuts a connection with no frame for this long (ALB 60 s); 0 = never"),
           number("connect_timeout_s", &B::connect_timeout_s, at_least(0.0),
                  "its own connect to a server that does not answer (site_partition) fails after this, then the next "
                  "try or an error to the client (NGINX 60 s, Envoy 5 s, ALB 10 s; HAProxy presets: timeout_connect_s); "
                  "0 = L4 forwarding (IPVS): the client's own connect timeout"),
           table("health_check", "active health checks"),
           table("passive", "failures seen on real connection attempts"),
           table("slow_start", "how a (re)joining backend's weight ramps up")},
          true, "the policy's parameters (wsfleet list), numbers"};
}

Section health_check() {
  using H = models::HealthCheckSection;
  return {"balancer.health_check", false, "Active health checks (HAProxy `check inter fall rise`, ALB target groups).",
          {choice("mode", &H::mode, {"active", "instant", "none"},
                  "\"active\" probes; \"instant\" = an oracle that knows at once; \"none\" = passive only"),
           number("interval_s", &H::interval_s, between(kMinTimerS, kMaxDurationS), "between probes of one backend"),
           number("timeout_s", &H::timeout_s, between(1e-6, kMaxDurationS), "a probe not answered within this fails"),
           integer("fall", &H::fall, 1, 1000, "consecutive failed probes that mark a backend down"),
           integer("rise", &H::rise, 1, 1000, "consecutive passed probes that mark it up again")},
          false, ""};
}

Section passive() {
  using P = models::PassiveSection;
  return {"balancer.passive", false, "Failures seen on real connection attempts (NGINX `max_fails`/`fail_timeout`).",
          {integer("max_fails", &P::max_fails, 0, 1000000, "failed tries within fail_timeout_s that take a backend out; 0 = off"),
           number("fail_timeout_s", &P::fail_timeout_s, above_upto(0.0, kMaxDurationS),
                  "the window that counts failures, and how long the backend stays out")},
          false, ""};
}

Section slow_start() {
  using S = models::SlowStartSection;
  return {"balancer.slow_start", false, "How a (re)joining backend's weight ramps up.",
          {number("window_s", &S::window_s, between(0.0, kMaxDurationS), "ramp length; 0 = off"),
           choice("curve", &S::curve, {"linear", "power"}, "\"linear\" (HAProxy: 1/16 at once, then linear) or \"power\" (Envoy)"),
           number("aggression", &S::aggression, above_upto(0.0, 1e3), "power curve: (t / window)^(1 / aggression)"),
           number("min_weight_percent", &S::min_weight_percent, above_upto(0.0, 100.0), "power curve: the ramp's floor")},
          false, ""};
}

Section backoff() {
  return {"backoff", false, "The clients' reconnect policy: a generic algorithm or a client library's preset (docs/client_presets.md).",
          {policy_key(models::backoff_policies(), "the backoff policy (wsfleet list)", models::BackoffSection{}.policy)},
          true, "the policy's parameters (wsfleet list), numbers"};
}

}  // namespace

std::vector<Section> balancer_sections() { return {balancer(), health_check(), passive(), slow_start(), backoff()}; }

}  // namespace wsfleet::experiments::schema
