#include "models/fleet.hpp"

#include <utility>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

namespace wsfleet::models {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

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

Fleet::Fleet(const FleetConfig& config)
    : cfg_(config),
      rng_sessions_(sim::StreamFactory(config.run.seed, config.run.replication).stream("clients.sessions")),
      rng_messages_(sim::StreamFactory(config.run.seed, config.run.replication).stream("clients.messages")),
      rng_backoff_(sim::StreamFactory(config.run.seed, config.run.replication).stream("clients.backoff")),
      rng_service_(sim::StreamFactory(config.run.seed, config.run.replication).stream("servers.service")),
      fleet_series_({"time_s", "up", "connections", "attempts", "established", "rejected", "failed", "closed",
                     "dropped", "cpu_utilisation", "cpu_backlog_ms", "memory_mib", "messages_delivered",
                     "latency_p50_ms", "latency_p99_ms", "retries", "waiting", "gave_up"}),
      server_series_({"time_s", "server", "up", "connections", "attempts", "established", "rejected", "failed",
                      "closed", "dropped", "cpu_utilisation", "cpu_backlog_ms", "memory_mib", "messages_delivered",
                      "latency_p50_ms", "latency_p99_ms"}) {
  const sim::StreamFactory streams(cfg_.run.seed, cfg_.run.replication);
  if (cfg_.fleet.servers == 0) throw std::invalid_argument("fleet.servers must be >= 1");
  if (cfg_.fleet.servers >= (1u << 24) - 1) throw std::invalid_argument("fleet.servers must be below 16777215");
  if (cfg_.clients.count > std::numeric_limits<std::uint32_t>::max() - 1) {
    throw std::invalid_argument("clients.count is too large for one run");
  }
  end_ = sim::from_seconds(cfg_.run.duration_s);
  sample_interval_ = sim::from_seconds(cfg_.run.sample_interval_s);
  if (end_ <= 0 || sample_interval_ <= 0) throw std::invalid_argument("run.duration_s and run.sample_interval_s must be > 0");

  std::vector<double> weights = cfg_.fleet.weights;
  if (weights.empty()) weights.assign(cfg_.fleet.servers, 1.0);
  if (weights.size() != cfg_.fleet.servers) throw std::invalid_argument("fleet.weights must have one entry per server");
  balancer_ = std::make_unique<LoadBalancer>(make_balancing_policy(cfg_.balancer.policy, cfg_.balancer.params), weights,
                                             streams.stream("balancer"));
  backoff_ = make_backoff_policy(cfg_.backoff.policy, cfg_.backoff.params);

  servers_.reserve(cfg_.fleet.servers);
  for (std::uint32_t i = 0; i < cfg_.fleet.servers; ++i) servers_.emplace_back(cfg_.fleet.cpu_cores);

  cost_handshake_ = sim::from_micros(cfg_.fleet.cpu.handshake_us);
  cost_message_ = sim::from_micros(cfg_.fleet.cpu.inbound_message_us +
                                   cfg_.clients.replies_per_message * cfg_.fleet.cpu.outbound_message_us);
  cost_heartbeat_ = sim::from_micros(cfg_.fleet.cpu.heartbeat_us);
  heartbeat_interval_ = duration_ns(cfg_.clients.heartbeat_interval_s, end_);
  connect_timeout_ = duration_ns(cfg_.clients.connect_timeout_s, end_);
  message_mean_gap_s_ = cfg_.clients.messages_per_minute > 0 ? 60.0 / cfg_.clients.messages_per_minute : 0.0;

  // First connection times: a Poisson process over [0, ramp] conditioned on `count` arrivals,
  // i.e. sorted uniform times.
  clients_.resize(cfg_.clients.count);
  gens_.assign(cfg_.clients.count, 0);
  arrival_times_.resize(cfg_.clients.count);
  sim::Rng rng_arrivals = streams.stream("clients.arrivals");
  const sim::SimTime ramp = duration_ns(cfg_.clients.ramp_s, end_);
  for (auto& t : arrival_times_) t = static_cast<sim::SimTime>(rng_arrivals.uniform01() * static_cast<double>(ramp));
  std::sort(arrival_times_.begin(), arrival_times_.end());

  for (std::size_t i = 0; i < cfg_.faults.size(); ++i) {
    const auto& f = cfg_.faults[i];
    if (f.server >= cfg_.fleet.servers) throw std::invalid_argument("faults: server index out of range");
    FaultState st;
    st.outcome.server = f.server;
    st.outcome.at_s = f.at_s;
    st.outcome.recover_after_s = f.recover_after_s;
    faults_.push_back(st);
  }
  if (faults_.size() >= 0xFFFF) throw std::invalid_argument("too many faults (at most 65534)");

  self_ = sim_.add_handler(this);
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
  if (progress) sim_.set_progress([&](sim::SimTime now, std::uint64_t n) { progress(now, n); }, 1u << 20);

  sim_.run_until(end_);
  for (auto& s : servers_) {
    settle(s);  // jobs completing exactly at the end, after the last sample
    message_latency_ms_.merge(s.interval_latency_ms);
  }

  RunResult result;
  result.summary = make_summary();
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
    default: break;
  }
  const auto c = static_cast<std::uint32_t>(e.data & 0xFFFFFFFFu);
  const auto gen = static_cast<std::uint32_t>(e.data >> 32);
  // The generations live in their own compact array: the hottest events (heartbeats, messages)
  // then never touch the client record, which for a million clients is a cache miss.
  if (gens_[c] != gen) return;  // a timer of a connection that no longer exists
  switch (e.tag & kKindMask) {
    case kAttempt: attempt(c); break;
    case kHandshakeDone: handshake_done(c); break;
    case kHandshakeTimeout: handshake_timeout(c); break;
    case kHeartbeat: heartbeat(c, server_of_tag(e.tag)); break;
    case kMessage: message(c, server_of_tag(e.tag)); break;
    case kSessionEnd: session_end(c); break;
    default: throw std::logic_error("Fleet: unknown event tag");
  }
}

void Fleet::attempt(std::uint32_t c) {
  Client& cl = clients_[c];
  if (cl.state == ClientState::Waiting) --waiting_;
  ++gens_[c];
  cl.attempt_at = sim_.now();
  ++conn_.attempted;
  if (cl.retrying) {
    ++conn_.retries;
    ++iv_retries_;
  }
  const int b = balancer_->pick(sim::mix64(c));  // a stable identity, like a hashed source address;
  if (b == kNoBackend) {
    ++conn_.rejected;
    ++conn_.no_backend;
    retry_later(c, RetryCause::AttemptFailed);
    return;
  }
  Server& s = servers_[static_cast<std::size_t>(b)];
  ++s.interval.attempts;
  if (s.members.size() >= cfg_.fleet.max_connections) {
    ++conn_.rejected;
    ++s.interval.rejected;
    retry_later(c, RetryCause::AttemptFailed);
    return;
  }
  cl.state = ClientState::Connecting;
  cl.server = b;
  cl.slot = static_cast<std::uint32_t>(s.members.size());
  s.members.push_back(c);
  ++connecting_;
  balancer_->connection_opened(b);
  const sim::SimTime now = sim_.now();
  const sim::SimTime done = s.cpu.submit(now, service(cost_handshake_), CpuQueue::kUntracked);
  if (done - now <= connect_timeout_) {
    schedule_client(done, kHandshakeDone, c);
  } else {
    schedule_client(now + connect_timeout_, kHandshakeTimeout, c);
  }
}

void Fleet::handshake_done(std::uint32_t c) {
  Client& cl = clients_[c];
  Server& s = servers_[static_cast<std::size_t>(cl.server)];
  cl.state = ClientState::Connected;
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
  if (heartbeat_interval_ > 0) schedule_client(now + heartbeat_interval_, conn_tag(kHeartbeat, server), c);
  if (message_mean_gap_s_ > 0) {
    schedule_client(now + duration_ns(rng_messages_.exponential(message_mean_gap_s_), end_), conn_tag(kMessage, server), c);
  }
}

void Fleet::handshake_timeout(std::uint32_t c) {
  Server& s = servers_[static_cast<std::size_t>(clients_[c].server)];
  ++conn_.failed;
  ++s.interval.failed;
  --connecting_;
  release_slot(c);
  retry_later(c, RetryCause::AttemptTimedOut);
}

void Fleet::submit_job(std::uint32_t server, sim::SimTime cost, JobKind kind) {
  Server& s = servers_[server];
  settle(s);
  s.cpu.submit(sim_.now(), service(cost), kind);
  ++(kind == kJobHeartbeat ? beats_ : msgs_).sent;
}

void Fleet::heartbeat(std::uint32_t c, std::uint32_t server) {
  submit_job(server, cost_heartbeat_, kJobHeartbeat);
  schedule_client(sim_.now() + heartbeat_interval_, conn_tag(kHeartbeat, server), c);
}

void Fleet::message(std::uint32_t c, std::uint32_t server) {
  submit_job(server, cost_message_, kJobMessage);
  schedule_client(sim_.now() + duration_ns(rng_messages_.exponential(message_mean_gap_s_), end_),
                  conn_tag(kMessage, server), c);
}

void Fleet::session_end(std::uint32_t c) {
  Client& cl = clients_[c];
  Server& s = servers_[static_cast<std::size_t>(cl.server)];
  ++conn_.closed;
  ++s.interval.closed;
  --connected_;
  --s.connected;
  release_slot(c);
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

void Fleet::release_slot(std::uint32_t c) {
  Client& cl = clients_[c];
  Server& s = servers_[static_cast<std::size_t>(cl.server)];
  const std::uint32_t last = s.members.back();
  s.members[cl.slot] = last;
  clients_[last].slot = cl.slot;
  s.members.pop_back();
  balancer_->connection_closed(cl.server);
  cl.server = -1;
}

void Fleet::retry_later(std::uint32_t c, RetryCause cause) {
  Client& cl = clients_[c];
  ++gens_[c];
  const sim::SimTime now = sim_.now();
  const RetryContext context{now, cause == RetryCause::ConnectionLost ? now : cl.attempt_at, cause};
  const std::optional<sim::SimTime> delay = backoff_->retry_delay(cl.backoff, rng_backoff_, context);
  if (!delay) {
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
  const sim::SimTime at = now + *delay;
  if (at <= end_) sim_.schedule_at(at, self_, kAttempt, pack(c, gens_[c]));
}

sim::SimTime Fleet::service(sim::SimTime cost) {
  if (cfg_.fleet.cpu.service_time == ServiceTime::Deterministic || cost == 0) return cost;
  return static_cast<sim::SimTime>(std::llround(rng_service_.exponential(static_cast<double>(cost))));
}

void Fleet::settle(Server& s) {
  s.cpu.retire(sim_.now(), [&](int kind, sim::SimTime latency) { on_job_done(s, kind, latency); });
}

void Fleet::on_job_done(Server& s, int kind, sim::SimTime latency) {
  if (kind == kJobHeartbeat) {
    ++beats_.delivered;
    return;
  }
  ++msgs_.delivered;
  ++s.interval.messages_delivered;
  const double ms = sim::to_millis(latency);
  // One record per message: the fleet and whole-run histograms are merged from the servers' at
  // each sample (merging is exact: same buckets).
  s.interval_latency_ms.record(ms);
}

void Fleet::crash(std::uint32_t fault) {
  FaultState& f = faults_[fault];
  Server& s = servers_[f.outcome.server];
  if (!s.up) return;  // already down: a second crash changes nothing
  s.up = false;
  s.cpu.crash(
      sim_.now(), [&](int kind, sim::SimTime latency) { on_job_done(s, kind, latency); },
      [&](int kind) { ++(kind == kJobHeartbeat ? beats_.dropped : msgs_.dropped); });
  balancer_->set_eligible(static_cast<int>(f.outcome.server), false);
  balancer_->drop_all(static_cast<int>(f.outcome.server));
  std::vector<std::uint32_t> members;
  members.swap(s.members);
  for (std::uint32_t c : members) {
    Client& cl = clients_[c];
    if (cl.state == ClientState::Connected) {
      ++conn_.closed;
      ++conn_.dropped;
      ++s.interval.closed;
      ++s.interval.dropped;
      --connected_;
      ++f.outcome.connections_dropped;
      ++f.outstanding;
      cl.storm = static_cast<std::uint16_t>(fault + 1);
    } else {
      ++conn_.failed;
      ++s.interval.failed;
      --connecting_;
      ++f.outcome.handshakes_failed;
    }
    const bool was_connected = cl.state == ClientState::Connected;
    cl.server = -1;
    retry_later(c, was_connected ? RetryCause::ConnectionLost : RetryCause::AttemptFailed);
  }
  s.connected = 0;
  if (f.outstanding == 0) f.outcome.reconnected_within_s = 0.0;
}

void Fleet::recover(std::uint32_t fault) {
  const std::uint32_t b = faults_[fault].outcome.server;
  Server& s = servers_[b];
  if (s.up) return;
  s.up = true;
  balancer_->set_eligible(static_cast<int>(b), true);
}

void Fleet::sample() {
  const sim::SimTime now = sim_.now();
  const double t = sim::to_seconds(now);
  const double dt_core = static_cast<double>(now - last_sample_) * static_cast<double>(cfg_.fleet.cpu_cores);
  ServerInterval total;
  double util_sum = 0.0, backlog_max = 0.0, mem_sum = 0.0;
  std::uint64_t up = 0, conns = 0;
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    Server& s = servers_[i];
    settle(s);
    const sim::SimTime busy = s.cpu.busy_ns(now);
    const double util = dt_core > 0 ? static_cast<double>(busy - s.busy_at_last_sample) / dt_core : 0.0;
    s.busy_at_last_sample = busy;
    const double backlog_ms = sim::to_millis(s.cpu.wait_ns(now));
    const double mem = s.up ? cfg_.fleet.base_memory_mib +
                                  static_cast<double>(s.members.size()) * cfg_.fleet.memory_per_connection_kib / 1024.0
                            : 0.0;
    const auto& iv = s.interval;
    server_series_.append({t, static_cast<double>(i), s.up ? 1.0 : 0.0, static_cast<double>(s.connected),
                           static_cast<double>(iv.attempts), static_cast<double>(iv.established),
                           static_cast<double>(iv.rejected), static_cast<double>(iv.failed),
                           static_cast<double>(iv.closed), static_cast<double>(iv.dropped), util, backlog_ms, mem,
                           static_cast<double>(iv.messages_delivered), quantile_or_nan(s.interval_latency_ms, 0.5),
                           quantile_or_nan(s.interval_latency_ms, 0.99)});
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
    peak_cpu_ = std::max(peak_cpu_, util);
    peak_mem_ = std::max(peak_mem_, mem);
    peak_server_conns_ = std::max<std::uint64_t>(peak_server_conns_, s.connected);
    s.interval = ServerInterval{};
    fleet_interval_latency_ms_.merge(s.interval_latency_ms);
    s.interval_latency_ms.reset();
  }
  peak_conns_ = std::max(peak_conns_, conns);
  fleet_series_.append({t, static_cast<double>(up), static_cast<double>(conns), static_cast<double>(total.attempts),
                        static_cast<double>(total.established), static_cast<double>(total.rejected),
                        static_cast<double>(total.failed), static_cast<double>(total.closed),
                        static_cast<double>(total.dropped), util_sum / static_cast<double>(servers_.size()),
                        backlog_max, mem_sum, static_cast<double>(total.messages_delivered),
                        quantile_or_nan(fleet_interval_latency_ms_, 0.5),
                        quantile_or_nan(fleet_interval_latency_ms_, 0.99), static_cast<double>(iv_retries_),
                        static_cast<double>(waiting_), static_cast<double>(iv_gave_up_)});
  message_latency_ms_.merge(fleet_interval_latency_ms_);
  fleet_interval_latency_ms_.reset();
  iv_retries_ = iv_gave_up_ = 0;
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
  s.max_connections_per_server = cfg_.fleet.max_connections;
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
    s.messages.in_flight_at_end += srv.cpu.tracked_pending(kJobMessage);
    s.heartbeats.in_flight_at_end += srv.cpu.tracked_pending(kJobHeartbeat);
  }
  s.message_latency = stats_of(message_latency_ms_);
  s.handshake_latency = stats_of(handshake_latency_ms_);
  double busy = 0.0;
  for (const auto& srv : servers_) busy += static_cast<double>(srv.cpu.busy_ns(sim_.now()));
  const double capacity = static_cast<double>(sim_.now()) * cfg_.fleet.cpu_cores * static_cast<double>(servers_.size());
  s.cpu_mean_utilisation = capacity > 0 ? busy / capacity : 0.0;
  s.cpu_peak_utilisation = peak_cpu_;
  s.peak_server_memory_mib = peak_mem_;
  s.peak_connections = peak_conns_;
  s.peak_server_connections = peak_server_conns_;
  for (const auto& f : faults_) s.faults.push_back(f.outcome);
  return s;
}

void Fleet::check_conservation(RunSummary& summary) const {
  auto check = [&](std::string name, std::string eq, std::uint64_t lhs, std::vector<std::uint64_t> rhs) {
    std::uint64_t sum = 0;
    std::ostringstream v;
    v << lhs << " =";
    for (std::size_t i = 0; i < rhs.size(); ++i) {
      sum += rhs[i];
      v << (i ? " + " : " ") << rhs[i];
    }
    summary.conservation.push_back({std::move(name), std::move(eq), v.str(), sum == lhs});
  };
  const auto& k = summary.connections;
  check("attempts", "attempted = established + rejected + failed + pending_at_end", k.attempted,
        {k.established, k.rejected, k.failed, k.pending_at_end});
  check("connections", "established = active_at_end + closed", k.established, {k.active_at_end, k.closed});
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
  check("server slots", "slots held on servers = active_at_end + pending_at_end", slots, {k.active_at_end, k.pending_at_end});
  check("server connections", "connections counted by servers = active_at_end", server_connected, {k.active_at_end});
  std::uint64_t census[6] = {0, 0, 0, 0, 0, 0};
  for (const auto& c : clients_) ++census[static_cast<int>(c.state)];
  check("clients", "clients = not_arrived + connecting + connected + waiting + left + gave_up", clients_.size(),
        {census[0], census[1], census[2], census[3], census[4], census[5]});
  check("waiting", "clients in backoff = waiting_at_end", census[3], {k.waiting_at_end});
  std::uint64_t lb_conns = 0;
  for (const auto& b : balancer_->backends()) lb_conns += static_cast<std::uint64_t>(b.active_connections);
  check("balancer", "connections the balancer counts = active_at_end + pending_at_end", lb_conns,
        {k.active_at_end, k.pending_at_end});
  std::ostringstream broken;
  for (const auto& c : summary.conservation) {
    if (!c.ok) broken << "\n  " << c.name << ": " << c.equation << " does not hold: " << c.values;
  }
  if (!broken.str().empty()) throw ConservationError("conservation check failed (a bug in wsfleet):" + broken.str());
}

}  // namespace wsfleet::models
