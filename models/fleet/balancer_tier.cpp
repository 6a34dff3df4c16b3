#include "models/fleet/balancer_tier.hpp"
#include "models/transport/session_opening.hpp"

#include "models/fleet/gray_failures.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "models/balancer/nginx_workers.hpp"
#include "models/balancing_policy.hpp"
#include "models/fleet/connections.hpp"
#include "models/fleet/gray_failures.hpp"
#include "models/fleet/server_pool.hpp"
#include "models/fleet/summary_helpers.hpp"

namespace wsfleet::models {

BalancerTier::BalancerTier(FleetState& state) : st_(state), rng_probes_(state.streams.stream("balancer.probes")) {
  const FleetConfig& cfg = st_.cfg;
  const BalancerSection& bal = cfg.balancer;
  std::vector<double> weights;
  // IPVS weight 0 (ipvs_* policies only, checked by the loader): the schedulers skip the destination
  // (ip_vs_rr/lc/sed/sh: `atomic_read(&dest->weight) == 0` or IP_VS_DEST_F_OVERLOAD), its open
  // connections stay: drained from the start, balanced as weight 1 otherwise.
  std::vector<bool> weight_zero;
  for (const ServerSpec& spec : st_.specs) {
    weight_zero.push_back(spec.weight == 0.0);
    weights.push_back(spec.weight == 0.0 ? 1.0 : spec.weight);
  }
  per_site_ = bal.count;
  connect_timeout_ = st_.duration(bal.connect_timeout_s);
  if (bal.count == 0 || bal.count * st_.topo.sites() > 64) {
    throw std::invalid_argument("balancer.count x sites must be between 1 and 64");
  }
  const bool active = bal.health_check.mode == HealthCheckMode::Active;
  const bool per_site_slots = !cfg.autoscaler_site_slots().empty();
  nodes_.reserve(bal.count * st_.topo.sites());
  resolvable_.resize(st_.topo.sites());
  for (std::uint32_t site = 0; site < st_.topo.sites(); ++site) {
    const std::uint32_t first = st_.topo.first_server(site);
    const std::uint32_t size = st_.topo.site_servers(site);
    const std::vector<double> site_weights(weights.begin() + first, weights.begin() + first + size);
    for (std::uint32_t k = 0; k < bal.count; ++k) {
      const auto i = static_cast<std::uint32_t>(nodes_.size());
      auto lb = std::make_unique<LoadBalancer>(make_balancing_policy(bal.policy, bal.params), site_weights,
                                               st_.streams.stream("balancer", i));
      lb->set_connection_cap(bal.max_connections_per_backend);
      if (const auto workers = NginxWorkers::of(bal.policy, bal.params); workers && workers->workers > 1) {
        std::vector<std::unique_ptr<BalancingPolicy>> more;
        for (std::uint32_t w = 1; w < workers->workers; ++w) more.push_back(make_balancing_policy(bal.policy, bal.params));
        lb->set_workers(std::move(more), workers->reuseport, st_.streams.stream("balancer.accept", i));
      }
      BalancerNode node(std::move(lb), site, first, size, bal.max_new_connections_per_s);
      node.base_weight = site_weights;
      // NGINX without a zone: each worker counts its own max_fails (worker x backend).
      node.fails.assign(static_cast<std::size_t>(node.lb->workers()) * size, 0);
      node.checked.assign(static_cast<std::size_t>(node.lb->workers()) * size, 0);
      for (std::uint32_t b = first; b < first + size; ++b) {
        if (weight_zero[b]) node.lb->block(node.local(b), LoadBalancer::kBlockDraining);
      }
      // Absent at the start: past fleet.servers, or with an autoscaler per site past the site's own servers.
      const std::uint32_t absent_from = per_site_slots ? st_.topo.own_end(site) : std::max(first, cfg.fleet.servers);
      for (std::uint32_t b = absent_from; b < first + size; ++b) {
        node.lb->block(node.local(b), LoadBalancer::kBlockAbsent);
        if (active) {  // it must pass `rise` probes once it joins
          node.health[node.slot(b)].set(false);
          node.lb->block(node.local(b), LoadBalancer::kBlockDown);
        }
      }
      if (bal.sticky == Stickiness::SourceIp) node.stick.assign(cfg.clients.count, -1);
      nodes_.push_back(std::move(node));
      resolvable_[site].push_back(i);
    }
  }
  probe_interval_ = sim::from_seconds(bal.health_check.interval_s);
  probe_timeout_ = sim::from_seconds(bal.health_check.timeout_s);
  fail_timeout_ = st_.duration(bal.passive.fail_timeout_s);
  failover_ = st_.duration(bal.failover_s);
  load_interval_ = sim::from_seconds(bal.metrics_interval_s);
  haproxy_ = HaproxyBackend::of(bal.policy, bal.params);
  envoy_ = EnvoyOutlier::of(bal.policy, bal.params);
  if (outlier_detection()) {
    for (BalancerNode& node : nodes_) {
      const std::size_t n = node.lb->backends().size();
      node.eject_backoff.assign(n, 0);
      node.ejected_at.assign(n, 0);
      node.unejected_at.assign(n, -1);
    }
  }
  if (active && probe_interval_ <= 0) throw std::invalid_argument("balancer.health_check.interval_s must be > 0");
  if (load_interval_ <= 0) throw std::invalid_argument("balancer.metrics_interval_s must be > 0");
  self_ = st_.sim.add_handler(this);
}

void BalancerTier::start_load_reports() { st_.sim.schedule_at(std::min(load_interval_, st_.end), self_, kLoadReport, 0); }

void BalancerTier::handle(const sim::Event& e) {
  if (e.tag == kLoadReport) return load_report();
  if (e.tag == kServeQueue) return serve_queue(static_cast<std::uint32_t>(e.data));
  if (e.tag == kOutlierInterval) return outlier_interval(static_cast<std::uint32_t>(e.data));
  if (e.tag == kQueueTimeout || e.tag == kRetryTurnaround || e.tag == kConnectTimeout || e.tag == kConnectSyn) {  // data: FleetState::pack(client, generation)
    const auto c = static_cast<std::uint32_t>(e.data & 0xFFFFFFFFu);
    const auto client_gen = static_cast<std::uint32_t>(e.data >> 32);
    if (e.tag == kConnectTimeout) return connect_timeout(c, client_gen);
    if (e.tag == kConnectSyn) return connect_syn(c, client_gen);
    return e.tag == kQueueTimeout ? queue_timeout(c, client_gen) : retry_turnaround(c, client_gen);
  }
  const auto server = static_cast<std::uint32_t>(e.data & 0xFFFFFFu);
  const auto n = static_cast<std::uint32_t>((e.data >> 24) & 0xFFu);
  const auto gen = static_cast<std::uint32_t>(e.data >> 32);
  BalancerNode& node = nodes_[n];
  switch (e.tag) {
    case kProbe: probe(n, server); return;
    case kProbeTimeout: probe_result(n, server, false); return;
    case kPassiveExpire:  // `gen` holds the worker whose max_fails took it out
      if (node.up) node.lb->unblock_passive(gen, node.local(server));
      if (!node.queue.empty()) serve_queue_soon(n);
      return;
    case kWarmStep: warm_step(n, server, gen); return;
    case kFailover:
      if (!node.up && node.down_gen == gen) {
        node.resolvable = false;
        rebuild_resolvable();
      }
      return;
    default: throw std::logic_error("BalancerTier: unknown event tag");
  }
}

bool BalancerTier::site_in_service(std::uint32_t site) const {
  for (std::uint32_t n : resolvable_[site]) {
    if (nodes_[n].up && nodes_[n].lb->eligible_count() > 0) return true;
  }
  return false;
}

std::uint32_t BalancerTier::resolve(std::uint32_t c) const {
  // The front door (geo DNS or anycast) sends a client to the nearest site whose balancers have a
  // backend in service, as those balancers see it; failing that, to the nearest site.
  const auto& sites = st_.topo.nearest_sites(st_.clients[c].region);
  std::uint32_t site = sites.front();
  if (sites.size() > 1) {
    for (std::uint32_t candidate : sites) {
      if (site_in_service(candidate)) {
        site = candidate;
        break;
      }
    }
  }
  // DNS round robin over the site's balancers: each client has a stable first choice; once a
  // failed balancer's name has been withdrawn (failover_s after it failed), its clients spread over
  // the others.
  const std::uint32_t base = site * per_site_;
  if (per_site_ == 1) return base;
  const std::uint64_t h = sim::mix64(static_cast<std::uint64_t>(c) ^ 0xB1A5CEull);
  const std::uint32_t first = base + static_cast<std::uint32_t>(h % per_site_);
  const auto& alive = resolvable_[site];
  if (nodes_[first].resolvable || alive.empty()) return first;
  return alive[(h >> 20) % alive.size()];
}

Route BalancerTier::connect(std::uint32_t c) {
  const Route route = route_connection(c);
  st_.refusals.routed(c, route.refusal || route.held || route.unreachable ? route.tried : static_cast<std::int32_t>(route.server),
                      route.balancer);
  return route;
}

Route BalancerTier::route_connection(std::uint32_t c) {
  const Client& cl = st_.clients[c];
  const sim::SimTime now = st_.sim.now();
  const std::uint32_t bi = resolve(c);
  BalancerNode& node = nodes_[bi];
  Route route{std::nullopt, 0, bi, node.site};
  if (st_.parts.gray && st_.parts.gray->down_fault(cl.region, node.site) >= 0) {
    route.unreachable = true;  // the SYN never reaches the balancer: it takes no slot, no port, no server
    return route;
  }
  if (!node.up) {
    route.refusal = Refusal::BalancerDown;
    return route;
  }
  if (!node.limiter.take(now)) {
    ++node.counts.rate_limited;
    route.refusal = Refusal::RateLimited;
    return route;
  }
  LoadBalancer& lb = *node.lb;
  lb.accept();  // NGINX `workers`: the worker process that accepts this connection
  route.worker = lb.worker();
  const auto site_size = static_cast<std::uint32_t>(lb.backends().size());
  const Stickiness sticky = st_.cfg.balancer.sticky;
  const std::int32_t remembered = sticky == Stickiness::Cookie     ? cl.sticky
                                  : sticky == Stickiness::SourceIp ? node.stick[c]
                                                                   : -1;
  int target = -1;  // the remembered server's index at this balancer, when it has it and thinks it is up
  if (remembered >= 0 && st_.topo.site_of(static_cast<std::uint32_t>(remembered)) == node.site) {
    target = node.local(static_cast<std::uint32_t>(remembered));
    if (lb.blocks(target) != 0) target = -1;
  }
  if (haproxy_) return route_haproxy(c, node, route, target);  // maxconn queue, retries, redispatch
  const std::uint32_t tries = st_.cfg.balancer.tries == 0 ? site_size : st_.cfg.balancer.tries;
  tried_.clear();
  return try_backends(c, node, route, target, tries, std::nullopt);
}

Route BalancerTier::try_backends(std::uint32_t c, BalancerNode& node, Route route, int target, std::uint32_t tries,
                                 std::optional<Refusal> last) {
  LoadBalancer& lb = *node.lb;
  const Stickiness sticky = st_.cfg.balancer.sticky;
  const std::uint64_t key = sim::mix64(c);  // a stable identity, like a hashed source address
  const std::int64_t port_limit =
      static_cast<std::int64_t>(st_.cfg.balancer.source_ports) * static_cast<std::int64_t>(st_.cfg.balancer.source_addresses);
  std::vector<int>& tried = tried_;  // backends this attempt tried (blocked as tried until it returns)
  auto untry = [&] {
    for (int t : tried) lb.unblock(t, LoadBalancer::kBlockTried);
  };
  for (std::uint32_t t = 0; t < tries; ++t) {
    const int local = (t == 0 && target >= 0) ? target : pick_for(node, key);
    if (local == kNoBackend) break;
    const auto b = node.first + static_cast<std::uint32_t>(local);
    Server& s = st_.servers[b];
    const std::int64_t in_use = lb.backends()[static_cast<std::size_t>(local)].active_connections;
    std::optional<Refusal> failure;
    if (port_limit > 0 && in_use >= port_limit) {
      ++node.counts.port_exhausted;  // connect() fails with EADDRNOTAVAIL: an error, like a refusal
      failure = Refusal::SourcePorts;
    } else if (!s.up) {
      ++s.interval.attempts;
      ++node.counts.failed_tries;
      ++s.interval.failed;
      if (s.crashed_by != 0) ++st_.faults[s.crashed_by - 1u].outcome.tries_while_undetected;
      failure = Refusal::BackendDown;
    }
    if (failure) {
      last = failure;
      route.tried = static_cast<std::int32_t>(b);
      try_failed(node, b);
      lb.block(local, LoadBalancer::kBlockTried);
      tried.push_back(local);
      continue;
    }
    untry();
    if (s.unreachable && connect_timeout_ > 0) {
      // Its connect gets no answer (site_partition): the balancer holds the attempt and a slot
      // towards the server until its connect timeout (balancer_tier_connect.cpp).
      hold_connect(c, node, route, local, tries - t - 1, 0, false);
      route.held = true;
      route.tried = static_cast<std::int32_t>(b);
      return route;
    }
    if (!s.unreachable) {  // an L4 forwarder passes an unreachable server the SYN: it never sees it
      node.fails[fail_slot(node, b)] = 0;  // a live backend answered (NGINX resets fails on success)
      route.refusal = st_.parts.servers->admit(b);
      if (route.refusal) {
        route.tried = static_cast<std::int32_t>(b);
        return route;
      }
    }
    ++node.counts.routed;
    node.counts.peak_ports = std::max<std::uint64_t>(node.counts.peak_ports, static_cast<std::uint64_t>(in_use + 1));
    lb.connection_opened(local);
    if (sticky == Stickiness::SourceIp) node.stick[c] = static_cast<std::int32_t>(b);
    route.server = b;
    return route;
  }
  untry();
  route.refusal = last.value_or(Refusal::NoBackend);
  return route;
}

RequestFailure BalancerTier::route_request(std::uint32_t c, std::uint32_t& server) {
  // Every HTTP request is routed on its own, as a new connection would be: the client's balancer
  // (by DNS), its stickiness, its policy's pick among the backends it has in service, and its
  // passive failure counting. (Requests ride kept-alive upstream connections: no new-connection
  // rate limit, no source port.)
  const Client& cl = st_.clients[c];
  BalancerNode& node = nodes_[resolve(c)];
  if (!node.up) return RequestFailure::BalancerDown;
  LoadBalancer& lb = *node.lb;
  lb.accept();  // NGINX `workers`: the worker that takes the request
  const Stickiness sticky = st_.cfg.balancer.sticky;
  const std::int32_t remembered = sticky == Stickiness::Cookie     ? cl.sticky
                                  : sticky == Stickiness::SourceIp ? node.stick[c]
                                                                   : -1;
  int local = kNoBackend;
  if (remembered >= 0 && st_.topo.site_of(static_cast<std::uint32_t>(remembered)) == node.site) {
    const int r = node.local(static_cast<std::uint32_t>(remembered));
    if ((lb.blocks(r) & LoadBalancer::kOutOfService) == 0) local = r;  // else HAProxy redispatches
  }
  if (local == kNoBackend) local = pick_for(node, sim::mix64(c));
  if (local == kNoBackend) return RequestFailure::NoBackend;
  server = node.first + static_cast<std::uint32_t>(local);
  Server& s = st_.servers[server];
  if (!s.up) {
    ++node.counts.failed_tries;
    ++s.interval.failed;
    try_failed(node, server);
    return RequestFailure::BackendDown;
  }
  node.fails[fail_slot(node, server)] = 0;
  return RequestFailure::None;
}

void BalancerTier::remember(std::uint32_t c, std::uint32_t server) {
  if (st_.cfg.balancer.sticky != Stickiness::SourceIp) return;
  BalancerNode& node = nodes_[resolve(c)];
  if (!node.stick.empty()) node.stick[c] = static_cast<std::int32_t>(server);
}

void BalancerTier::try_failed(BalancerNode& node, std::uint32_t server) {
  // NGINX (ngx_http_upstream_round_robin.c, free_peer): a failure more than fail_timeout after the
  // previous one starts a new count; max_fails failures take the peer out for fail_timeout. A
  // one-server upstream never fails.
  node.lb->failure(node.local(server));  // the policy's own reaction (NGINX lowers the effective weight)
  if (outlier_detection()) return envoy_failure(node, server);
  const PassiveSection& passive = st_.cfg.balancer.passive;
  if (passive.max_fails == 0 || node.lb->backends().size() == 1) return;
  // Without a shared `zone` each NGINX worker keeps its own counts (peer->fails, peer->checked live in
  // the worker's memory): the worker that made the try counts it and takes the peer out for itself.
  const std::uint32_t worker = node.lb->worker();
  const std::size_t b = fail_slot(node, server);
  const int backend = node.local(server);
  const sim::SimTime now = st_.sim.now();
  if (now - node.checked[b] > fail_timeout_) node.fails[b] = 0;
  ++node.fails[b];
  node.checked[b] = now;
  if (node.fails[b] < passive.max_fails || node.lb->passive_in(worker, backend)) return;
  const std::uint32_t index = index_of(node);
  node.lb->block_passive(worker, backend);
  ++node.counts.marked_down;  // per worker, as each worker logs "upstream server temporarily disabled"
  // The balancer has taken it out once every worker has.
  if (node.lb->blocks_everywhere(backend) & LoadBalancer::kBlockPassive) note_detection(index, server);
  if (now + fail_timeout_ <= st_.end) st_.sim.schedule_at(now + fail_timeout_, self_, kPassiveExpire, pack_backend(index, server, worker));
}

void BalancerTier::server_crashed(std::uint32_t b, std::uint32_t fault) {
  FaultState& f = st_.faults[fault];
  for (BalancerNode& node : site_nodes_of(b)) {
    node.lb->drop_all(node.local(b));
    if (node.up && (node.lb->blocks_everywhere(node.local(b)) & LoadBalancer::kOutOfService) == 0) f.pending_nodes |= 1ull << index_of(node);
  }
  keep_connect_slots(b);
  if (f.pending_nodes == 0 && !f.outcome.detected_within_s) f.outcome.detected_within_s = 0.0;
  if (st_.cfg.balancer.health_check.mode == HealthCheckMode::Instant) {
    for (BalancerNode& node : site_nodes_of(b)) {
      if (node.up) mark_health(index_of(node), b, false);
    }
  }
}

void BalancerTier::server_restarted(std::uint32_t b) {
  if (st_.cfg.balancer.health_check.mode == HealthCheckMode::Instant) {
    for (BalancerNode& node : site_nodes_of(b)) {
      if (node.up) mark_health(index_of(node), b, true);
    }
  }
  // Active checks find it on their own; with neither, passive detection lets it back after fail_timeout.
}

void BalancerTier::server_added(std::uint32_t b) {
  const bool active = st_.cfg.balancer.health_check.mode == HealthCheckMode::Active;
  for (BalancerNode& node : site_nodes_of(b)) {
    node.lb->unblock(node.local(b), LoadBalancer::kBlockDraining);  // a slot the [autoscaler] drained and reuses
    node.lb->unblock(node.local(b), LoadBalancer::kBlockAbsent);
    // With active checks it joins after `rise` passed probes (and slow start begins then).
    if (!active && node.up) start_warmup(index_of(node), b);
    if (!active && node.up && !node.queue.empty()) serve_queue_soon(index_of(node));  // HAProxy: it takes queued ones
  }
}

void BalancerTier::server_draining(std::uint32_t b) {
  for (BalancerNode& node : site_nodes_of(b)) node.lb->block(node.local(b), LoadBalancer::kBlockDraining);
}

void BalancerTier::server_removed(std::uint32_t b) {
  for (BalancerNode& node : site_nodes_of(b)) {
    node.lb->drop_all(node.local(b));  // half-open connections go with it
    node.lb->block(node.local(b), LoadBalancer::kBlockAbsent);
  }
  keep_connect_slots(b);
}

void BalancerTier::crash_balancer(std::uint32_t n, std::uint32_t fault) {
  BalancerNode& node = nodes_[n];
  if (!node.up) return;
  node.up = false;
  ++node.down_gen;
  // Every connection proxied through it dies with it (both halves: the servers see their side close).
  for (std::uint32_t c = 0; c < st_.clients.size(); ++c) {
    const Client& cl = st_.clients[c];
    const bool through = (cl.state == ClientState::Connected || cl.state == ClientState::Connecting) &&
                         cl.balancer == n && cl.server >= 0;
    if (through) st_.parts.connections->cut_connection(c, fault, true);
  }
  std::fill(node.stick.begin(), node.stick.end(), -1);  // its stick table is lost
  if (haproxy_) cut_held(n);  // the connections waiting in it are lost too
  for (std::uint32_t c : cut_connects(n)) {  // and those waiting for its connect to an unreachable server
    Route route{std::nullopt, 0, n, node.site};
    route.refusal = Refusal::BalancerDown;
    resolve_held(c, route);
  }
  // It no longer sends anything anywhere: stop waiting for it to notice crashed servers.
  for (std::uint32_t b = node.first; b < node.first + node.lb->backends().size(); ++b) note_detection(n, b);
  const sim::SimTime at = st_.sim.now() + failover_;
  if (at <= st_.end) st_.sim.schedule_at(at, self_, kFailover, pack_backend(n, 0, node.down_gen));
}

void BalancerTier::recover_balancer(std::uint32_t n) {
  BalancerNode& node = nodes_[n];
  if (node.up) return;
  node.up = true;
  node.resolvable = true;
  rebuild_resolvable();
  // A restarted balancer starts with every configured backend up (HAProxy's default initial state)
  // and a clean slate of failure counts; its checks correct the picture. The oracle knows the truth.
  const bool instant = st_.cfg.balancer.health_check.mode == HealthCheckMode::Instant;
  for (std::uint32_t b = node.first; b < node.first + node.lb->backends().size(); ++b) {
    if (!st_.servers[b].present) continue;
    const int backend = node.local(b);
    for (std::uint32_t w = 0; w < node.lb->workers(); ++w) {
      node.fails[fail_slot(node, b, w)] = 0;
      node.lb->unblock_passive(w, backend);
    }
    node.health[node.slot(b)].set(instant ? st_.servers[b].up : true);
    if (node.health[node.slot(b)].up()) {
      node.lb->unblock(backend, LoadBalancer::kBlockDown);
    } else {
      node.lb->block(backend, LoadBalancer::kBlockDown);
    }
  }
}

void BalancerTier::rebuild_resolvable() {
  for (auto& site : resolvable_) site.clear();
  for (std::uint32_t n = 0; n < nodes_.size(); ++n) {
    if (nodes_[n].resolvable) resolvable_[nodes_[n].site].push_back(n);
  }
}

void BalancerTier::load_report() {
  // Servers report their load every metrics interval; balancers pick on these (stale) figures.
  const sim::SimTime now = st_.sim.now();
  const double dt = sim::to_seconds(now - last_load_report_);
  const bool probes = st_.cfg.balancer.health_check.mode == HealthCheckMode::Active;
  const double bytes_per_message = st_.cfg.clients.message_bytes * (1.0 + st_.cfg.clients.replies_per_message);
  ServerPool& pool = *st_.parts.servers;
  for (std::uint32_t b = 0; b < st_.servers.size(); ++b) {
    Server& s = st_.servers[b];
    pool.settle(s);
    const sim::SimTime busy = s.cpu.busy_ns(now);
    const double util = dt > 0 ? sim::to_seconds(busy - s.busy_at_last_report) / (dt * st_.specs[b].cpu_cores) : 0.0;
    const double bandwidth = dt > 0 ? static_cast<double>(s.metrics_messages) * bytes_per_message / dt : 0.0;
    s.busy_at_last_report = busy;
    s.metrics_messages = 0;
    for (BalancerNode& node : site_nodes_of(b)) {
      const BackendState& view = node.lb->backends()[node.slot(b)];
      const double rt = probes ? view.response_time_s : sim::to_seconds(s.cpu.wait_ns(now));
      node.lb->set_load(node.local(b), util, rt, bandwidth);
    }
  }
  last_load_report_ = now;
  if (now < st_.end) st_.sim.schedule_at(std::min(now + load_interval_, st_.end), self_, kLoadReport, 0);
}

void BalancerTier::summarise(RunSummary& s) const {
  for (std::uint32_t n = 0; n < nodes_.size(); ++n) {
    const BalancerCounts& k = nodes_[n].counts;
    BalancerOutcome out{n, k.routed, k.rate_limited, k.port_exhausted, k.failed_tries, k.marked_down, k.peak_ports, {}, {}, {}, {}};
    if (has_partition()) {
      out.connect_timeouts = k.connect_timeouts;
      out.connect_completions = k.connect_completions;
    }
    if (haproxy_) {
      out.haproxy = HaproxyOutcome{k.queued,      k.dequeued,      k.queue_timeouts,  k.queue_abandoned, k.queue_cut,
                                   k.retry_waits, k.retry_resumed, k.retry_abandoned, k.retry_cut,       k.redispatches};
    }
    if (outlier_detection()) out.outlier = OutlierOutcome{k.ejections, k.ejections_overflow, k.unejections, k.panic_picks};
    s.balancers.push_back(out);
  }
}

void BalancerTier::conservation(RunSummary& summary) const {
  std::uint64_t counted = 0, ghosts = 0;
  for (const auto& node : nodes_) {
    for (const auto& b : node.lb->backends()) counted += static_cast<std::uint64_t>(b.active_connections);
  }
  for (const auto& srv : st_.servers) ghosts += srv.ghosts;
  counted += held_now();  // HAProxy: attempts waiting at a balancer are pending and counted by none yet
  counted += st_.parts.connections->syn_pending();  // link_down: SYNs that never arrived are pending, counted by none
  if (st_.parts.opening) counted += st_.parts.opening->in_flight();  // requests before the WebSocket: pending, on no balancer slot
  const auto& k = summary.connections;
  add_conservation_check(summary, "balancer", "connections the balancers count = active_at_end + pending_at_end + half_open_at_end",
                         counted, {k.active_at_end, k.pending_at_end, ghosts});
  if (haproxy_) haproxy_conservation(summary);
  if (has_partition()) {
    add_conservation_check(summary, "balancer connects",
                           "connects to unreachable servers = timed_out + answered_after_heal + abandoned + cut + waiting_at_end",
                           connect_holds_, {connect_timeouts_, connect_completed_, connect_abandoned_, connect_cut_, connect_waits_.size()});
  }
}

bool BalancerTier::has_partition() const {
  for (const CrashFault& f : st_.cfg.faults) {
    if (f.target == FaultTarget::SitePartition) return true;
  }
  return false;
}

}  // namespace wsfleet::models
