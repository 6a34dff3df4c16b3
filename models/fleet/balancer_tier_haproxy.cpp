// The HAProxy presets' connection handling in the balancer tier (models/balancer/haproxy_backend.hpp
// has the rules and their sources): a connection that finds every usable server at its maxconn
// (balancer.max_connections_per_backend) waits in the balancer's queue, oldest first, until a slot
// frees (a connection closes, a server comes back) or `timeout queue` answers it with a 503
// (no_backend); a failed connect is retried `retries` times, on the same server after the turn-around,
// or at once on another server with `option redispatch`. While it waits the client's own connect
// timeout runs on (it may give up first: Connections::handshake_timeout).
#include <algorithm>
#include <string>
#include <vector>

#include "models/fleet/balancer_tier.hpp"
#include "models/fleet/connections.hpp"
#include "models/fleet/server_pool.hpp"
#include "models/fleet/summary_helpers.hpp"

namespace wsfleet::models {

namespace {

/// roundrobin, static-rr and first send new connections behind a non-empty backend queue
/// (assign_server: "if there's some queue on the backend, with certain algos we know it's because
/// all servers are full"); the others pick a server below maxconn if there is one.
bool queue_first(const std::string& policy) {
  return policy == "haproxy_roundrobin" || policy == "haproxy_static_rr" || policy == "haproxy_first";
}

}  // namespace

Route BalancerTier::route_haproxy(std::uint32_t c, BalancerNode& node, Route route, int target) {
  LoadBalancer& lb = *node.lb;
  if (!node.queue.empty() && target < 0 && queue_first(st_.cfg.balancer.policy)) return enqueue(c, node, route);
  const int local = target >= 0 ? target : lb.pick(sim::mix64(c));
  if (local == kNoBackend) {
    if (only_full(lb)) return enqueue(c, node, route);
    route.refusal = Refusal::NoBackend;
    return route;
  }
  return try_haproxy(c, node, route, local, 0, target >= 0);
}

Route BalancerTier::try_haproxy(std::uint32_t c, BalancerNode& node, Route route, int local, std::uint32_t conn_retries,
                                bool direct) {
  LoadBalancer& lb = *node.lb;
  const std::int64_t port_limit =
      static_cast<std::int64_t>(st_.cfg.balancer.source_ports) * static_cast<std::int64_t>(st_.cfg.balancer.source_addresses);
  for (;;) {
    const auto b = node.first + static_cast<std::uint32_t>(local);
    Server& s = st_.servers[b];
    const std::int64_t in_use = lb.backends()[static_cast<std::size_t>(local)].active_connections;
    std::optional<Refusal> failure;
    if (port_limit > 0 && in_use >= port_limit) {
      ++node.counts.port_exhausted;
      failure = Refusal::SourcePorts;
    } else if (!s.up) {
      ++s.interval.attempts;
      ++node.counts.failed_tries;
      ++s.interval.failed;
      if (s.crashed_by != 0) ++st_.faults[s.crashed_by - 1u].outcome.tries_while_undetected;
      failure = Refusal::BackendDown;
    }
    if (!failure && s.unreachable) {
      // Its connect gets no answer (site_partition): held until `timeout connect` (balancer_tier_connect.cpp).
      hold_connect(c, node, route, local, 0, conn_retries, direct);
      route.held = true;
      route.tried = static_cast<std::int32_t>(b);
      return route;
    }
    if (!failure) {
      node.fails[node.slot(b)] = 0;
      route.refusal = st_.parts.servers->admit(b);
      route.tried = static_cast<std::int32_t>(b);
      if (route.refusal) return route;
      ++node.counts.routed;
      node.counts.peak_ports = std::max<std::uint64_t>(node.counts.peak_ports, static_cast<std::uint64_t>(in_use + 1));
      lb.connection_opened(local);
      if (st_.cfg.balancer.sticky == Stickiness::SourceIp) node.stick[c] = static_cast<std::int32_t>(b);
      route.server = b;
      return route;
    }
    route.tried = static_cast<std::int32_t>(b);
    try_failed(node, b);
    ++conn_retries;
    if (conn_retries > haproxy_->retries) {  // back_handle_st_cer: retries exhausted, the client gets the error
      route.refusal = failure;
      return route;
    }
    const bool running = (lb.blocks(local) & LoadBalancer::kOutOfService) == 0;
    const HaproxyBackend::Step step = haproxy_->next(conn_retries, running, active_servers(lb), direct);
    if (step.redispatch) ++node.counts.redispatches;
    if (step.wait > 0) {  // the turn-around: the attempt waits at the balancer
      ++node.counts.retry_waits;
      retry_waits_[c] = RetryWait{b, conn_retries, step.redispatch, direct};
      const sim::SimTime at = st_.sim.now() + step.wait;
      if (at <= st_.end) st_.sim.schedule_at(at, self_, kRetryTurnaround, FleetState::pack(c, st_.gens[c]));
      route.held = true;
      return route;
    }
    // An immediate redispatch: another server than the last one if there is one.
    local = pick_other(lb, local, sim::mix64(c));
    direct = false;
    if (local == kNoBackend) {
      if (only_full(lb)) return enqueue(c, node, route);
      route.refusal = Refusal::NoBackend;
      return route;
    }
  }
}

int BalancerTier::pick_other(LoadBalancer& lb, int last, std::uint64_t key) {
  const bool was_tried = (lb.blocks(last) & LoadBalancer::kBlockTried) != 0;
  if (!was_tried) lb.block(last, LoadBalancer::kBlockTried);
  int pick = lb.pick(key);
  if (!was_tried) lb.unblock(last, LoadBalancer::kBlockTried);
  if (pick == kNoBackend) pick = lb.pick(key);  // only the last one is left: it again
  return pick;
}

bool BalancerTier::only_full(const LoadBalancer& lb) {
  for (std::size_t b = 0; b < lb.backends().size(); ++b) {
    if (lb.blocks(static_cast<int>(b)) == LoadBalancer::kBlockCapped) return true;
  }
  return false;
}

std::size_t BalancerTier::active_servers(const LoadBalancer& lb) {
  std::size_t n = 0;
  for (std::size_t b = 0; b < lb.backends().size(); ++b) {
    if ((lb.blocks(static_cast<int>(b)) & (LoadBalancer::kOutOfService | LoadBalancer::kBlockAbsent)) == 0) ++n;
  }
  return n;
}

Route BalancerTier::enqueue(std::uint32_t c, BalancerNode& node, Route route) {
  node.queue.push_back({c, st_.sim.now()});
  ++node.counts.queued;
  const sim::SimTime at = st_.sim.now() + haproxy_->timeout_queue;
  if (at <= st_.end) st_.sim.schedule_at(at, self_, kQueueTimeout, FleetState::pack(c, st_.gens[c]));
  route.held = true;
  route.refusal.reset();
  return route;
}

void BalancerTier::serve_queue_soon(std::uint32_t balancer) {
  BalancerNode& node = nodes_[balancer];
  if (node.queue_served_soon) return;
  node.queue_served_soon = true;
  // At the same instant, after the change that freed a slot has been fully applied.
  st_.sim.schedule_at(st_.sim.now(), self_, kServeQueue, balancer);
}

void BalancerTier::serve_queue(std::uint32_t balancer) {
  BalancerNode& node = nodes_[balancer];
  node.queue_served_soon = false;
  if (!node.up) return;
  LoadBalancer& lb = *node.lb;
  // process_srv_queue: each free slot takes the oldest waiting connection.
  while (!node.queue.empty()) {
    const std::uint32_t c = node.queue.front().client;
    const int local = lb.pick(sim::mix64(c));
    if (local == kNoBackend) return;
    node.queue.pop_front();
    ++node.counts.dequeued;
    const Route route = try_haproxy(c, node, Route{std::nullopt, 0, balancer, node.site}, local, 0, false);
    if (!route.held) resolve_held(c, route);
  }
}

bool BalancerTier::is_held(std::uint32_t c, std::uint32_t gen) const {
  const Client& cl = st_.clients[c];
  return st_.gens[c] == gen && cl.state == ClientState::Connecting && cl.server < 0;
}

void BalancerTier::queue_timeout(std::uint32_t c, std::uint32_t gen) {
  if (!is_held(c, gen)) return;
  BalancerNode& node = nodes_[st_.clients[c].balancer];
  // This timer's stay: it joined timeout_queue ago (it may have left the queue and joined it again).
  const sim::SimTime since = st_.sim.now() - haproxy_->timeout_queue;
  const auto it = std::find_if(node.queue.begin(), node.queue.end(),
                               [&](const QueuedConnection& q) { return q.client == c && q.since == since; });
  if (it == node.queue.end()) return;
  node.queue.erase(it);
  ++node.counts.queue_timeouts;
  // "it is considered that the request will almost never be served, so it is dropped and a 503 error
  // is returned to the client".
  Route route{std::nullopt, 0, st_.clients[c].balancer, node.site};
  route.refusal = Refusal::NoBackend;
  resolve_held(c, route);
}

void BalancerTier::retry_turnaround(std::uint32_t c, std::uint32_t gen) {
  if (!is_held(c, gen)) return;
  const auto it = retry_waits_.find(c);
  if (it == retry_waits_.end()) return;
  const RetryWait wait = it->second;
  retry_waits_.erase(it);
  const std::uint32_t n = st_.clients[c].balancer;
  BalancerNode& node = nodes_[n];
  ++node.counts.retry_resumed;
  Route route{std::nullopt, 0, n, node.site};
  int local = node.local(wait.server);
  if (wait.redispatch) {
    local = pick_other(*node.lb, local, sim::mix64(c));
    if (local == kNoBackend) {
      if (only_full(*node.lb)) {
        enqueue(c, node, route);
        return;
      }
      route.refusal = Refusal::NoBackend;
      return resolve_held(c, route);
    }
  }
  route = try_haproxy(c, node, route, local, wait.conn_retries, wait.direct && !wait.redispatch);
  if (!route.held) resolve_held(c, route);
}

void BalancerTier::resolve_held(std::uint32_t c, const Route& route) {
  st_.refusals.routed(c, route.refusal ? route.tried : static_cast<std::int32_t>(route.server), route.balancer);
  st_.parts.connections->held_routed(c, route);
}

void BalancerTier::abandon(std::uint32_t c) {
  if (abandon_connect(c)) return;  // it waited for a connect to an unreachable server (any preset)
  if (retry_waits_.erase(c) != 0) {
    ++nodes_[st_.clients[c].balancer].counts.retry_abandoned;
    return;
  }
  BalancerNode& node = nodes_[st_.clients[c].balancer];
  const auto it = std::find_if(node.queue.begin(), node.queue.end(), [&](const QueuedConnection& q) { return q.client == c; });
  if (it == node.queue.end()) return;
  node.queue.erase(it);
  ++node.counts.queue_abandoned;
}

void BalancerTier::cut_held(std::uint32_t balancer) {
  BalancerNode& node = nodes_[balancer];
  std::vector<std::uint32_t> lost;
  for (const QueuedConnection& q : node.queue) lost.push_back(q.client);
  node.counts.queue_cut += lost.size();
  node.queue.clear();
  std::vector<std::uint32_t> waiting;
  for (const auto& [c, wait] : retry_waits_) {
    if (st_.clients[c].balancer == balancer) waiting.push_back(c);
  }
  std::sort(waiting.begin(), waiting.end());  // a fixed order (the map's is not)
  for (std::uint32_t c : waiting) retry_waits_.erase(c);
  node.counts.retry_cut += waiting.size();
  lost.insert(lost.end(), waiting.begin(), waiting.end());
  for (std::uint32_t c : lost) {
    Route route{std::nullopt, 0, balancer, node.site};
    route.refusal = Refusal::BalancerDown;
    resolve_held(c, route);
  }
}

std::uint64_t BalancerTier::held_now() const {
  std::uint64_t held = retry_waits_.size();
  for (const BalancerNode& node : nodes_) held += node.queue.size();
  return held;
}

void BalancerTier::haproxy_conservation(RunSummary& summary) const {
  BalancerCounts t;
  std::uint64_t in_queue = 0;
  for (const BalancerNode& node : nodes_) {
    const BalancerCounts& k = node.counts;
    t.queued += k.queued;
    t.dequeued += k.dequeued;
    t.queue_timeouts += k.queue_timeouts;
    t.queue_abandoned += k.queue_abandoned;
    t.queue_cut += k.queue_cut;
    t.retry_waits += k.retry_waits;
    t.retry_resumed += k.retry_resumed;
    t.retry_abandoned += k.retry_abandoned;
    t.retry_cut += k.retry_cut;
    in_queue += node.queue.size();
  }
  add_conservation_check(summary, "haproxy queue",
                         "queued = dequeued + queue_timeouts + abandoned + cut + queued_at_end", t.queued,
                         {t.dequeued, t.queue_timeouts, t.queue_abandoned, t.queue_cut, in_queue});
  add_conservation_check(summary, "haproxy retries", "turn-around waits = resumed + abandoned + cut + waiting_at_end",
                         t.retry_waits, {t.retry_resumed, t.retry_abandoned, t.retry_cut, retry_waits_.size()});
  std::uint64_t held_clients = 0;
  for (const Client& cl : st_.clients) held_clients += cl.state == ClientState::Connecting && cl.server == -1 ? 1 : 0;  // -2: a SYN a link swallowed
  if (has_partition()) {  // with a site_partition, attempts also wait for its connects to unreachable servers
    add_conservation_check(summary, "haproxy held",
                           "clients waiting at a balancer = queued_at_end + waiting_at_end + connecting_at_end", held_clients,
                           {in_queue, retry_waits_.size(), connect_waits_.size()});
  } else {
    add_conservation_check(summary, "haproxy held", "clients waiting at a balancer = queued_at_end + waiting_at_end",
                           held_clients, {in_queue, retry_waits_.size()});
  }
}

}  // namespace wsfleet::models
