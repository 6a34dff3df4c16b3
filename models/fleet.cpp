#include "models/fleet.hpp"

#include "models/balancer/slow_start.hpp"

#include <utility>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

namespace wsfleet::models {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();


double quantile_or_nan(const sim::LogHistogram& h, double q) { return h.count() ? h.quantile(q) : kNaN; }

// Scenario durations (ramp, heartbeat interval, timeout, recovery delay, session lengths, message
// gaps) may be far longer than any run: the loader accepts e.g. recover_after_s = 1e300, meaning
// "not within this run". sim::from_seconds cannot represent such times, so they saturate to a time
// past the end of the run that can still be added to any time up to the end without overflow.
// Durations sim::from_seconds can represent keep their exact value.
sim::SimTime duration_ns(double seconds, sim::SimTime end) {
  const sim::SimTime far = std::numeric_limits<sim::SimTime>::max() - end;
  if (!(seconds < 9.0e9)) return far;  // from_seconds' limit; also +inf and NaN
  return std::min(sim::from_seconds(seconds), far);
}

}  // namespace

LatencyStats stats_of(const sim::LogHistogram& h) {
  LatencyStats s{};
  s.count = h.count();
  if (h.count() == 0) {
    s.mean_ms = s.p50_ms = s.p90_ms = s.p99_ms = s.p999_ms = s.max_ms = kNaN;
    return s;
  }
  s.mean_ms = h.mean();
  s.p50_ms = h.quantile(0.5);
  s.p90_ms = h.quantile(0.9);
  s.p99_ms = h.quantile(0.99);
  s.p999_ms = h.quantile(0.999);
  s.max_ms = h.max();
  return s;
}

void add_conservation_check(RunSummary& summary, std::string name, std::string equation, std::uint64_t lhs,
                            const std::vector<std::uint64_t>& rhs) {
  std::uint64_t sum = 0;
  std::ostringstream v;
  v << lhs << " =";
  for (std::size_t i = 0; i < rhs.size(); ++i) {
    sum += rhs[i];
    v << (i ? " + " : " ") << rhs[i];
  }
  summary.conservation.push_back({std::move(name), std::move(equation), v.str(), sum == lhs});
}

Fleet::Fleet(const FleetConfig& config)
    : cfg_(config),
      topo_(config.topology, config.total_servers()),
      rng_sessions_(sim::StreamFactory(config.run.seed, config.run.replication).stream("clients.sessions")),
      rng_messages_(sim::StreamFactory(config.run.seed, config.run.replication).stream("clients.messages")),
      rng_backoff_(sim::StreamFactory(config.run.seed, config.run.replication).stream("clients.backoff")),
      rng_service_(sim::StreamFactory(config.run.seed, config.run.replication).stream("servers.service")),
      rng_probes_(sim::StreamFactory(config.run.seed, config.run.replication).stream("balancer.probes")),
      rng_vanish_(sim::StreamFactory(config.run.seed, config.run.replication).stream("clients.vanish")),
      fleet_series_({"time_s", "up", "connections", "attempts", "established", "rejected", "failed", "closed",
                     "dropped", "cpu_utilisation", "cpu_backlog_ms", "memory_mib", "messages_delivered",
                     "latency_p50_ms", "latency_p99_ms", "retries", "waiting", "gave_up", "conn_max_over_mean",
                     "conn_cv", "half_open", "clients_websocket", "clients_long_polling", "clients_sse", "polls"}),
      server_series_({"time_s", "server", "up", "connections", "attempts", "established", "rejected", "failed",
                      "closed", "dropped", "cpu_utilisation", "cpu_backlog_ms", "memory_mib", "messages_delivered",
                      "latency_p50_ms", "latency_p99_ms", "polls"}) {
  const sim::StreamFactory streams(cfg_.run.seed, cfg_.run.replication);
  if (cfg_.fleet.servers == 0) throw std::invalid_argument("fleet.servers must be >= 1");
  if (cfg_.fleet.servers >= (1u << 24) - 1) throw std::invalid_argument("fleet.servers must be below 16777215");
  if (cfg_.clients.count > std::numeric_limits<std::uint32_t>::max() - 1) {
    throw std::invalid_argument("clients.count is too large for one run");
  }
  end_ = sim::from_seconds(cfg_.run.duration_s);
  sample_interval_ = sim::from_seconds(cfg_.run.sample_interval_s);
  if (end_ <= 0 || sample_interval_ <= 0) throw std::invalid_argument("run.duration_s and run.sample_interval_s must be > 0");

  const std::uint32_t total = cfg_.total_servers();
  if (static_cast<std::uint64_t>(cfg_.fleet.servers) + (total - cfg_.fleet.servers) >= (1u << 24) - 1) {
    throw std::invalid_argument("fleet.servers plus [[scaling]] additions must be below 16777215");
  }
  specs_ = server_specs(cfg_);  // per-server limits, cores, memory and weight ([[fleet.classes]])
  std::vector<double> weights;
  for (const ServerSpec& spec : specs_) weights.push_back(spec.weight);
  backoff_ = make_backoff_policy(cfg_.backoff.policy, cfg_.backoff.params);

  servers_.reserve(total);
  for (std::uint32_t i = 0; i < total; ++i) {
    servers_.emplace_back(specs_[i].cpu_cores, cfg_.fleet.admission.max_handshakes_per_s);
    if (i >= cfg_.fleet.servers) servers_.back().up = servers_.back().present = false;
  }
  next_absent_ = cfg_.fleet.servers;

  const BalancerSection& bal = cfg_.balancer;
  per_site_ = bal.count;
  if (bal.count == 0 || bal.count * topo_.sites() > 64) {
    throw std::invalid_argument("balancer.count x sites must be between 1 and 64");
  }
  const bool active = bal.health_check.mode == HealthCheckMode::Active;
  nodes_.reserve(bal.count * topo_.sites());
  resolvable_.resize(topo_.sites());
  for (std::uint32_t site = 0; site < topo_.sites(); ++site) {
    const std::uint32_t first = topo_.first_server(site);
    const std::uint32_t size = topo_.site_servers(site);
    const std::vector<double> site_weights(weights.begin() + first, weights.begin() + first + size);
    for (std::uint32_t k = 0; k < bal.count; ++k) {
      const auto i = static_cast<std::uint32_t>(nodes_.size());
      auto lb = std::make_unique<LoadBalancer>(make_balancing_policy(bal.policy, bal.params), site_weights,
                                               streams.stream("balancer", i));
      lb->set_connection_cap(bal.max_connections_per_backend);
      BalancerNode node(std::move(lb), site, first, size, bal.max_new_connections_per_s);
      node.base_weight = site_weights;
      for (std::uint32_t b = std::max(first, cfg_.fleet.servers); b < first + size; ++b) {
        node.lb->block(node.local(b), LoadBalancer::kBlockAbsent);
        if (active) {  // it must pass `rise` probes once it joins
          node.health[node.slot(b)].set(false);
          node.lb->block(node.local(b), LoadBalancer::kBlockDown);
        }
      }
      if (bal.sticky == Stickiness::SourceIp) node.stick.assign(cfg_.clients.count, -1);
      nodes_.push_back(std::move(node));
      resolvable_[site].push_back(i);
    }
  }
  for (std::size_t r = 0; r < topo_.regions(); ++r) {
    for (std::size_t site = 0; site < topo_.sites(); ++site) {
      latency_ns_.push_back(static_cast<double>(sim::from_seconds(topo_.latency_ms(r, site) / 1000.0)));
    }
  }
  probe_interval_ = sim::from_seconds(bal.health_check.interval_s);
  probe_timeout_ = sim::from_seconds(bal.health_check.timeout_s);
  fail_timeout_ = duration_ns(bal.passive.fail_timeout_s, end_);
  failover_ = duration_ns(bal.failover_s, end_);
  load_interval_ = sim::from_seconds(bal.metrics_interval_s);
  if (active && probe_interval_ <= 0) throw std::invalid_argument("balancer.health_check.interval_s must be > 0");
  if (load_interval_ <= 0) throw std::invalid_argument("balancer.metrics_interval_s must be > 0");

  cost_handshake_ = sim::from_micros(cfg_.fleet.cpu.handshake_us);
  cost_message_ = sim::from_micros(cfg_.fleet.cpu.inbound_message_us +
                                   cfg_.clients.replies_per_message * cfg_.fleet.cpu.outbound_message_us);
  cost_heartbeat_ = sim::from_micros(cfg_.fleet.cpu.heartbeat_us);
  heartbeat_interval_ = duration_ns(cfg_.clients.heartbeat_interval_s, end_);
  hb_timeout_ = duration_ns(cfg_.heartbeat.timeout_s, end_);
  hb_peer_timeout_ = duration_ns(cfg_.heartbeat.peer_timeout_s, end_);
  idle_timeout_ = duration_ns(cfg_.balancer.idle_timeout_s, end_);
  idle_pings_ = cfg_.heartbeat.mode == HeartbeatMode::WhenIdle && heartbeat_interval_ > 0;
  // The balancer cuts idle connections only if pings do not keep them busy: pings (periodic, or after
  // `interval` of silence) at least once per idle timeout keep every connection alive.
  idle_cuts_ = idle_timeout_ > 0 && !(heartbeat_interval_ > 0 && heartbeat_interval_ < idle_timeout_);
  rebalance_interval_ = duration_ns(cfg_.fleet.rebalance.interval_s, end_);
  track_activity_ = idle_pings_ || idle_cuts_ || cfg_.clients.vanish_share > 0.0 || rebalance_interval_ > 0;
  if (track_activity_) heartbeat_tag_ = kHeartbeatTracked;
  shed_backlog_ = sim::from_micros(cfg_.fleet.admission.reject_above_backlog_ms * 1000.0);
  retry_after_ = duration_ns(cfg_.fleet.admission.retry_after_s, end_);
  cost_reject_ = sim::from_micros(cfg_.fleet.admission.reject_us);
  connect_timeout_ = duration_ns(cfg_.clients.connect_timeout_s, end_);
  message_mean_gap_s_ = cfg_.clients.messages_per_minute > 0 ? 60.0 / cfg_.clients.messages_per_minute : 0.0;

  // First connection times: a Poisson process over [0, ramp] conditioned on `count` arrivals,
  // i.e. sorted uniform times.
  clients_.resize(cfg_.clients.count);
  if (track_activity_) activity_.assign(cfg_.clients.count, 0);
  idle_close_ = duration_ns(cfg_.fleet.idle_close_s, end_);
  if (idle_close_ > 0) data_activity_.assign(cfg_.clients.count, 0);
  if (track_activity_ || idle_close_ > 0) message_tag_ = kMessageTracked;
  if (topo_.regions() > 255) throw std::invalid_argument("topology: at most 255 regions");
  if (topo_.regions() > 1) {
    for (std::uint32_t c = 0; c < clients_.size(); ++c) clients_[c].region = static_cast<std::uint8_t>(topo_.region_of(c));
  }
  gens_.assign(cfg_.clients.count, 0);
  arrival_times_.resize(cfg_.clients.count);
  sim::Rng rng_arrivals = streams.stream("clients.arrivals");
  const sim::SimTime ramp = duration_ns(cfg_.clients.ramp_s, end_);
  for (auto& t : arrival_times_) t = static_cast<sim::SimTime>(rng_arrivals.uniform01() * static_cast<double>(ramp));
  std::sort(arrival_times_.begin(), arrival_times_.end());

  for (std::size_t i = 0; i < cfg_.faults.size(); ++i) {
    const auto& f = cfg_.faults[i];
    FaultState st;
    if (f.target == FaultTarget::Server) {
      if (f.server >= total) throw std::invalid_argument("faults: server index out of range");
      st.outcome.target = "server";
      st.outcome.server = f.server;
    } else if (f.target == FaultTarget::Balancer) {
      if (f.balancer >= nodes_.size()) throw std::invalid_argument("faults: balancer index out of range");
      st.outcome.target = "balancer";
      st.outcome.server = f.balancer;
    } else if (f.target == FaultTarget::Broker) {
      st.outcome.target = "broker";
    } else if (f.target == FaultTarget::WebSocketBlock) {
      if (!(f.share > 0.0 && f.share <= 1.0)) throw std::invalid_argument("faults: websocket_block share must be in (0, 1]");
      st.outcome.target = "websocket_block";
      st.outcome.share = f.share;
    } else {
      std::uint32_t site = 0;
      while (site < topo_.sites() && topo_.site_name(site) != f.site) ++site;
      if (site == topo_.sites()) throw std::invalid_argument("faults: unknown site '" + f.site + "'");
      st.outcome.target = "site";
      st.outcome.site = f.site;
      st.outcome.server = site;
    }
    st.outcome.at_s = f.at_s;
    st.outcome.recover_after_s = f.recover_after_s;
    faults_.push_back(st);
  }
  if (faults_.size() >= 0xFFFF) throw std::invalid_argument("too many faults (at most 65534)");
  pubsub_init();
  if (!ps_ && std::any_of(cfg_.faults.begin(), cfg_.faults.end(), [](const CrashFault& f) { return f.target == FaultTarget::Broker; })) {
    throw std::invalid_argument("faults: a broker_outage needs [pubsub]");
  }

  self_ = sim_.add_handler(this);
  if (FallbackTransports::needed(cfg_)) transport_ = std::make_unique<FallbackTransports>(*this);
}

void Fleet::schedule_client(sim::SimTime t, std::uint32_t tag, std::uint32_t c) {
  if (t > end_) return;  // would never fire inside the run; keeps the event list small
  sim_.schedule_at(t, self_, tag, pack(c, gens_[c]));
}

RunResult Fleet::run(const ProgressFn& progress) {
  const auto wall_start = std::chrono::steady_clock::now();
  if (!arrival_times_.empty() && arrival_times_[0] <= end_) sim_.schedule_at(arrival_times_[0], self_, kArrive, 0);
  for (std::uint32_t i = 0; i < faults_.size(); ++i) {
    const auto& f = cfg_.faults[i];
    const sim::SimTime at = sim::from_seconds(f.at_s);
    if (at <= end_) sim_.schedule_at(at, self_, kCrash, i);
    if (f.recover_after_s) {
      const sim::SimTime back = at + duration_ns(*f.recover_after_s, end_);
      if (back <= end_) sim_.schedule_at(back, self_, kRecover, i);
    }
  }
  sim_.schedule_at(std::min(sample_interval_, end_), self_, kSample, 0);
  for (std::uint32_t i = 0; i < cfg_.scaling.size(); ++i) {
    const sim::SimTime at = sim::from_seconds(cfg_.scaling[i].at_s);
    if (at <= end_) sim_.schedule_at(at, self_, kScale, i);
  }
  if (cfg_.balancer.health_check.mode == HealthCheckMode::Active) {
    // Each balancer probes each backend every interval, starting at a random phase (HAProxy spreads
    // its checks over the interval).
    for (std::uint32_t n = 0; n < nodes_.size(); ++n) {
      const std::uint32_t first = nodes_[n].first;
      for (std::uint32_t b = first; b < first + nodes_[n].lb->backends().size(); ++b) {
        const auto phase = static_cast<sim::SimTime>(rng_probes_.uniform01() * static_cast<double>(probe_interval_));
        if (phase <= end_) sim_.schedule_at(phase, self_, kProbe, pack_backend(n, b));
      }
    }
  }
  sim_.schedule_at(std::min(load_interval_, end_), self_, kLoadReport, 0);
  if (rebalance_interval_ > 0 && rebalance_interval_ <= end_) sim_.schedule_at(rebalance_interval_, self_, kRebalance, 0);
  pubsub_start();
  if (progress) sim_.set_progress([&](sim::SimTime now, std::uint64_t n) { progress(now, n); }, 1u << 20);

  sim_.run_until(end_);
  for (auto& s : servers_) {
    settle(s);  // jobs completing exactly at the end, after the last sample
    message_latency_ms_.merge(s.interval_latency_ms);
  }

  RunResult result;
  result.summary = make_summary();
  pubsub_finish(result.summary);
  result.summary.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  check_conservation(result.summary);
  result.fleet = std::move(fleet_series_);
  result.servers = std::move(server_series_);
  return result;
}

void Fleet::handle(const sim::Event& e) {
  switch (e.tag) {
    case kArrive: {
      const auto c = static_cast<std::uint32_t>(e.data);
      ++arrived_;
      if (c + 1 < arrival_times_.size()) {
        if (arrival_times_[c + 1] <= end_) sim_.schedule_at(arrival_times_[c + 1], self_, kArrive, c + 1);
      } else {
        std::vector<sim::SimTime>().swap(arrival_times_);
      }
      attempt(c);
      return;
    }
    case kCrash: crash(static_cast<std::uint32_t>(e.data)); return;
    case kRecover: recover(static_cast<std::uint32_t>(e.data)); return;
    case kSample: sample(); return;
    case kLoadReport: load_report(); return;
    case kRebalance: rebalance(); return;
    case kScale: scale(static_cast<std::uint32_t>(e.data)); return;
    case kDrainDeadline: drain_deadline(static_cast<std::uint32_t>(e.data)); return;
    case kProbe:
    case kProbeTimeout:
    case kPassiveExpire:
    case kWarmStep:
    case kFailover: handle_balancer_timer(e.tag, e.data); return;
    case kGhostGone: ghost_gone(static_cast<std::uint32_t>(e.data)); return;
    case kPubFeed:
    case kPubClient:
    case kPubArrive:
    case kPubFanout:
    case kPubFetch: pubsub_handle(e.tag, e.data); return;
    case kMemoryRestart: {
      const auto fault = static_cast<std::uint32_t>(e.data);
      restart_server(faults_[fault].outcome.server, fault);
      return;
    }
    default: break;
  }
  const auto c = static_cast<std::uint32_t>(e.data & 0xFFFFFFFFu);
  const auto gen = static_cast<std::uint32_t>(e.data >> 32);
  // The generations live in their own compact array: the hottest events (heartbeats, messages)
  // then never touch the client record, which for a million clients is a cache miss.
  if (gens_[c] != gen) return;  // a timer of a connection that no longer exists
  switch (e.tag & kKindMask) {
    case kAttempt: attempt(c); break;
    case kHandshakeDone: {
      const auto server = static_cast<std::uint32_t>(clients_[c].server);
      handshake_done(c);
      check_memory(server);  // one more connection's memory (after its timers: a kill cuts it cleanly)
      break;
    }
    case kHandshakeTimeout: handshake_timeout(c); break;
    case kHeartbeat: heartbeat<false>(c, server_of_tag(e.tag)); break;
    case kHeartbeatTracked: heartbeat<true>(c, server_of_tag(e.tag)); break;
    case kMessage: message<false>(c, server_of_tag(e.tag)); break;
    case kMessageTracked: message<true>(c, server_of_tag(e.tag)); break;
    case kSessionEnd: session_end(c); break;
    case kIdleCheck: idle_check(c); break;
    case kIdleClose: idle_close(c); break;
    default: throw std::logic_error("Fleet: unknown event tag");
  }
}

bool Fleet::site_in_service(std::uint32_t site) const {
  for (std::uint32_t n : resolvable_[site]) {
    if (nodes_[n].up && nodes_[n].lb->eligible_count() > 0) return true;
  }
  return false;
}

std::uint32_t Fleet::resolve_balancer(std::uint32_t c) const {
  // The front door (geo DNS or anycast) sends a client to the nearest site whose balancers have a
  // backend in service, as those balancers see it; failing that, to the nearest site.
  const auto& sites = topo_.nearest_sites(clients_[c].region);
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

void Fleet::attempt(std::uint32_t c) {
  Client& cl = clients_[c];
  if (cl.state == ClientState::Waiting) --waiting_;
  ++gens_[c];
  const sim::SimTime now = sim_.now();
  cl.attempt_at = now;
  ++conn_.attempted;
  ++iv_attempts_;
  if (cl.retrying) {
    ++conn_.retries;
    ++iv_retries_;
  }
  const std::uint32_t bi = resolve_balancer(c);
  BalancerNode& node = nodes_[bi];
  if (!node.up) return refuse(c, Refusal::BalancerDown);
  if (!node.limiter.take(now)) {
    ++node.counts.rate_limited;
    return refuse(c, Refusal::RateLimited);
  }
  LoadBalancer& lb = *node.lb;
  const auto site_size = static_cast<std::uint32_t>(lb.backends().size());
  const Stickiness sticky = cfg_.balancer.sticky;
  const std::int32_t remembered = sticky == Stickiness::Cookie     ? cl.sticky
                                  : sticky == Stickiness::SourceIp ? node.stick[c]
                                                                   : -1;
  int target = -1;  // the remembered server's index at this balancer, when it has it and thinks it is up
  if (remembered >= 0 && topo_.site_of(static_cast<std::uint32_t>(remembered)) == node.site) {
    target = node.local(static_cast<std::uint32_t>(remembered));
    if (lb.blocks(target) != 0) target = -1;
  }
  const std::uint64_t key = sim::mix64(c);  // a stable identity, like a hashed source address
  const std::uint32_t tries = cfg_.balancer.tries == 0 ? site_size : cfg_.balancer.tries;
  const std::int64_t port_limit =
      static_cast<std::int64_t>(cfg_.balancer.source_ports) * static_cast<std::int64_t>(cfg_.balancer.source_addresses);
  std::vector<int>& tried = tried_;
  tried.clear();
  auto untry = [&] {
    for (int t : tried) lb.unblock(t, LoadBalancer::kBlockTried);
  };
  std::optional<Refusal> last;
  for (std::uint32_t t = 0; t < tries; ++t) {
    const int local = (t == 0 && target >= 0) ? target : lb.pick(key);
    if (local == kNoBackend) break;
    const auto b = node.first + static_cast<std::uint32_t>(local);
    Server& s = servers_[b];
    const std::int64_t in_use = lb.backends()[static_cast<std::size_t>(local)].active_connections;
    std::optional<Refusal> failure;
    if (port_limit > 0 && in_use >= port_limit) {
      ++node.counts.port_exhausted;  // connect() fails with EADDRNOTAVAIL: an error, like a refusal
      failure = Refusal::SourcePorts;
    } else if (!s.up) {
      ++s.interval.attempts;
      ++node.counts.failed_tries;
      ++s.interval.failed;
      if (s.crashed_by != 0) ++faults_[s.crashed_by - 1u].outcome.tries_while_undetected;
      failure = Refusal::BackendDown;
    }
    if (failure) {
      last = failure;
      try_failed(node, b);
      lb.block(local, LoadBalancer::kBlockTried);
      tried.push_back(local);
      continue;
    }
    untry();
    node.fails[node.slot(b)] = 0;  // a live backend answered (NGINX resets fails on success)
    ++s.interval.attempts;
    if (s.members.size() + s.ghosts >= specs_[b].max_connections) {
      ++s.interval.rejected;
      return refuse(c, Refusal::ServerFull);
    }
    // Admission control: a cheap refusal (503 with Retry-After) instead of a handshake the server
    // cannot afford now.
    if ((shed_backlog_ > 0 && s.cpu.wait_ns(now) > shed_backlog_) || !s.admission.take(now)) {
      ++s.interval.rejected;
      s.cpu.submit(now, service(cost_reject_), CpuQueue::kUntracked);
      return refuse(c, Refusal::Shed);
    }
    ++node.counts.routed;
    node.counts.peak_ports = std::max<std::uint64_t>(node.counts.peak_ports, static_cast<std::uint64_t>(in_use + 1));
    cl.state = ClientState::Connecting;
    cl.server = static_cast<std::int32_t>(b);
    cl.balancer = static_cast<std::uint8_t>(bi);
    cl.slot = static_cast<std::uint32_t>(s.members.size());
    s.members.push_back(c);
    ++connecting_;
    lb.connection_opened(local);
    if (sticky == Stickiness::SourceIp) node.stick[c] = static_cast<std::int32_t>(b);
    // The handshake takes one network round trip plus the server's work.
    const auto rtt = static_cast<sim::SimTime>(2.0 * latency_ns_[cl.region * topo_.sites() + node.site]);
    const sim::SimTime done = s.cpu.submit(now, service(cost_handshake_), CpuQueue::kUntracked) + rtt;
    if (done - now <= connect_timeout_) {
      schedule_client(done, kHandshakeDone, c);
    } else {
      schedule_client(now + connect_timeout_, kHandshakeTimeout, c);
    }
    return;
  }
  untry();
  refuse(c, last.value_or(Refusal::NoBackend));
}

void Fleet::refuse(std::uint32_t c, Refusal why) {
  const bool rejected =
      why == Refusal::ServerFull || why == Refusal::NoBackend || why == Refusal::RateLimited || why == Refusal::Shed;
  ++(rejected ? iv_rejected_ : iv_failed_);
  switch (why) {
    case Refusal::ServerFull: ++conn_.rejected; ++conn_.rejected_server_full; break;
    case Refusal::NoBackend: ++conn_.rejected; ++conn_.no_backend; break;
    case Refusal::RateLimited: ++conn_.rejected; ++conn_.rejected_rate_limited; break;
    case Refusal::Shed: ++conn_.rejected; ++conn_.rejected_shed; return retry_later(c, RetryCause::AttemptFailed, retry_after_);
    case Refusal::Timeout: ++conn_.failed; ++conn_.failed_timeout; break;
    case Refusal::BackendDown: ++conn_.failed; ++conn_.failed_backend_down; break;
    case Refusal::SourcePorts: ++conn_.failed; ++conn_.failed_source_ports; break;
    case Refusal::BalancerDown: ++conn_.failed; ++conn_.failed_balancer_down; break;
    case Refusal::Crash: ++conn_.failed; ++conn_.failed_crash; break;
  }
  retry_later(c, why == Refusal::Timeout ? RetryCause::AttemptTimedOut : RetryCause::AttemptFailed);
}

void Fleet::try_failed(BalancerNode& node, std::uint32_t server) {
  // NGINX (ngx_http_upstream_round_robin.c, free_peer): a failure more than fail_timeout after the
  // previous one starts a new count; max_fails failures take the peer out for fail_timeout. A
  // one-server upstream never fails.
  node.lb->failure(node.local(server));  // the policy's own reaction (NGINX lowers the effective weight)
  const PassiveSection& passive = cfg_.balancer.passive;
  if (passive.max_fails == 0 || node.lb->backends().size() == 1) return;
  const std::size_t b = node.slot(server);
  const int backend = node.local(server);
  const sim::SimTime now = sim_.now();
  if (now - node.checked[b] > fail_timeout_) node.fails[b] = 0;
  ++node.fails[b];
  node.checked[b] = now;
  if (node.fails[b] < passive.max_fails || (node.lb->blocks(backend) & LoadBalancer::kBlockPassive)) return;
  const auto index = static_cast<std::uint32_t>(&node - nodes_.data());
  node.lb->block(backend, LoadBalancer::kBlockPassive);
  ++node.counts.marked_down;
  note_detection(index, server);
  if (now + fail_timeout_ <= end_) sim_.schedule_at(now + fail_timeout_, self_, kPassiveExpire, pack_backend(index, server));
}

void Fleet::handshake_done(std::uint32_t c) {
  Client& cl = clients_[c];
  Server& s = servers_[static_cast<std::size_t>(cl.server)];
  cl.state = ClientState::Connected;
  if (cfg_.balancer.sticky == Stickiness::Cookie) cl.sticky = cl.server;
  backoff_->on_connected(cl.backoff, sim_.now());
  cl.retrying = false;
  --connecting_;
  ++connected_;
  ++s.connected;
  ++conn_.established;
  ++s.interval.established;
  if (cl.storm != 0) {
    FaultState& f = faults_[cl.storm - 1u];
    cl.storm = 0;
    if (--f.outstanding == 0 && !f.incomplete) {
      f.outcome.reconnected_within_s = sim::to_seconds(sim_.now()) - f.outcome.at_s;
    }
  }
  const sim::SimTime now = sim_.now();
  handshake_latency_ms_.record(sim::to_millis(now - cl.attempt_at));
  const double session_s = cfg_.clients.session_s.sample(rng_sessions_);
  schedule_client(now + duration_ns(session_s, end_), kSessionEnd, c);  // `never` (inf) saturates past the end
  const auto server = static_cast<std::uint32_t>(cl.server);
  if (track_activity_) activity_[c] = now;
  if (ps_) pubsub_connect(c);  // every transport subscribes (a long-polling client's copies are written the same way)
  const Transport transport = transport_ ? transport_->on_established(c) : Transport::WebSocket;
  if (transport == Transport::LongPolling) return;  // its polls are its heartbeat; its messages are POSTs
  if (heartbeat_interval_ > 0) schedule_client(now + heartbeat_interval_, conn_tag(heartbeat_tag_, server), c);
  if (idle_cuts_) schedule_client(now + idle_timeout_, conn_tag(kIdleCheck, server), c);
  if (idle_close_ > 0) {
    data_activity_[c] = now;
    schedule_client(now + idle_close_, conn_tag(kIdleClose, server), c);
  }
  if (message_mean_gap_s_ > 0 && transport == Transport::WebSocket) {
    schedule_client(now + duration_ns(rng_messages_.exponential(message_mean_gap_s_), end_), conn_tag(message_tag_, server), c);
  }
}

void Fleet::handshake_timeout(std::uint32_t c) {
  Server& s = servers_[static_cast<std::size_t>(clients_[c].server)];
  ++s.interval.failed;
  --connecting_;
  release_slot(c);
  refuse(c, Refusal::Timeout);
}

// Inline: it runs for every heartbeat and message (the call cost more than its own work).
[[gnu::always_inline]] inline sim::SimTime Fleet::submit_job(std::uint32_t server, sim::SimTime cost, JobKind kind, std::uint32_t c) {
  Server& s = servers_[server];
  settle(s);
  // The job's kind carries the client's region in its upper bits, for the network latency added
  // when it completes (the client record is only read when there are regions).
  const int region = topo_.regions() > 1 ? clients_[c].region : 0;
  const sim::SimTime done = s.cpu.submit(sim_.now(), service(cost), kind | (region << 1));
  ++(kind == kJobHeartbeat ? beats_ : msgs_).sent;
  return done;
}

sim::SimTime Fleet::submit_job_call(std::uint32_t server, sim::SimTime cost, JobKind kind, std::uint32_t c) {
  return submit_job(server, cost, kind, c);
}

template <bool kTracked>
void Fleet::heartbeat(std::uint32_t c, std::uint32_t server) {
  const sim::SimTime now = sim_.now();
  constexpr Tag kind = kTracked ? kHeartbeatTracked : kHeartbeat;
  if constexpr (kTracked) {
    if (idle_pings_ && now - activity_[c] < heartbeat_interval_) {
      // Frames flowed since: ping only after a full interval of silence.
      schedule_client(activity_[c] + heartbeat_interval_, conn_tag(kind, server), c);
      return;
    }
  }
  submit_job(server, cost_heartbeat_, kJobHeartbeat, c);
  if constexpr (kTracked) activity_[c] = now;
  schedule_client(now + heartbeat_interval_, conn_tag(kind, server), c);
}

void Fleet::idle_close(std::uint32_t c) {
  const sim::SimTime now = sim_.now();
  Client& cl = clients_[c];
  if (now - data_activity_[c] < idle_close_) {
    schedule_client(data_activity_[c] + idle_close_, conn_tag(kIdleClose, static_cast<std::uint32_t>(cl.server)), c);
    return;
  }
  // The server's idle policy: no data for idle_close_s, whatever pings said. The client reconnects.
  close_connection(c, conn_.idle_closed);
}

void Fleet::idle_check(std::uint32_t c) {
  const sim::SimTime now = sim_.now();
  if (now - activity_[c] < idle_timeout_) {
    schedule_client(activity_[c] + idle_timeout_, conn_tag(kIdleCheck, static_cast<std::uint32_t>(clients_[c].server)), c);
    return;
  }
  // No frame for the idle timeout: the balancer closes both sides; the client reconnects.
  close_connection(c, conn_.idle_cut);
}

template <bool kTracked>
void Fleet::message(std::uint32_t c, std::uint32_t server) {
  const sim::SimTime done = submit_job(server, cost_message_, kJobMessage, c);
  if (ps_ && cfg_.pubsub.client_publish_share > 0.0) pubsub_client_message(c, server, done);
  if constexpr (kTracked) {
    if (track_activity_) activity_[c] = sim_.now();
    if (idle_close_ > 0) data_activity_[c] = sim_.now();
  }
  schedule_client(sim_.now() + duration_ns(rng_messages_.exponential(message_mean_gap_s_), end_),
                  conn_tag(kTracked ? kMessageTracked : kMessage, server), c);
}

void Fleet::session_end(std::uint32_t c) {
  if (ps_) pubsub_disconnect(c, true);
  Client& cl = clients_[c];
  Server& s = servers_[static_cast<std::size_t>(cl.server)];
  if (transport_) transport_->on_closed(c);
  ++conn_.closed;
  ++s.interval.closed;
  --connected_;
  --s.connected;
  if (cfg_.clients.vanish_share > 0.0 && rng_vanish_.uniform01() < cfg_.clients.vanish_share) {
    vanish(c);
  } else {
    ++conn_.ended;
    release_slot(c);
  }
  ++gens_[c];
  if (cfg_.clients.on_session_end == SessionEnd::Reconnect) {
    backoff_->on_session_restart(cl.backoff, sim_.now());
    cl.retrying = false;
    attempt(c);
  } else {
    cl.state = ClientState::Left;
    ++left_;
  }
}

void Fleet::vanish(std::uint32_t c) {
  // The client's network dropped without a close: the client is gone, but its server (and the
  // balancer's proxied socket) keep the connection, a slot and its memory until a heartbeat timeout
  // notices. The ghost is counted per server; the client record is free to connect again.
  ++conn_.vanished;
  Client& cl = clients_[c];
  const auto server = static_cast<std::uint32_t>(cl.server);
  Server& s = servers_[server];
  leave_members(c);  // the balancer keeps counting it: its proxied socket is still open
  ++s.ghosts;
  const std::uint32_t balancer = cl.balancer;
  cl.server = -1;
  // When does the server notice?
  const sim::SimTime now = sim_.now();
  const HeartbeatSection& hb = cfg_.heartbeat;
  std::optional<sim::SimTime> delay;
  if (hb.sender == HeartbeatSender::Server && heartbeat_interval_ > 0) {
    // Its next ping goes unanswered: the ping is due at a uniformly random point of the interval
    // (periodic), or one interval after the last frame (when idle); then the pong timeout runs out.
    const sim::SimTime to_ping =
        idle_pings_ ? std::max<sim::SimTime>(0, activity_[c] + heartbeat_interval_ - now)
                    : static_cast<sim::SimTime>(rng_vanish_.uniform01() * static_cast<double>(heartbeat_interval_));
    delay = to_ping + hb_timeout_;
  } else if (hb_peer_timeout_ > 0) {
    // The server's own timer: no ping (or frame) from the client for peer_timeout.
    const sim::SimTime last_ping =
        hb.sender == HeartbeatSender::Client && heartbeat_interval_ > 0 && !idle_pings_
            ? now - static_cast<sim::SimTime>(rng_vanish_.uniform01() * static_cast<double>(heartbeat_interval_))
            : activity_[c];
    delay = std::max<sim::SimTime>(0, last_ping + hb_peer_timeout_ - now);
  }
  // A balancer with an idle timeout cuts the proxied connection when no frame has crossed it for
  // that long (ALB idle timeout, NGINX proxy_read_timeout): nothing crosses it unless the server
  // pings the vanished client. The cut closes the server's side too.
  if (idle_timeout_ > 0 && !(hb.sender == HeartbeatSender::Server && heartbeat_interval_ > 0)) {
    const sim::SimTime cut = std::max<sim::SimTime>(0, activity_[c] + idle_timeout_ - now);
    delay = delay ? std::min(*delay, cut) : cut;
  }
  // Without any of these, nothing ever notices: the ghost holds its slot for good (TCP keepalive's
  // two hours aside).
  if (delay && now + *delay <= end_) {
    std::uint32_t index = 0;
    if (ghost_free_.empty()) {
      index = static_cast<std::uint32_t>(ghost_table_.size());
      ghost_table_.emplace_back();
    } else {
      index = ghost_free_.back();
      ghost_free_.pop_back();
    }
    ghost_table_[index] = {now, server, s.ghost_gen, static_cast<std::uint8_t>(balancer)};
    sim_.schedule_at(now + *delay, self_, kGhostGone, index);
  }
}

void Fleet::ghost_gone(std::uint32_t index) {
  const Ghost g = ghost_table_[index];
  ghost_free_.push_back(index);
  Server& s = servers_[g.server];
  if (g.gen != s.ghost_gen || s.ghosts == 0) return;  // a crash or drain already cleared it
  --s.ghosts;
  ++ghosts_detected_;
  ghost_detection_s_.record(sim::to_seconds(sim_.now() - g.since));
  BalancerNode& node = nodes_[g.balancer];
  node.lb->connection_closed(node.local(g.server));
}

void Fleet::leave_members(std::uint32_t c) {
  const Client& cl = clients_[c];
  Server& s = servers_[static_cast<std::size_t>(cl.server)];
  const std::uint32_t last = s.members.back();
  s.members[cl.slot] = last;
  clients_[last].slot = cl.slot;
  s.members.pop_back();
}

void Fleet::release_slot(std::uint32_t c) {
  Client& cl = clients_[c];
  leave_members(c);
  BalancerNode& node = nodes_[cl.balancer];
  node.lb->connection_closed(node.local(static_cast<std::uint32_t>(cl.server)));
  cl.server = -1;
}

void Fleet::close_connection(std::uint32_t c, std::uint64_t& reason) {
  if (ps_) pubsub_disconnect(c, false);
  Server& s = servers_[static_cast<std::size_t>(clients_[c].server)];
  if (transport_) transport_->on_closed(c);
  ++conn_.closed;
  ++reason;
  ++s.interval.closed;
  --connected_;
  --s.connected;
  release_slot(c);
  retry_later(c, RetryCause::ConnectionLost);
}

void Fleet::retry_later(std::uint32_t c, RetryCause cause, sim::SimTime at_least) {
  Client& cl = clients_[c];
  ++gens_[c];
  const sim::SimTime now = sim_.now();
  const RetryContext context{now, cause == RetryCause::ConnectionLost ? now : cl.attempt_at, cause};
  const std::optional<sim::SimTime> delay = backoff_->retry_delay(cl.backoff, rng_backoff_, context);
  if (!delay) {
    if (ps_) pubsub_end_session(c);
    cl.state = ClientState::GaveUp;
    ++conn_.gave_up;
    ++iv_gave_up_;
    if (cl.storm != 0) {
      faults_[cl.storm - 1u].incomplete = true;
      cl.storm = 0;
    }
    return;
  }
  cl.state = ClientState::Waiting;
  cl.retrying = true;
  ++waiting_;
  // A refused or failed attempt costs the client at least a round trip before it can try again, so
  // even "retry at once" cannot spin at one instant: no retry comes sooner than kMinRetryGap (or the
  // client's network round trip to its nearest site, when longer).
  const sim::SimTime round_trip =
      cfg_.topology.enabled()
          ? static_cast<sim::SimTime>(2.0 * latency_ns_[cl.region * topo_.sites() + topo_.nearest_sites(cl.region).front()])
          : 0;
  const sim::SimTime at = now + std::max({at_least, *delay, kMinRetryGap, round_trip});
  if (at <= end_) sim_.schedule_at(at, self_, kAttempt, pack(c, gens_[c]));
}

sim::SimTime Fleet::service(sim::SimTime cost) {
  if (cfg_.fleet.cpu.service_time == ServiceTime::Deterministic || cost == 0) return cost;
  return static_cast<sim::SimTime>(std::llround(rng_service_.exponential(static_cast<double>(cost))));
}

void Fleet::settle(Server& s) {
  s.cpu.retire(sim_.now(), [&](int kind, sim::SimTime latency) { on_job_done(s, kind, latency); });
}

// Inline into settle: it runs for every heartbeat and message that completes.
[[gnu::always_inline]] inline void Fleet::on_job_done(Server& s, int kind, sim::SimTime latency) {
  if ((kind & 1) == kJobHeartbeat) {
    ++beats_.delivered;
    return;
  }
  ++msgs_.delivered;
  ++s.interval.messages_delivered;
  ++s.metrics_messages;
  // Message latency: the trip from the client to its server plus the server's queueing and work.
  double ms = sim::to_millis(latency);
  if (cfg_.topology.enabled()) {
    const auto server = static_cast<std::uint32_t>(&s - servers_.data());
    ms += latency_ns_[static_cast<std::size_t>(kind >> 1) * topo_.sites() + topo_.site_of(server)] * 1e-6;
  }
  // One record per message: the fleet and whole-run histograms are merged from the servers' at
  // each sample (merging is exact: same buckets).
  s.interval_latency_ms.record(ms);
}

void Fleet::cut_connection(std::uint32_t c, std::uint32_t fault, bool release) {
  Client& cl = clients_[c];
  Server& s = servers_[static_cast<std::size_t>(cl.server)];
  FaultState& f = faults_[fault];
  const bool connected = cl.state == ClientState::Connected;
  if (connected && ps_) pubsub_disconnect(c, false);
  if (connected) {
    if (transport_) transport_->on_closed(c);
    ++conn_.closed;
    ++conn_.dropped;
    ++s.interval.closed;
    ++s.interval.dropped;
    --connected_;
    --s.connected;
    ++f.outcome.connections_dropped;
    ++f.outstanding;
    cl.storm = static_cast<std::uint16_t>(fault + 1);
  } else {
    ++s.interval.failed;
    --connecting_;
    ++f.outcome.handshakes_failed;
  }
  if (release) {
    release_slot(c);
  } else {
    cl.server = -1;
  }
  if (connected) {
    retry_later(c, RetryCause::ConnectionLost);
  } else {
    refuse(c, Refusal::Crash);
  }
}

void Fleet::crash(std::uint32_t fault) {
  const CrashFault& cfg = cfg_.faults[fault];
  if (cfg.target == FaultTarget::Balancer) return crash_balancer(fault);
  if (cfg.target == FaultTarget::Broker) {
    ps_->broker.go_down(sim_.now());  // what it holds is lost; publishing fails until it is back
    return;
  }
  if (cfg.target == FaultTarget::WebSocketBlock) return transport_->block(fault);
  FaultState& f = faults_[fault];
  if (cfg.target == FaultTarget::Server) {
    crash_server(f.outcome.server, fault);
  } else {  // a whole site: every server in it
    const std::uint32_t site = f.outcome.server;
    for (std::uint32_t b = topo_.first_server(site); b < topo_.first_server(site + 1); ++b) crash_server(b, fault);
  }
  if (f.outstanding == 0) f.outcome.reconnected_within_s = 0.0;
}

void Fleet::crash_server(std::uint32_t b, std::uint32_t fault) {
  FaultState& f = faults_[fault];
  Server& s = servers_[b];
  if (!s.up) return;  // already down, or not in the fleet: a crash changes nothing
  s.up = false;
  s.crashed_by = static_cast<std::uint16_t>(fault + 1);
  if (ps_) ++ps_->server_epoch[b];  // fan-outs in its queue are lost
  s.cpu.crash(
      sim_.now(), [&](int kind, sim::SimTime latency) { on_job_done(s, kind, latency); },
      [&](int kind) { ++((kind & 1) == kJobHeartbeat ? beats_ : msgs_).dropped; });
  const bool instant = cfg_.balancer.health_check.mode == HealthCheckMode::Instant;
  for (BalancerNode& node : site_nodes_of(b)) {
    const auto n = static_cast<std::uint32_t>(&node - nodes_.data());
    node.lb->drop_all(node.local(b));
    if (node.up && (node.lb->blocks(node.local(b)) & LoadBalancer::kOutOfService) == 0) f.pending_nodes |= 1ull << n;
  }
  if (f.pending_nodes == 0 && !f.outcome.detected_within_s) f.outcome.detected_within_s = 0.0;
  if (instant) {
    for (BalancerNode& node : site_nodes_of(b)) {
      if (node.up) mark_health(static_cast<std::uint32_t>(&node - nodes_.data()), b, false);
    }
  }
  std::vector<std::uint32_t> members;
  members.swap(s.members);
  for (std::uint32_t c : members) cut_connection(c, fault, false);
  s.connected = 0;
  s.ghosts = 0;  // half-open connections die with the process
  ++s.ghost_gen;
}

void Fleet::note_detection(std::uint32_t balancer, std::uint32_t server) {
  const Server& s = servers_[server];
  if (s.up || s.crashed_by == 0) return;
  FaultState& f = faults_[s.crashed_by - 1u];
  if ((f.pending_nodes & (1ull << balancer)) == 0) return;
  // A site crash is detected when every balancer has taken out every server: track per balancer
  // that it has no crashed server of this fault left in service.
  if (s.crashed_by - 1u < cfg_.faults.size() && cfg_.faults[s.crashed_by - 1u].target == FaultTarget::Site) {
    const BalancerNode& node = nodes_[balancer];
      for (std::uint32_t b = node.first; b < node.first + node.lb->backends().size(); ++b) {
      if (servers_[b].crashed_by == s.crashed_by && node.up && (node.lb->blocks(node.local(b)) & LoadBalancer::kOutOfService) == 0) return;
    }
  }
  f.pending_nodes &= ~(1ull << balancer);
  if (f.pending_nodes == 0 && !f.outcome.detected_within_s) {
    f.outcome.detected_within_s = sim::to_seconds(sim_.now()) - f.outcome.at_s;
  }
}

void Fleet::crash_balancer(std::uint32_t fault) {
  FaultState& f = faults_[fault];
  const std::uint32_t n = f.outcome.server;
  BalancerNode& node = nodes_[n];
  if (!node.up) return;
  node.up = false;
  ++node.down_gen;
  // Every connection proxied through it dies with it (both halves: the servers see their side close).
  for (std::uint32_t c = 0; c < clients_.size(); ++c) {
    const Client& cl = clients_[c];
    const bool through = (cl.state == ClientState::Connected || cl.state == ClientState::Connecting) &&
                         cl.balancer == n && cl.server >= 0;
    if (through) cut_connection(c, fault, true);
  }
  std::fill(node.stick.begin(), node.stick.end(), -1);  // its stick table is lost
  // It no longer sends anything anywhere: stop waiting for it to notice crashed servers.
  for (std::uint32_t b = node.first; b < node.first + node.lb->backends().size(); ++b) note_detection(n, b);
  if (f.outstanding == 0) f.outcome.reconnected_within_s = 0.0;
  const sim::SimTime at = sim_.now() + failover_;
  if (at <= end_) sim_.schedule_at(at, self_, kFailover, pack_backend(n, 0, node.down_gen));
}

void Fleet::recover(std::uint32_t fault) {
  const CrashFault& cfg = cfg_.faults[fault];
  if (cfg.target == FaultTarget::Balancer) return recover_balancer(fault);
  if (cfg.target == FaultTarget::Broker) return ps_->broker.come_up();
  if (cfg.target == FaultTarget::WebSocketBlock) return transport_->unblock(fault);
  const std::uint32_t index = faults_[fault].outcome.server;
  const std::uint32_t from = cfg.target == FaultTarget::Server ? index : topo_.first_server(index);
  const std::uint32_t to = cfg.target == FaultTarget::Server ? index + 1 : topo_.first_server(index + 1);
  for (std::uint32_t b = from; b < to; ++b) restart_server(b, fault);
}

void Fleet::restart_server(std::uint32_t b, std::uint32_t fault) {
  Server& s = servers_[b];
  if (s.up || !s.present || s.crashed_by != fault + 1) return;
  s.up = true;
  s.crashed_by = 0;
  if (cfg_.balancer.health_check.mode == HealthCheckMode::Instant) {
    for (BalancerNode& node : site_nodes_of(b)) {
      if (node.up) mark_health(static_cast<std::uint32_t>(&node - nodes_.data()), b, true);
    }
  }
  // Active checks find it on their own; with neither, passive detection lets it back after fail_timeout.
}

void Fleet::recover_balancer(std::uint32_t fault) {
  const std::uint32_t n = faults_[fault].outcome.server;
  BalancerNode& node = nodes_[n];
  if (node.up) return;
  node.up = true;
  node.resolvable = true;
  rebuild_resolvable();
  // A restarted balancer starts with every configured backend up (HAProxy's default initial state)
  // and a clean slate of failure counts; its checks correct the picture. The oracle knows the truth.
  const bool instant = cfg_.balancer.health_check.mode == HealthCheckMode::Instant;
  for (std::uint32_t b = node.first; b < node.first + node.lb->backends().size(); ++b) {
    if (!servers_[b].present) continue;
    const int backend = node.local(b);
    node.fails[node.slot(b)] = 0;
    node.lb->unblock(backend, LoadBalancer::kBlockPassive);
    node.health[node.slot(b)].set(instant ? servers_[b].up : true);
    if (node.health[node.slot(b)].up()) {
      node.lb->unblock(backend, LoadBalancer::kBlockDown);
    } else {
      node.lb->block(backend, LoadBalancer::kBlockDown);
    }
  }
}

void Fleet::rebuild_resolvable() {
  for (auto& site : resolvable_) site.clear();
  for (std::uint32_t n = 0; n < nodes_.size(); ++n) {
    if (nodes_[n].resolvable) resolvable_[nodes_[n].site].push_back(n);
  }
}

void Fleet::handle_balancer_timer(std::uint32_t tag, std::uint64_t data) {
  const auto server = static_cast<std::uint32_t>(data & 0xFFFFFFu);
  const auto n = static_cast<std::uint32_t>((data >> 24) & 0xFFu);
  const auto gen = static_cast<std::uint32_t>(data >> 32);
  BalancerNode& node = nodes_[n];
  switch (tag) {
    case kProbe: probe(n, server); return;
    case kProbeTimeout: probe_result(n, server, false); return;
    case kPassiveExpire:
      if (node.up) node.lb->unblock(node.local(server), LoadBalancer::kBlockPassive);
      return;
    case kWarmStep: warm_step(n, server, gen); return;
    case kFailover:
      if (!node.up && node.down_gen == gen) {
        node.resolvable = false;
        rebuild_resolvable();
      }
      return;
    default: throw std::logic_error("Fleet: unknown balancer timer");
  }
}

void Fleet::probe(std::uint32_t balancer, std::uint32_t server) {
  const sim::SimTime now = sim_.now();
  if (now + probe_interval_ <= end_) sim_.schedule_at(now + probe_interval_, self_, kProbe, pack_backend(balancer, server));
  BalancerNode& node = nodes_[balancer];
  if (!node.up) return;
  Server& s = servers_[server];
  if (!s.up) return probe_result(balancer, server, false);  // refused (or no such host yet)
  // The probe waits behind the server's queued work: a backlog longer than the timeout fails it.
  const sim::SimTime wait = s.cpu.wait_ns(now);
  if (wait > probe_timeout_) {
    sim_.schedule_at(now + probe_timeout_, self_, kProbeTimeout, pack_backend(balancer, server));
    return;
  }
  const BackendState& view = node.lb->backends()[node.slot(server)];
  // Response time as the balancer sees it: an exponentially weighted average of probe round trips.
  const double rtt = 0.5 * view.response_time_s + 0.5 * sim::to_seconds(wait);
  node.lb->set_load(node.local(server), view.cpu_utilisation, rtt, view.bandwidth_bps);
  probe_result(balancer, server, true);
}

void Fleet::probe_result(std::uint32_t balancer, std::uint32_t server, bool passed) {
  BalancerNode& node = nodes_[balancer];
  if (!node.up) return;
  const HealthCheckSection& hc = cfg_.balancer.health_check;
  HealthState& health = node.health[node.slot(server)];
  if (health.record(passed, hc.fall, hc.rise)) mark_health(balancer, server, health.up());
}

void Fleet::mark_health(std::uint32_t balancer, std::uint32_t server, bool up) {
  BalancerNode& node = nodes_[balancer];
  LoadBalancer& lb = *node.lb;
  const std::size_t b = node.slot(server);
  const int backend = node.local(server);
  node.health[b].set(up);
  const bool blocked = (lb.blocks(backend) & LoadBalancer::kBlockDown) != 0;
  if (up && blocked) {
    lb.unblock(backend, LoadBalancer::kBlockDown);
    start_warmup(balancer, server);
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

void Fleet::start_warmup(std::uint32_t balancer, std::uint32_t server) {
  const SlowStartSection& ss = cfg_.balancer.slow_start;
  if (!(ss.window_s > 0.0)) return;
  BalancerNode& node = nodes_[balancer];
  const std::size_t b = node.slot(server);
  node.warm_since[b] = sim_.now();
  ++node.warm_gen[b];
  warm_step(balancer, server, node.warm_gen[b]);
}

void Fleet::warm_step(std::uint32_t balancer, std::uint32_t server, std::uint32_t gen) {
  BalancerNode& node = nodes_[balancer];
  const std::size_t b = node.slot(server);
  if (gen != node.warm_gen[b] || node.warm_since[b] < 0) return;
  const SlowStartSection& ss = cfg_.balancer.slow_start;
  const sim::SimTime elapsed = sim_.now() - node.warm_since[b];
  const double factor = slow_start_factor(ss, elapsed);
  node.lb->set_weight(node.local(server), node.base_weight[b] * factor);
  if (factor >= 1.0) {
    node.warm_since[b] = -1;
    return;
  }
  const sim::SimTime next = node.warm_since[b] + slow_start_next_step(ss, elapsed);
  if (next <= end_) sim_.schedule_at(next, self_, kWarmStep, pack_backend(balancer, server, gen));
}

void Fleet::load_report() {
  // Servers report their load every metrics interval; balancers pick on these (stale) figures.
  const sim::SimTime now = sim_.now();
  const double dt = sim::to_seconds(now - last_load_report_);
  const bool probes = cfg_.balancer.health_check.mode == HealthCheckMode::Active;
  const double bytes_per_message = cfg_.clients.message_bytes * (1.0 + cfg_.clients.replies_per_message);
  for (std::uint32_t b = 0; b < servers_.size(); ++b) {
    Server& s = servers_[b];
    settle(s);
    const sim::SimTime busy = s.cpu.busy_ns(now);
    const double util = dt > 0 ? sim::to_seconds(busy - s.busy_at_last_report) / (dt * specs_[b].cpu_cores) : 0.0;
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
  if (now < end_) sim_.schedule_at(std::min(now + load_interval_, end_), self_, kLoadReport, 0);
}

void Fleet::scale(std::uint32_t event) {
  const ScalingEvent& e = cfg_.scaling[event];
  const bool active = cfg_.balancer.health_check.mode == HealthCheckMode::Active;
  for (std::uint32_t k = 0; k < e.add && next_absent_ < servers_.size(); ++k) {
    const std::uint32_t b = next_absent_++;
    servers_[b].present = servers_[b].up = true;
    for (BalancerNode& node : site_nodes_of(b)) {
      node.lb->unblock(node.local(b), LoadBalancer::kBlockAbsent);
      // With active checks it joins after `rise` passed probes (and slow start begins then).
      if (!active && node.up) start_warmup(static_cast<std::uint32_t>(&node - nodes_.data()), b);
    }
  }
  std::uint32_t removed = 0;
  for (std::uint32_t b = next_absent_; b-- > 0 && removed < e.remove;) {
    Server& s = servers_[b];
    if (!s.present || !s.up || s.draining) continue;
    s.draining = true;
    ++removed;
    for (BalancerNode& node : site_nodes_of(b)) node.lb->block(node.local(b), LoadBalancer::kBlockDraining);
    const sim::SimTime at = sim_.now() + duration_ns(e.drain_timeout_s, end_);
    if (at <= end_) sim_.schedule_at(at, self_, kDrainDeadline, b);
  }
}

void Fleet::rebalance() {
  // Each server in service compares what it holds with the fleet's mean and closes its excess,
  // up to max_per_interval, longest-idle connections first; their clients reconnect through the
  // balancer (and their backoff), which places them on emptier servers.
  const RebalanceSection& rb = cfg_.fleet.rebalance;
  const sim::SimTime now = sim_.now();
  double total = 0.0, in_service = 0.0;
  for (const Server& s : servers_) {
    if (s.up && !s.draining) {
      total += static_cast<double>(s.connected);
      in_service += 1.0;
    }
  }
  if (in_service > 0.0) {
    const double target = total / in_service * (1.0 + rb.tolerance);
    std::vector<std::uint32_t> connected;
    for (Server& s : servers_) {
      if (!s.up || s.draining || static_cast<double>(s.connected) <= target) continue;
      const auto excess = static_cast<std::size_t>(std::floor(static_cast<double>(s.connected) - target));
      const std::size_t shed = std::min<std::size_t>(excess, rb.max_per_interval);
      if (shed == 0) continue;
      connected.clear();
      for (std::uint32_t c : s.members) {
        if (clients_[c].state == ClientState::Connected) connected.push_back(c);
      }
      const std::size_t n = std::min(shed, connected.size());
      std::partial_sort(connected.begin(), connected.begin() + static_cast<std::ptrdiff_t>(n), connected.end(),
                        [&](std::uint32_t a, std::uint32_t b) {
                          return activity_[a] != activity_[b] ? activity_[a] < activity_[b] : a < b;
                        });
      for (std::size_t i = 0; i < n; ++i) close_connection(connected[i], conn_.rebalanced);
    }
  }
  if (now + rebalance_interval_ <= end_) sim_.schedule_at(now + rebalance_interval_, self_, kRebalance, 0);
}

void Fleet::drain_deadline(std::uint32_t server) {
  Server& s = servers_[server];
  // Whatever is still open is closed by the server (WebSocket close 1001 "going away"); its clients
  // reconnect elsewhere through their backoff.
  std::vector<std::uint32_t> members;
  members.swap(s.members);
  for (std::uint32_t c : members) {
    Client& cl = clients_[c];
    if (ps_ && cl.state == ClientState::Connected) pubsub_disconnect(c, false);
    BalancerNode& node = nodes_[cl.balancer];
    node.lb->connection_closed(node.local(server));
    cl.server = -1;
    if (cl.state == ClientState::Connected) {
      if (transport_) transport_->on_closed(c);
      ++conn_.closed;
      ++conn_.drained;
      ++s.interval.closed;
      --connected_;
      retry_later(c, RetryCause::ConnectionLost);
    } else {
      ++s.interval.failed;
      --connecting_;
      refuse(c, Refusal::Crash);
    }
  }
  s.connected = 0;
  s.ghosts = 0;
  ++s.ghost_gen;
  s.draining = false;
  s.present = s.up = false;
  for (BalancerNode& node : site_nodes_of(server)) {
    node.lb->drop_all(node.local(server));  // half-open connections go with it
    node.lb->block(node.local(server), LoadBalancer::kBlockAbsent);
  }
}

void Fleet::check_memory(std::uint32_t server) {
  const double limit = specs_[server].memory_limit_mib;
  if (!(limit > 0.0)) return;
  Server& s = servers_[server];
  if (!s.up) return;
  const double fixed = fixed_memory_mib(server);
  if (ps_) {
    // The queued bytes only overstate what is unsent; look closer only when they would cross the limit.
    if (fixed + static_cast<double>(ps_->buffered[server]) / (1024.0 * 1024.0) <= limit) return;
    if (fixed + pubsub_server_buffered_mib(server) <= limit) return;
  } else if (fixed <= limit) {
    return;
  }
  // Out of memory: the kernel kills the process; its clients reconnect elsewhere.
  FaultState st;
  st.outcome.target = "memory";
  st.outcome.server = server;
  st.outcome.at_s = sim::to_seconds(sim_.now());
  st.outcome.recover_after_s = cfg_.fleet.restart_s;
  if (faults_.size() >= 0xFFFE) throw std::runtime_error("too many out-of-memory crashes in one run (65534)");
  faults_.push_back(st);
  const auto fault = static_cast<std::uint32_t>(faults_.size() - 1);
  if (ps_) ++ps_->out.memory_crashes;
  crash_server(server, fault);
  if (faults_[fault].outstanding == 0) faults_[fault].outcome.reconnected_within_s = 0.0;
  const sim::SimTime back = sim_.now() + sim::from_seconds(cfg_.fleet.restart_s);
  if (back <= end_) sim_.schedule_at(back, self_, kMemoryRestart, fault);
}

double Fleet::fixed_memory_mib(std::uint32_t server) const {
  const Server& s = servers_[server];
  const ServerSpec& spec = specs_[server];
  return spec.base_memory_mib + static_cast<double>(s.members.size() + s.ghosts) * spec.memory_per_connection_kib / 1024.0;
}

void Fleet::sample() {
  const sim::SimTime now = sim_.now();
  const double t = sim::to_seconds(now);
  const double dt = static_cast<double>(now - last_sample_);
  ServerInterval total;
  double util_sum = 0.0, backlog_max = 0.0, mem_sum = 0.0, buffered_sum = 0.0, polls_sum = 0.0;
  std::uint64_t up = 0, conns = 0, ghosts = 0;
  // Imbalance among the servers in service (up, not draining).
  double in_service = 0.0, sum_c = 0.0, sum_c2 = 0.0, max_c = 0.0;
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    Server& s = servers_[i];
    settle(s);
    const sim::SimTime busy = s.cpu.busy_ns(now);
    const double dt_core = dt * static_cast<double>(specs_[i].cpu_cores);
    const double util = dt_core > 0 ? static_cast<double>(busy - s.busy_at_last_sample) / dt_core : 0.0;
    s.busy_at_last_sample = busy;
    const double backlog_ms = sim::to_millis(s.cpu.wait_ns(now));
    const double buffered_mib = ps_ ? pubsub_server_buffered_mib(static_cast<std::uint32_t>(i)) : 0.0;
    const double mem = (s.up ? fixed_memory_mib(static_cast<std::uint32_t>(i)) + buffered_mib : 0.0) +
                       (transport_ ? transport_->held_memory_mib(static_cast<std::uint32_t>(i)) : 0.0);
    const auto polls = static_cast<double>(transport_ ? transport_->take_polls(static_cast<std::uint32_t>(i)) : 0);
    polls_sum += polls;
    const auto& iv = s.interval;
    std::vector<double> row{t, static_cast<double>(i), s.up ? 1.0 : 0.0, static_cast<double>(s.connected),
                            static_cast<double>(iv.attempts), static_cast<double>(iv.established),
                            static_cast<double>(iv.rejected), static_cast<double>(iv.failed),
                            static_cast<double>(iv.closed), static_cast<double>(iv.dropped), util, backlog_ms, mem,
                            static_cast<double>(iv.messages_delivered), quantile_or_nan(s.interval_latency_ms, 0.5),
                            quantile_or_nan(s.interval_latency_ms, 0.99), polls};
    if (ps_) {
      buffered_sum += buffered_mib;
      ps_->peak_buffered_mib = std::max(ps_->peak_buffered_mib, buffered_mib);
      row.insert(row.end(), {buffered_mib * 1024.0, static_cast<double>(ps_->iv_delivered[i]), static_cast<double>(ps_->iv_dropped[i])});
      ps_->iv_delivered[i] = ps_->iv_dropped[i] = 0;
    }
    server_series_.append(row);
    total.attempts += iv.attempts;
    total.established += iv.established;
    total.rejected += iv.rejected;
    total.failed += iv.failed;
    total.closed += iv.closed;
    total.dropped += iv.dropped;
    total.messages_delivered += iv.messages_delivered;
    util_sum += util;
    backlog_max = std::max(backlog_max, backlog_ms);
    mem_sum += mem;
    up += s.up ? 1 : 0;
    conns += s.connected;
    ghosts += s.ghosts;
    if (s.up && !s.draining) {
      const auto c = static_cast<double>(s.connected);
      in_service += 1.0;
      sum_c += c;
      sum_c2 += c * c;
      max_c = std::max(max_c, c);
    }
    peak_cpu_ = std::max(peak_cpu_, util);
    peak_mem_ = std::max(peak_mem_, mem);
    peak_server_conns_ = std::max<std::uint64_t>(peak_server_conns_, s.connected);
    s.interval = ServerInterval{};
    fleet_interval_latency_ms_.merge(s.interval_latency_ms);
    s.interval_latency_ms.reset();
  }
  peak_conns_ = std::max(peak_conns_, conns);
  const TransportClients per_transport = transport_ ? transport_->clients(conns) : TransportClients{conns, 0, 0};
  if (transport_) transport_->note_sample(conns);
  const double mean_c = in_service > 0 ? sum_c / in_service : 0.0;
  const double max_over_mean = mean_c > 0 ? max_c / mean_c : kNaN;
  const double cv = mean_c > 0 ? std::sqrt(std::max(0.0, sum_c2 / in_service - mean_c * mean_c)) / mean_c : kNaN;
  // Attempts and their refusals are the clients' (some never reach a server); the rest sum the servers.
  std::vector<double> row{t, static_cast<double>(up), static_cast<double>(conns), static_cast<double>(iv_attempts_),
                          static_cast<double>(total.established), static_cast<double>(iv_rejected_),
                          static_cast<double>(iv_failed_), static_cast<double>(total.closed),
                          static_cast<double>(total.dropped), util_sum / static_cast<double>(servers_.size()),
                          backlog_max, mem_sum, static_cast<double>(total.messages_delivered),
                          quantile_or_nan(fleet_interval_latency_ms_, 0.5),
                          quantile_or_nan(fleet_interval_latency_ms_, 0.99), static_cast<double>(iv_retries_),
                          static_cast<double>(waiting_), static_cast<double>(iv_gave_up_), max_over_mean, cv,
                          static_cast<double>(ghosts), static_cast<double>(per_transport.websocket),
                          static_cast<double>(per_transport.long_polling), static_cast<double>(per_transport.sse), polls_sum};
  if (ps_) {
    PubSubRuntime& ps = *ps_;
    row.insert(row.end(), {static_cast<double>(ps.iv_published), static_cast<double>(ps.iv_fleet_delivered),
                           static_cast<double>(ps.iv_fleet_dropped), buffered_sum, quantile_or_nan(ps.interval_latency_ms, 0.99)});
    ps.iv_published = ps.iv_fleet_delivered = ps.iv_fleet_dropped = 0;
    ps.latency_ms.merge(ps.interval_latency_ms);
    ps.interval_latency_ms.reset();
    pubsub_trim_logs();
  }
  fleet_series_.append(row);
  message_latency_ms_.merge(fleet_interval_latency_ms_);
  fleet_interval_latency_ms_.reset();
  iv_retries_ = iv_gave_up_ = iv_attempts_ = iv_rejected_ = iv_failed_ = 0;
  last_sample_ = now;
  if (now < end_) sim_.schedule_at(std::min(now + sample_interval_, end_), self_, kSample, 0);
}

RunSummary Fleet::make_summary() const {
  RunSummary s;
  s.scenario_name = cfg_.name;
  s.scenario_description = cfg_.description;
  s.seed = cfg_.run.seed;
  s.replication = cfg_.run.replication;
  s.simulated_seconds = sim::to_seconds(sim_.now());
  s.events_processed = sim_.events_processed();
  s.servers = cfg_.fleet.servers;
  s.total_servers = static_cast<std::uint32_t>(servers_.size());
  s.max_connections_per_server = 0;  // the largest limit (the classes' limits are in s.classes)
  for (const ServerSpec& spec : specs_) s.max_connections_per_server = std::max(s.max_connections_per_server, spec.max_connections);
  s.classes = fleet_classes(cfg_.fleet);
  for (const ServerSpec& spec : specs_) s.server_class.push_back(spec.class_index);
  s.balancer = cfg_.balancer.policy;
  s.backoff = cfg_.backoff.policy;
  s.clients = cfg_.clients.count;
  s.connections = conn_;
  s.connections.pending_at_end = connecting_;
  s.connections.active_at_end = connected_;
  s.connections.waiting_at_end = waiting_;
  s.messages = msgs_;
  s.heartbeats = beats_;
  for (const auto& srv : servers_) {
    s.messages.in_flight_at_end += srv.cpu.tracked_pending(kJobMessage, 1);
    s.heartbeats.in_flight_at_end += srv.cpu.tracked_pending(kJobHeartbeat, 1);
  }
  s.message_latency = stats_of(message_latency_ms_);
  s.handshake_latency = stats_of(handshake_latency_ms_);
  double busy = 0.0;
  for (const auto& srv : servers_) busy += static_cast<double>(srv.cpu.busy_ns(sim_.now()));
  double cores = 0.0;
  for (const ServerSpec& spec : specs_) cores += spec.cpu_cores;
  const double capacity = static_cast<double>(sim_.now()) * cores;
  s.cpu_mean_utilisation = capacity > 0 ? busy / capacity : 0.0;
  s.cpu_peak_utilisation = peak_cpu_;
  s.peak_server_memory_mib = peak_mem_;
  s.peak_connections = peak_conns_;
  s.peak_server_connections = peak_server_conns_;
  for (const auto& f : faults_) s.faults.push_back(f.outcome);
  for (std::uint32_t n = 0; n < nodes_.size(); ++n) {
    const BalancerCounts& k = nodes_[n].counts;
    s.balancers.push_back({n, k.routed, k.rate_limited, k.port_exhausted, k.failed_tries, k.marked_down, k.peak_ports});
  }
  HeartbeatOutcome& hb = s.heartbeat;
  hb.frames_per_message = msgs_.sent > 0 ? static_cast<double>(beats_.sent) / static_cast<double>(msgs_.sent) : kNaN;
  hb.bytes = static_cast<double>(beats_.sent) * cfg_.heartbeat.frame_bytes;
  hb.ghosts_detected = ghosts_detected_;
  for (const auto& srv : servers_) hb.ghosts_at_end += srv.ghosts;
  hb.detection_s = stats_of(ghost_detection_s_);
  if (transport_) {
    transport_->summarise(s, connected_);
  } else {
    s.transport.at_end.websocket = connected_;
    s.transport.peak.websocket = peak_conns_;
    s.transport.fallback_share_at_end = connected_ > 0 ? 0.0 : kNaN;
    s.transport.peak_fallback_share = peak_conns_ > 0 ? 0.0 : kNaN;
  }
  if (cfg_.topology.enabled()) {
    for (std::uint32_t site = 0; site < topo_.sites(); ++site) {
      SiteOutcome out{topo_.site_name(site), topo_.site_servers(site), 0};
      for (std::uint32_t b = topo_.first_server(site); b < topo_.first_server(site + 1); ++b) out.active_at_end += servers_[b].connected;
      s.sites.push_back(out);
    }
    std::vector<std::uint64_t> per_region(topo_.regions(), 0);
    for (const Client& c : clients_) ++per_region[c.region];
    for (std::uint32_t r = 0; r < topo_.regions(); ++r) {
      const std::uint32_t nearest = topo_.nearest_sites(r).front();
      s.regions.push_back({topo_.region_name(r), per_region[r], topo_.site_name(nearest), topo_.latency_ms(r, nearest)});
    }
  }
  return s;
}

void Fleet::check_conservation(RunSummary& summary) const {
  auto check = [&](std::string name, std::string eq, std::uint64_t lhs, const std::vector<std::uint64_t>& rhs) {
    add_conservation_check(summary, std::move(name), std::move(eq), lhs, rhs);
  };
  const auto& k = summary.connections;
  check("attempts", "attempted = established + rejected + failed + pending_at_end", k.attempted,
        {k.established, k.rejected, k.failed, k.pending_at_end});
  check("connections", "established = active_at_end + closed", k.established, {k.active_at_end, k.closed});
  check("closes",
        "closed = ended + dropped + drained + vanished + idle_cut + idle_closed + rebalanced + slow_consumer + session_unknown + poll_failed",
        k.closed,
        {k.ended, k.dropped, k.drained, k.vanished, k.idle_cut, k.idle_closed, k.rebalanced, k.slow_consumer, k.session_unknown,
         k.poll_failed});
  check("rejections", "rejected = rejected_server_full + no_backend + rejected_rate_limited + rejected_shed", k.rejected,
        {k.rejected_server_full, k.no_backend, k.rejected_rate_limited, k.rejected_shed});
  check("failures",
        "failed = failed_timeout + failed_backend_down + failed_source_ports + failed_balancer_down + failed_crash",
        k.failed, {k.failed_timeout, k.failed_backend_down, k.failed_source_ports, k.failed_balancer_down, k.failed_crash});
  std::uint64_t slots = 0, server_connected = 0;
  for (const auto& srv : servers_) {
    slots += srv.members.size();
    server_connected += srv.connected;
  }
  std::uint64_t tracked = 0;
  for (const auto& srv : servers_) tracked += srv.cpu.tracked_pending();
  check("messages", "sent = delivered + dropped + in_flight_at_end", summary.messages.sent,
        {summary.messages.delivered, summary.messages.dropped, summary.messages.in_flight_at_end});
  check("heartbeats", "sent = delivered + dropped + in_flight_at_end", summary.heartbeats.sent,
        {summary.heartbeats.delivered, summary.heartbeats.dropped, summary.heartbeats.in_flight_at_end});
  check("queued work", "jobs in server queues = messages in flight + heartbeats in flight", tracked,
        {summary.messages.in_flight_at_end, summary.heartbeats.in_flight_at_end});
  std::uint64_t ghosts = 0;
  for (const auto& srv : servers_) {
    slots += srv.ghosts;
    ghosts += srv.ghosts;
  }
  check("server slots", "slots held on servers = active_at_end + pending_at_end + half_open_at_end", slots,
        {k.active_at_end, k.pending_at_end, ghosts});
  check("server connections", "connections counted by servers = active_at_end", server_connected, {k.active_at_end});
  std::uint64_t census[6] = {0, 0, 0, 0, 0, 0};
  for (const auto& c : clients_) ++census[static_cast<int>(c.state)];
  check("clients", "clients = not_arrived + connecting + connected + waiting + left + gave_up", clients_.size(),
        {census[0], census[1], census[2], census[3], census[4], census[5]});
  check("waiting", "clients in backoff = waiting_at_end", census[3], {k.waiting_at_end});
  std::uint64_t lb_conns = 0;
  for (const auto& node : nodes_) {
    for (const auto& b : node.lb->backends()) lb_conns += static_cast<std::uint64_t>(b.active_connections);
  }
  check("balancer", "connections the balancers count = active_at_end + pending_at_end + half_open_at_end", lb_conns,
        {k.active_at_end, k.pending_at_end, ghosts});
  const TransportOutcome& tr = summary.transport;
  check("transports", "active_at_end = websocket + long_polling + sse (at end)", k.active_at_end,
        {tr.at_end.websocket, tr.at_end.long_polling, tr.at_end.sse});
  check("polls", "polls sent = answered_with_data + timed_out + failed + in_flight_at_end", tr.polls.sent,
        {tr.polls.answered_with_data, tr.polls.timed_out, tr.polls.failed, tr.polls.in_flight_at_end});
  check("poll failures", "failed = session_unknown + backend_down + no_backend + balancer_down + session_closed",
        tr.polls.failed,
        {tr.polls.failed_session_unknown, tr.polls.failed_backend_down, tr.polls.failed_no_backend,
         tr.polls.failed_balancer_down, tr.polls.failed_session_closed});
  check("held polls", "polls held by servers = in_flight_at_end", transport_ ? transport_->held_polls() : 0,
        {tr.polls.in_flight_at_end});
  pubsub_conservation(summary);
  std::ostringstream broken;
  for (const auto& c : summary.conservation) {
    if (!c.ok) broken << "\n  " << c.name << ": " << c.equation << " does not hold: " << c.values;
  }
  if (!broken.str().empty()) throw ConservationError("conservation check failed (a bug in wsfleet):" + broken.str());
}

}  // namespace wsfleet::models
