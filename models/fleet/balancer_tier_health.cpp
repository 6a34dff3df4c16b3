// The balancer tier's health checks and slow start: each balancer probes each backend every interval
// (a probe waits behind the server's queued work and fails past its timeout), takes a backend out
// after `fall` failures and back after `rise` passes, then ramps its weight up over the slow-start
// window; and the detection time of a crash (every balancer has taken its servers out).
#include "models/balancer/slow_start.hpp"
#include "models/fleet/balancer_tier.hpp"
#include "models/fleet/server_pool.hpp"

namespace wsfleet::models {

void BalancerTier::start_health_checks() {
  if (outlier_detection()) {  // Envoy's detector arms its interval timer when the cluster starts
    for (std::uint32_t n = 0; n < nodes_.size(); ++n) {
      if (envoy_->interval <= st_.end) st_.sim.schedule_at(envoy_->interval, self_, kOutlierInterval, n);
    }
  }
  if (st_.cfg.balancer.health_check.mode != HealthCheckMode::Active) return;
  // Each balancer probes each backend every interval, starting at a random phase (HAProxy spreads
  // its checks over the interval).
  for (std::uint32_t n = 0; n < nodes_.size(); ++n) {
    const std::uint32_t first = nodes_[n].first;
    for (std::uint32_t b = first; b < first + nodes_[n].lb->backends().size(); ++b) {
      const auto phase = static_cast<sim::SimTime>(rng_probes_.uniform01() * static_cast<double>(probe_interval_));
      if (phase <= st_.end) st_.sim.schedule_at(phase, self_, kProbe, pack_backend(n, b));
    }
  }
}

void BalancerTier::note_detection(std::uint32_t balancer, std::uint32_t server) {
  const Server& s = st_.servers[server];
  if (s.up || s.crashed_by == 0) return;
  FaultState& f = st_.faults[s.crashed_by - 1u];
  if ((f.pending_nodes & (1ull << balancer)) == 0) return;
  // A site crash is detected when every balancer has taken out every server: track per balancer
  // that it has no crashed server of this fault left in service.
  if (s.crashed_by - 1u < st_.cfg.faults.size() && st_.cfg.faults[s.crashed_by - 1u].target == FaultTarget::Site) {
    const BalancerNode& node = nodes_[balancer];
    for (std::uint32_t b = node.first; b < node.first + node.lb->backends().size(); ++b) {
      if (st_.servers[b].crashed_by == s.crashed_by && node.up && (node.lb->blocks_everywhere(node.local(b)) & LoadBalancer::kOutOfService) == 0) return;
    }
  }
  f.pending_nodes &= ~(1ull << balancer);
  if (f.pending_nodes == 0 && !f.outcome.detected_within_s) {
    f.outcome.detected_within_s = sim::to_seconds(st_.sim.now()) - f.outcome.at_s;
  }
}

void BalancerTier::probe(std::uint32_t balancer, std::uint32_t server) {
  const sim::SimTime now = st_.sim.now();
  if (now + probe_interval_ <= st_.end) st_.sim.schedule_at(now + probe_interval_, self_, kProbe, pack_backend(balancer, server));
  BalancerNode& node = nodes_[balancer];
  if (!node.up) return;
  Server& s = st_.servers[server];
  if (!s.up) return probe_result(balancer, server, false);  // refused (or no such host yet)
  if (s.health_failing) return probe_result(balancer, server, false);  // a health_flap fault: the endpoint fails, the server serves on
  // The probe waits behind the server's queued work: a backlog longer than the timeout fails it.
  const sim::SimTime wait = st_.parts.servers->cpu_wait_ns(server);
  if (wait > probe_timeout_) {
    st_.sim.schedule_at(now + probe_timeout_, self_, kProbeTimeout, pack_backend(balancer, server));
    return;
  }
  const BackendState& view = node.lb->backends()[node.slot(server)];
  // Response time as the balancer sees it: an exponentially weighted average of probe round trips.
  const double rtt = 0.5 * view.response_time_s + 0.5 * sim::to_seconds(wait);
  node.lb->set_load(node.local(server), view.cpu_utilisation, rtt, view.bandwidth_bps);
  probe_result(balancer, server, true);
}

void BalancerTier::probe_result(std::uint32_t balancer, std::uint32_t server, bool passed) {
  BalancerNode& node = nodes_[balancer];
  if (!node.up) return;
  const HealthCheckSection& hc = st_.cfg.balancer.health_check;
  HealthState& health = node.health[node.slot(server)];
  if (health.record(passed, hc.fall, hc.rise)) mark_health(balancer, server, health.up());
  // Envoy (successful_active_health_check_uneject_host, on by default): a passed check of a healthy
  // host ends its ejection.
  if (outlier_detection() && passed && health.up() &&
      (node.lb->blocks(node.local(server)) & LoadBalancer::kBlockPassive) != 0) {
    uneject(node, node.slot(server));
  }
}

void BalancerTier::mark_health(std::uint32_t balancer, std::uint32_t server, bool up) {
  BalancerNode& node = nodes_[balancer];
  LoadBalancer& lb = *node.lb;
  const std::size_t b = node.slot(server);
  const int backend = node.local(server);
  node.health[b].set(up);
  const bool blocked = (lb.blocks(backend) & LoadBalancer::kBlockDown) != 0;
  if (up && blocked) {
    lb.unblock(backend, LoadBalancer::kBlockDown);
    start_warmup(balancer, server);
    if (!node.queue.empty()) serve_queue_soon(balancer);  // HAProxy: a server back up takes queued connections
  } else if (!up && !blocked) {
    lb.block(backend, LoadBalancer::kBlockDown);
    ++node.counts.marked_down;
    if (node.warm_since[b] >= 0) {  // a ramp in progress ends; the next one starts from the beginning
      node.warm_since[b] = -1;
      ++node.warm_gen[b];
      lb.set_weight(backend, node.base_weight[b]);
    }
    note_detection(balancer, server);
  }
}

void BalancerTier::start_warmup(std::uint32_t balancer, std::uint32_t server) {
  const SlowStartSection& ss = st_.cfg.balancer.slow_start;
  if (!(ss.window_s > 0.0)) return;
  BalancerNode& node = nodes_[balancer];
  const std::size_t b = node.slot(server);
  node.warm_since[b] = st_.sim.now();
  ++node.warm_gen[b];
  warm_step(balancer, server, node.warm_gen[b]);
}

void BalancerTier::warm_step(std::uint32_t balancer, std::uint32_t server, std::uint32_t gen) {
  BalancerNode& node = nodes_[balancer];
  const std::size_t b = node.slot(server);
  if (gen != node.warm_gen[b] || node.warm_since[b] < 0) return;
  const SlowStartSection& ss = st_.cfg.balancer.slow_start;
  const sim::SimTime elapsed = st_.sim.now() - node.warm_since[b];
  const double factor = slow_start_factor(ss, elapsed);
  node.lb->set_weight(node.local(server), node.base_weight[b] * factor);
  if (factor >= 1.0) {
    node.warm_since[b] = -1;
    return;
  }
  const sim::SimTime next = node.warm_since[b] + slow_start_next_step(ss, elapsed);
  if (next <= st_.end) st_.sim.schedule_at(next, self_, kWarmStep, pack_backend(balancer, server, gen));
}

}  // namespace wsfleet::models
