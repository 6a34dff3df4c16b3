// balancers[]: what each balancer of the tier did, with HAProxy's queue and retries and Envoy's
// outlier detection for their presets.
#include "experiments/summary/summary_rows.hpp"

namespace wsfleet::experiments::summary {

void balancer_rows(std::vector<Field>& table) {
  using R = models::RunSummary;
  using B = models::BalancerOutcome;
  auto t = summary_rows(table);
  auto b = t.array("balancers", &R::balancers, "one per balancer", "what one balancer did");
  b.integer("balancers[].index", &B::index, "", "its number");
  b.integer("balancers[].routed", &B::routed, "connections", "connections handed to a backend");
  b.integer("balancers[].rate_limited", &B::rate_limited, "attempts", "new connections refused over its rate limit");
  b.integer("balancers[].port_exhausted", &B::port_exhausted, "attempts", "tries with no free source port");
  b.integer("balancers[].failed_tries", &B::failed_tries, "attempts", "tries to a backend that was down");
  b.integer("balancers[].marked_down", &B::marked_down, "", "times it took a backend out (health checks or passive; with NGINX workers, per worker)");
  b.integer("balancers[].peak_ports_per_backend", &B::peak_ports, "ports", "most source ports it used towards one backend");
  b.integer_if_set("balancers[].connect_timeouts", &B::connect_timeouts, "attempts",
                   "its connects to a server that never answered (a site_partition) that ended at its connect timeout "
                   "(balancer.connect_timeout_s; only with a site_partition fault)");
  b.integer_if_set("balancers[].connect_completions", &B::connect_completions, "attempts",
                   "its connects to a server behind a site_partition that a SYN retransmission got through once the partition "
                   "healed, before its connect timeout (Linux: +1, 3, 7, 15, 31, 63 s after the first SYN; only with a "
                   "site_partition fault)");

  using H = models::HaproxyOutcome;
  auto h = b.of_optional(&B::haproxy);
  b.object("balancers[].haproxy", "its maxconn queue and connect retries (haproxy_* presets only)", [](const B& x) { return x.haproxy.has_value(); });
  h.integer("balancers[].haproxy.queued", &H::queued, "connections", "connections that waited in its queue (every server at maxconn)");
  h.integer("balancers[].haproxy.dequeued", &H::dequeued, "connections", "of queued, the ones a freed slot took");
  h.integer("balancers[].haproxy.queue_timeouts", &H::queue_timeouts, "connections", "of queued, the ones `timeout queue` answered with a 503");
  h.integer("balancers[].haproxy.queue_abandoned", &H::queue_abandoned, "connections", "of queued, the ones whose client timed out first");
  h.integer("balancers[].haproxy.queue_cut", &H::queue_cut, "connections", "of queued, the ones lost when the balancer crashed");
  h.integer("balancers[].haproxy.retry_waits", &H::retry_waits, "tries", "connect retries that waited the turn-around (min(timeout connect, 1 s))");
  h.integer("balancers[].haproxy.retry_resumed", &H::retry_resumed, "tries", "of retry_waits, the ones whose wait ended with the retry");
  h.integer("balancers[].haproxy.retry_abandoned", &H::retry_abandoned, "tries", "of retry_waits, the ones whose client timed out first");
  h.integer("balancers[].haproxy.retry_cut", &H::retry_cut, "tries", "of retry_waits, the ones lost when the balancer crashed");
  h.integer("balancers[].haproxy.redispatches", &H::redispatches, "tries", "retries sent to another server (option redispatch)");

  using O = models::OutlierOutcome;
  auto o = b.of_optional(&B::outlier);
  b.object("balancers[].outlier", "its outlier detection (envoy_* presets with consecutive_5xx set only)", [](const B& x) { return x.outlier.has_value(); });
  o.integer("balancers[].outlier.ejections", &O::ejections, "", "hosts it ejected");
  o.integer("balancers[].outlier.ejections_overflow", &O::ejections_overflow, "", "ejections max_ejection_percent prevented");
  o.integer("balancers[].outlier.unejections", &O::unejections, "", "ejected hosts back in the rotation");
  o.integer("balancers[].outlier.panic_picks", &O::panic_picks, "picks", "picks among every host, below the healthy panic threshold");
}

}  // namespace wsfleet::experiments::summary
