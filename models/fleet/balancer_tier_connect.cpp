// The balancer's own connect to a server that does not answer (a site_partition: the balancers answer
// clients, their SYNs to the servers are lost). An L7 proxy or a proxying L4 balancer accepts the
// client's connection, then connects to the server it picked: it holds that attempt, and a slot
// towards the server (counted in least-connections, maxconn / max_conns and its source ports), until
// its connect timeout; then the try has failed (NGINX counts it towards max_fails: proxy_next_upstream
// "error timeout"), and the balancer tries the next server while tries remain (NGINX
// proxy_next_upstream_tries; HAProxy `retries`, at once after a timeout: its turn-around applies only
// to connection errors, back_handle_st_cer's SI_FL_ERR / must_tar), else answers the client with an
// error (NGINX 504, HAProxy 503, Envoy 503, ALB 504): failed_by.backend_down. The timeouts:
// balancer.connect_timeout_s (NGINX proxy_connect_timeout 60 s, Envoy connect_timeout 5 s, ALB 10 s;
// generic 5 s), HAProxy's timeout_connect_s. The client's own connect timeout keeps running: when it
// comes first the client gives up (failed_by.timeout) and the balancer frees the slot at once (NGINX
// aborts the upstream connect when the client closes). Meanwhile the balancer's kernel retransmits
// the SYN as Linux does for any connect() (syn_retransmissions.hpp: +1, 3, 7, 15, 31, 63 s): the first
// retransmission after the partition healed is answered (by a server that is up), and the attempt goes
// on to that server at that instant, as a connect that took long. An L4 forwarder (IPVS,
// connect_timeout_s = 0) has no connect of its own: Connections holds the attempt until the client's
// timeout.
#include <algorithm>
#include <vector>

#include "models/fleet/balancer_tier.hpp"
#include "models/fleet/connections.hpp"
#include "models/fleet/server_pool.hpp"
#include "models/fleet/syn_retransmissions.hpp"

namespace wsfleet::models {

void BalancerTier::hold_connect(std::uint32_t c, BalancerNode& node, const Route& route, int local, std::uint32_t tries_left,
                                std::uint32_t conn_retries, bool direct) {
  const auto b = node.first + static_cast<std::uint32_t>(local);
  node.lb->connection_opened(local);  // its slot towards the server, held while the SYN goes unanswered
  ConnectWait w;
  w.balancer = route.balancer;
  w.server = b;
  w.worker = route.worker;
  w.tries_left = tries_left;
  w.conn_retries = conn_retries;
  w.direct = direct;
  w.tried = tried_;
  const sim::SimTime timeout = haproxy_ ? haproxy_->timeout_connect : connect_timeout_;
  w.since = st_.sim.now();
  w.timeout_at = w.since + timeout;
  ConnectWait& held = connect_waits_[c] = std::move(w);
  ++connect_holds_;
  schedule_connect_syn(c, held);
  const sim::SimTime at = held.timeout_at;
  if (at <= st_.end) st_.sim.schedule_at(at, self_, kConnectTimeout, FleetState::pack(c, st_.gens[c]));
}

void BalancerTier::schedule_connect_syn(std::uint32_t c, ConnectWait& w) {
  const std::optional<sim::SimTime> next = next_syn_retransmission(w.since, w.syns, w.timeout_at);
  w.next_syn = next.value_or(-1);
  if (next && *next <= st_.end) st_.sim.schedule_at(*next, self_, kConnectSyn, FleetState::pack(c, st_.gens[c]));
}

void BalancerTier::connect_syn(std::uint32_t c, std::uint32_t gen) {
  if (!is_held(c, gen)) return;
  const auto it = connect_waits_.find(c);
  if (it == connect_waits_.end() || it->second.next_syn != st_.sim.now()) return;  // a timer of an earlier wait
  ConnectWait& w = it->second;
  ++w.syns;
  const Server& s = st_.servers[w.server];
  if (s.unreachable || !s.up) return schedule_connect_syn(c, w);  // lost again, or nobody answers it
  // The server answers this SYN: the connect is done, the attempt goes on to it with the slot it holds.
  const ConnectWait done = w;
  connect_waits_.erase(it);
  ++connect_completed_;
  BalancerNode& node = nodes_[done.balancer];
  ++node.counts.connect_completions;
  LoadBalancer& lb = *node.lb;
  Route route{std::nullopt, 0, done.balancer, node.site};
  route.worker = done.worker;
  route.tried = static_cast<std::int32_t>(done.server);
  node.fails[fail_slot(node, done.server, done.worker)] = 0;  // a live backend answered (NGINX resets fails on success)
  route.refusal = st_.parts.servers->admit(done.server);
  if (route.refusal) {
    connection_closed(done.balancer, done.server, done.worker);  // it refused at once: the slot is free
    return resolve_held(c, route);
  }
  ++node.counts.routed;
  const std::int64_t in_use = lb.backends()[static_cast<std::size_t>(node.local(done.server))].active_connections;
  node.counts.peak_ports = std::max<std::uint64_t>(node.counts.peak_ports, static_cast<std::uint64_t>(in_use));
  if (st_.cfg.balancer.sticky == Stickiness::SourceIp) node.stick[c] = static_cast<std::int32_t>(done.server);
  route.server = done.server;
  resolve_held(c, route);
}

void BalancerTier::connect_timeout(std::uint32_t c, std::uint32_t gen) {
  if (!is_held(c, gen)) return;
  const auto it = connect_waits_.find(c);
  if (it == connect_waits_.end()) return;
  const ConnectWait w = it->second;
  connect_waits_.erase(it);
  ++connect_timeouts_;
  BalancerNode& node = nodes_[w.balancer];
  ++node.counts.connect_timeouts;
  ++node.counts.failed_tries;
  connection_closed(w.balancer, w.server, w.worker);  // the slot is free again
  LoadBalancer& lb = *node.lb;
  const std::uint32_t turn = lb.worker();
  lb.resume(w.worker);         // the worker that accepted the client goes on with it
  try_failed(node, w.server);  // passive detection counts the timeout (that worker's own count)
  const int local = node.local(w.server);
  Route route{std::nullopt, 0, w.balancer, node.site};
  route.worker = w.worker;
  route.tried = static_cast<std::int32_t>(w.server);
  if (haproxy_) {
    const std::uint32_t retries = w.conn_retries + 1;
    if (retries > haproxy_->retries) {  // retries exhausted: 503 to the client
      route.refusal = Refusal::BackendDown;
      return resolve_held(c, route);
    }
    const bool running = (lb.blocks(local) & LoadBalancer::kOutOfService) == 0;
    const HaproxyBackend::Step step = haproxy_->next(retries, running, active_servers(lb), w.direct);
    int next = local;  // no turn-around after a timeout: the retry goes at once
    if (step.redispatch) {
      ++node.counts.redispatches;
      next = pick_other(lb, local, sim::mix64(c));
      if (next == kNoBackend) {
        if (only_full(lb)) {
          enqueue(c, node, route);
          return;
        }
        route.refusal = Refusal::NoBackend;
        return resolve_held(c, route);
      }
    }
    route = try_haproxy(c, node, route, next, retries, w.direct && !step.redispatch);
  } else {
    tried_ = w.tried;
    tried_.push_back(local);
    for (int t : tried_) lb.block(t, LoadBalancer::kBlockTried);
    route = try_backends(c, node, route, -1, w.tries_left, Refusal::BackendDown);
  }
  lb.resume(turn);  // the next accept() takes its turn as before
  if (!route.held) resolve_held(c, route);
}

bool BalancerTier::abandon_connect(std::uint32_t c) {
  const auto it = connect_waits_.find(c);
  if (it == connect_waits_.end()) return false;
  const ConnectWait w = it->second;
  connect_waits_.erase(it);
  ++connect_abandoned_;
  connection_closed(w.balancer, w.server, w.worker);
  return true;
}

std::vector<std::uint32_t> BalancerTier::cut_connects(std::uint32_t balancer) {
  std::vector<std::uint32_t> lost;
  for (const auto& [c, w] : connect_waits_) {
    if (w.balancer == balancer) lost.push_back(c);
  }
  std::sort(lost.begin(), lost.end());  // a fixed order (the map's is not)
  for (std::uint32_t c : lost) {
    const ConnectWait w = connect_waits_.at(c);
    connect_waits_.erase(c);
    ++connect_cut_;
    connection_closed(w.balancer, w.server, w.worker);
  }
  return lost;
}

}  // namespace wsfleet::models

namespace wsfleet::models {

void BalancerTier::keep_connect_slots(std::uint32_t server) {
  if (connect_waits_.empty()) return;
  std::vector<std::uint32_t> waiting;
  for (const auto& [c, w] : connect_waits_) {
    if (w.server == server) waiting.push_back(c);
  }
  std::sort(waiting.begin(), waiting.end());  // a fixed order (the map's is not)
  for (std::uint32_t c : waiting) {
    const ConnectWait& w = connect_waits_.at(c);
    BalancerNode& node = nodes_[w.balancer];
    const std::uint32_t turn = node.lb->worker();
    node.lb->resume(w.worker);
    node.lb->connection_opened(node.local(server));
    node.lb->resume(turn);  // the next accept() takes its turn as before
  }
}

}  // namespace wsfleet::models
