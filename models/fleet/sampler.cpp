#include "models/fleet/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/fleet/deployer.hpp"
#include "models/fleet/autoscaler.hpp"
#include "models/fleet/balancer_tier.hpp"
#include "models/fleet/server_pool.hpp"
#include "models/fleet/summary_helpers.hpp"
#include "models/pubsub/pubsub.hpp"
#include "models/transport/fallback_transports.hpp"

namespace wsfleet::models {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double quantile_or_nan(const sim::LogHistogram& h, double q) { return h.count() ? h.quantile(q) : kNaN; }

// The latency histogram's bounds: Prometheus client libraries' default buckets (5 ms .. 10 s) with
// 1 and 2.5 ms below them, for fast fleets. Names as they appear in the columns.
constexpr std::pair<double, const char*> kLatencyBounds[] = {
    {1.0, "1"},     {2.5, "2.5"},   {5.0, "5"},     {10.0, "10"},     {25.0, "25"},     {50.0, "50"},    {100.0, "100"},
    {250.0, "250"}, {500.0, "500"}, {1000.0, "1000"}, {2500.0, "2500"}, {5000.0, "5000"}, {10000.0, "10000"}};

using timeseries::Column;
using timeseries::ColumnGroup;
using timeseries::DeclaredSeries;
using timeseries::Scope;
using timeseries::When;
constexpr timeseries::Type I = timeseries::Type::Integer, N = timeseries::Type::Number, F = timeseries::Type::Flag;
const std::string kInIv = "in the interval: ";

/// A refusal cause's column (refused_<cause>), documented from the cause's name.
const Column& refusal_column(ColumnGroup& group, Scope scope, std::string_view cause) {
  static const std::map<std::string_view, std::string> why = {
      {"server_full", "refused by the server at its connection limit"},
      {"shed", "refused by the server's admission control ([fleet.admission])"},
      {"timeout", "handshakes with it not done within clients.connect_timeout_s"},
      {"backend_down", "tries that reached it while it was down"},
      {"crash", "handshakes cut by its crash or drain deadline"},
      {"no_backend", "no eligible backend at all"},
      {"rate_limited", "refused over the balancer's new-connection rate"},
      {"balancer_down", "attempts at it while it was down"},
      {"source_ports", "no free source port towards the chosen backend"}};
  return group.add(scope, "refused_" + std::string(cause), I, "attempts", kInIv + why.at(cause));
}

/// The columns the sampler writes itself: `head` comes before the other components' columns of
/// each kind of row (PubSub's, the Deployer's, the Autoscaler's), `tail` after them.
struct SamplerColumns {
  ColumnGroup head, tail;

  // Fleet rows.
  const Column& f_time = head.add(Scope::Fleet, "time_s", N, "s", "sample time (the end of the interval the interval counts cover)");
  const Column& f_up = head.add(Scope::Fleet, "up", I, "servers", "servers running");
  const Column& f_connections = head.add(Scope::Fleet, "connections", I, "connections", "established connections open fleet-wide");
  const Column& f_attempts = head.add(Scope::Fleet, "attempts", I, "attempts",
                                      kInIv + "connection attempts the clients made (first tries and retries)");
  const Column& f_established = head.add(Scope::Fleet, "established", I, "connections", kInIv + "handshakes completed");
  const Column& f_rejected = head.add(Scope::Fleet, "rejected", I, "attempts", kInIv + "attempts refused at once");
  const Column& f_failed = head.add(Scope::Fleet, "failed", I, "attempts", kInIv + "attempts that failed");
  const Column& f_closed = head.add(Scope::Fleet, "closed", I, "connections", kInIv + "established connections that ended");
  const Column& f_dropped = head.add(Scope::Fleet, "dropped", I, "connections", kInIv + "of closed, cut by a server or balancer crash");
  const Column& f_cpu = head.add(Scope::Fleet, "cpu_utilisation", N, "share",
                                 "mean CPU utilisation over the interval of the servers part of the fleet during it");
  const Column& f_backlog = head.add(Scope::Fleet, "cpu_backlog_ms", N, "ms", "longest CPU queue wait among the servers");
  const Column& f_memory = head.add(Scope::Fleet, "memory_mib", N, "MiB", "memory of every server, summed");
  const Column& f_messages = head.add(Scope::Fleet, "messages_delivered", I, "messages", kInIv + "messages the servers processed");
  const Column& f_p50 = head.add(Scope::Fleet, "latency_p50_ms", N, "ms", kInIv + "median message latency (empty without messages)");
  const Column& f_p99 = head.add(Scope::Fleet, "latency_p99_ms", N, "ms",
                                 kInIv + "99th percentile of message latency (empty without messages)");
  const Column& f_retries = head.add(Scope::Fleet, "retries", I, "attempts", kInIv + "of attempts, made after a drop, rejection or failure");
  const Column& f_waiting = head.add(Scope::Fleet, "waiting", I, "clients", "clients sitting in backoff");
  const Column& f_gave_up = head.add(Scope::Fleet, "gave_up", I, "clients", kInIv + "clients that exhausted their retries");
  const Column& f_max_over_mean = head.add(Scope::Fleet, "conn_max_over_mean", N, "ratio",
                                           "most connections on one server in service / their mean (empty when none)");
  const Column& f_cv = head.add(Scope::Fleet, "conn_cv", N, "ratio",
                                "coefficient of variation of the connections of the servers in service (empty when none)");
  const Column& f_half_open = head.add(Scope::Fleet, "half_open", I, "connections",
                                       "half-open connections (the client is gone) still held by a server");
  const Column& f_websocket = head.add(Scope::Fleet, "clients_websocket", I, "clients", "clients connected over WebSocket");
  const Column& f_long_polling = head.add(Scope::Fleet, "clients_long_polling", I, "clients",
                                          "clients connected over HTTP long polling ([transport])");
  const Column& f_sse = head.add(Scope::Fleet, "clients_sse", I, "clients", "clients connected over Server-Sent Events ([transport])");
  const Column& f_polls = head.add(Scope::Fleet, "polls", I, "requests", kInIv + "long-polling requests the servers answered");
  // A Prometheus histogram of the interval's message latency (docs/monitoring.md), after the other components' columns.
  std::vector<const Column*> f_latency_le = [this] {
    std::vector<const Column*> out;
    for (const auto& [bound, le] : kLatencyBounds) {
      out.push_back(&tail.add(Scope::Fleet, std::string("latency_le_ms_") + le, I, "messages",
                              kInIv + "messages whose latency was at most " + le + " ms (cumulative bucket)"));
    }
    return out;
  }();
  const Column& f_latency_count = tail.add(Scope::Fleet, "latency_count", I, "messages",
                                           kInIv + "messages whose latency was measured (the histogram's count)");
  const Column& f_latency_sum = tail.add(Scope::Fleet, "latency_sum_ms", N, "ms", kInIv + "sum of those latencies (the histogram's sum)");

  // Server rows.
  const Column& s_time = head.add(Scope::Server, "time_s", N, "s", "sample time");
  const Column& s_server = head.add(Scope::Server, "server", I, "", "the server's number (slot; -1 on the rows of other scopes)");
  const Column& s_up = head.add(Scope::Server, "up", F, "", "1 while the server runs");
  const Column& s_connections = head.add(Scope::Server, "connections", I, "connections", "established connections open on it");
  const Column& s_attempts = head.add(Scope::Server, "attempts", I, "attempts", kInIv + "attempts that reached it");
  const Column& s_established = head.add(Scope::Server, "established", I, "connections", kInIv + "handshakes it completed");
  const Column& s_rejected = head.add(Scope::Server, "rejected", I, "attempts", kInIv + "attempts it refused at once");
  const Column& s_failed = head.add(Scope::Server, "failed", I, "attempts", kInIv + "attempts at it that failed");
  const Column& s_closed = head.add(Scope::Server, "closed", I, "connections", kInIv + "its connections that ended");
  const Column& s_dropped = head.add(Scope::Server, "dropped", I, "connections", kInIv + "of closed, cut by its crash");
  const Column& s_cpu = head.add(Scope::Server, "cpu_utilisation", N, "share",
                                 "its CPU utilisation over the interval (busy core time / core time)");
  const Column& s_backlog = head.add(Scope::Server, "cpu_backlog_ms", N, "ms", "wait of the last job in its CPU queue");
  const Column& s_memory = head.add(Scope::Server, "memory_mib", N, "MiB", "its memory");
  const Column& s_messages = head.add(Scope::Server, "messages_delivered", I, "messages", kInIv + "messages it processed");
  const Column& s_p50 = head.add(Scope::Server, "latency_p50_ms", N, "ms", kInIv + "its median message latency (empty without messages)");
  const Column& s_p99 = head.add(Scope::Server, "latency_p99_ms", N, "ms",
                                 kInIv + "its 99th percentile of message latency (empty without messages)");
  const Column& s_polls = head.add(Scope::Server, "polls", I, "requests", kInIv + "long-polling requests it answered");
  const Column& s_present = tail.add(Scope::Server, "present", F, "", "1 while it is part of the fleet (a planned removal is not a crash)");
  std::vector<const Column*> s_refused = [this] {
    std::vector<const Column*> out;
    for (std::string_view cause : RefusalTally::kServerCauseNames) out.push_back(&refusal_column(tail, Scope::Server, cause));
    return out;
  }();

  // Balancer rows.
  const Column& b_time = head.add(Scope::Balancer, "time_s", N, "s", "sample time");
  const Column& b_balancer = head.add(Scope::Balancer, "balancer", I, "", "the balancer's number");
  const Column& b_up = head.add(Scope::Balancer, "up", F, "", "1 while the balancer runs");
  const Column& b_ports_in_use = head.add(Scope::Balancer, "source_ports_in_use", I, "ports", "source ports in use towards its busiest backend");
  const Column& b_ports_limit = head.add(Scope::Balancer, "source_ports_limit", N, "ports",
                                         "source ports per backend (balancer.source_ports x source_addresses; empty: no limit)");
  std::vector<const Column*> b_refused = [this] {
    std::vector<const Column*> out;
    for (std::string_view cause : RefusalTally::kBalancerCauseNames) out.push_back(&refusal_column(head, Scope::Balancer, cause));
    return out;
  }();

  // Site rows (two or more sites).
  const Column& site_time = head.add(Scope::Site, "time_s", N, "s", "sample time", When::Sites);
  const Column& site_site = head.add(Scope::Site, "site", I, "",
                                     "the site's number: its place in [[topology.sites]] and summary.json's topology.sites", When::Sites);
  const Column& site_up = head.add(Scope::Site, "up", I, "servers", "the site's servers running", When::Sites);
  const Column& site_ready = head.add(Scope::Site, "ready", I, "servers",
                                      "of up, in service: taking new connections (not draining)", When::Sites);
  const Column& site_draining = head.add(Scope::Site, "draining", I, "servers",
                                         "of up, draining: taking no new connections before they leave", When::Sites);
  const Column& site_connections = head.add(Scope::Site, "connections", I, "connections",
                                            "established connections open on the site's servers", When::Sites);

  // Class rows (two or more [[fleet.classes]]).
  const Column& class_time = head.add(Scope::Class, "time_s", N, "s", "sample time", When::Classes);
  const Column& class_class = head.add(Scope::Class, "class", I, "",
                                       "the class's number: its place in [[fleet.classes]] and summary.json's fleet.classes",
                                       When::Classes);
  const Column& class_up = head.add(Scope::Class, "up", I, "servers", "the class's servers running", When::Classes);
  const Column& class_ready = head.add(Scope::Class, "ready", I, "servers",
                                       "of up, in service: taking new connections (not draining)", When::Classes);
  const Column& class_connections = head.add(Scope::Class, "connections", I, "connections",
                                             "established connections open on the class's servers", When::Classes);
  const Column& class_cpu = head.add(Scope::Class, "cpu_utilisation", N, "share",
                                     "mean CPU utilisation over the interval of the class's servers part of the fleet during it",
                                     When::Classes);
  const Column& class_cpu_max = head.add(Scope::Class, "cpu_utilisation_max", N, "share",
                                         "highest CPU utilisation over the interval among the class's servers", When::Classes);
  const Column& class_refused = head.add(Scope::Class, "refusals", I, "attempts",
                                         kInIv + "attempts its servers refused or failed (their server rows' refused_*, summed)",
                                         When::Classes);
};

const SamplerColumns& cols() { return timeseries::declarations<SamplerColumns>(); }

constexpr Scope kScopes[] = {Scope::Fleet, Scope::Server, Scope::Balancer, Scope::Site, Scope::Class};
}  // namespace

const std::vector<const timeseries::Column*>& Sampler::columns() {
  static const std::vector<const Column*> all = [] {
    // Each component's declarations, in the order the rows hold them; then grouped by kind of row.
    std::vector<std::vector<const Column*>> groups{cols().head.all(), PubSub::columns(), Deployer::columns(),
                                                   Autoscaler::columns(), cols().tail.all()};
    std::vector<const Column*> out;
    for (const Scope scope : kScopes) {
      for (const auto& group : groups) {
        for (const Column* c : group) {
          if (c->scope == scope) out.push_back(c);
        }
      }
    }
    return out;
  }();
  return all;
}

std::vector<const timeseries::Column*> Sampler::columns(timeseries::Scope scope, const timeseries::Features& features) {
  std::vector<const Column*> out;
  for (const Column* c : columns()) {
    if (c->scope == scope && features.has(c->when)) out.push_back(c);
  }
  return out;
}

namespace {
timeseries::Features features_of(const FleetState& st) {
  timeseries::Features f;
  f.pubsub = st.cfg.pubsub.enabled();
  f.deploys = !st.cfg.deploys.empty();
  f.autoscaler = st.cfg.autoscaler.enabled();
  f.sites = st.topo.sites() > 1;
  f.classes = st.cfg.fleet.classes.size() > 1;
  return f;
}
}  // namespace

Sampler::Sampler(FleetState& state)
    : st_(state),
      interval_(sim::from_seconds(state.cfg.run.sample_interval_s)),
      fleet_series_(columns(Scope::Fleet, features_of(state))),
      server_series_(columns(Scope::Server, features_of(state))),
      balancer_series_(columns(Scope::Balancer, features_of(state))),
      site_series_(columns(Scope::Site, features_of(state))),
      class_series_(columns(Scope::Class, features_of(state))) {
  if (interval_ <= 0) throw std::invalid_argument("run.duration_s and run.sample_interval_s must be > 0");
  if (features_of(state).classes) classes_.resize(state.cfg.fleet.classes.size());
  self_ = st_.sim.add_handler(this);
}

void Sampler::start() {
  st_.refusals.size(st_.servers.size(), st_.parts.balancers->size(), st_.clients.size());
  st_.sim.schedule_at(std::min(interval_, st_.end), self_, 0, 0);
}

void Sampler::handle(const sim::Event&) { sample(); }

void Sampler::sample() {
  const SamplerColumns& col = cols();
  const sim::SimTime now = st_.sim.now();
  const double t = sim::to_seconds(now);
  const double dt = static_cast<double>(now - last_sample_);
  ServerPool& pool = *st_.parts.servers;
  PubSub* ps = st_.parts.pubsub;
  FallbackTransports* transports = st_.parts.transports;
  ServerInterval total;
  double util_sum = 0.0, backlog_max = 0.0, mem_sum = 0.0, buffered_sum = 0.0, polls_sum = 0.0;
  std::uint64_t up = 0, conns = 0, ghosts = 0;
  std::uint64_t in_fleet = 0;  // servers part of the fleet at some time in this interval
  if (present_at_last_sample_.size() != st_.servers.size()) present_at_last_sample_.assign(st_.servers.size(), 0);
  // Imbalance among the servers in service (up, not draining).
  double in_service = 0.0, sum_c = 0.0, sum_c2 = 0.0, max_c = 0.0;
  DeclaredSeries& row = server_series_;
  for (std::uint32_t i = 0; i < st_.servers.size(); ++i) {
    Server& s = st_.servers[i];
    pool.settle(s);
    const sim::SimTime busy = s.cpu.busy_ns(now);
    const double dt_core = dt * static_cast<double>(st_.specs[i].cpu_cores);
    const double util = dt_core > 0 ? static_cast<double>(busy - s.busy_at_last_sample) / dt_core : 0.0;
    s.busy_at_last_sample = busy;
    const double backlog_ms = sim::to_millis(s.cpu.wait_ns(now));
    const double buffered_mib = ps ? ps->server_buffered_mib(i) : 0.0;
    const double mem = (s.up ? pool.fixed_memory_mib(i) + buffered_mib : 0.0) + (transports ? transports->held_memory_mib(i) : 0.0);
    const auto polls = static_cast<double>(transports ? transports->take_polls(i) : 0);
    polls_sum += polls;
    const auto& iv = s.interval;
    row.set(col.s_time, t);
    row.set(col.s_server, static_cast<double>(i));
    row.set(col.s_up, s.up ? 1.0 : 0.0);
    row.set(col.s_connections, static_cast<double>(s.connected));
    row.set(col.s_attempts, static_cast<double>(iv.attempts));
    row.set(col.s_established, static_cast<double>(iv.established));
    row.set(col.s_rejected, static_cast<double>(iv.rejected));
    row.set(col.s_failed, static_cast<double>(iv.failed));
    row.set(col.s_closed, static_cast<double>(iv.closed));
    row.set(col.s_dropped, static_cast<double>(iv.dropped));
    row.set(col.s_cpu, util);
    row.set(col.s_backlog, backlog_ms);
    row.set(col.s_memory, mem);
    row.set(col.s_messages, static_cast<double>(iv.messages_delivered));
    row.set(col.s_p50, quantile_or_nan(s.interval_latency_ms, 0.5));
    row.set(col.s_p99, quantile_or_nan(s.interval_latency_ms, 0.99));
    row.set(col.s_polls, polls);
    if (ps) {
      buffered_sum += buffered_mib;
      ps->sample_server(i, buffered_mib, row);
    }
    row.set(col.s_present, s.present ? 1.0 : 0.0);
    std::uint64_t refused = 0;
    for (std::size_t k = 0; k < RefusalTally::kServerCauses; ++k) {
      const std::uint64_t n = st_.refusals.server_count(i, k);
      refused += n;
      row.set(*col.s_refused[k], static_cast<double>(n));
    }
    server_refusals_ += refused;
    row.end_row();
    total.attempts += iv.attempts;
    total.established += iv.established;
    total.rejected += iv.rejected;
    total.failed += iv.failed;
    total.closed += iv.closed;
    total.dropped += iv.dropped;
    total.messages_delivered += iv.messages_delivered;
    util_sum += util;
    const sim::SimTime present = s.present_time(now);
    const bool was_in_fleet = present > present_at_last_sample_[i];  // in the fleet for some of the interval
    in_fleet += was_in_fleet ? 1 : 0;
    present_at_last_sample_[i] = present;
    if (!classes_.empty()) {
      ClassSample& c = classes_[st_.specs[i].class_index];
      c.up += s.up ? 1 : 0;
      c.ready += s.up && !s.draining ? 1 : 0;
      c.connections += s.connected;
      c.util_sum += util;
      c.util_max = std::max(c.util_max, util);
      c.in_fleet += was_in_fleet ? 1 : 0;
      c.refused += refused;
    }
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
  const TransportClients per_transport = transports ? transports->clients(conns) : TransportClients{conns, 0, 0};
  if (transports) transports->note_sample(conns);
  const double mean_c = in_service > 0 ? sum_c / in_service : 0.0;
  const double max_over_mean = mean_c > 0 ? max_c / mean_c : kNaN;
  const double cv = mean_c > 0 ? std::sqrt(std::max(0.0, sum_c2 / in_service - mean_c * mean_c)) / mean_c : kNaN;
  // Attempts and their refusals are the clients' (some never reach a server); the rest sum the servers.
  const IntervalCounts& k = st_.iv;
  DeclaredSeries& fleet = fleet_series_;
  fleet.set(col.f_time, t);
  fleet.set(col.f_up, static_cast<double>(up));
  fleet.set(col.f_connections, static_cast<double>(conns));
  fleet.set(col.f_attempts, static_cast<double>(k.attempts));
  fleet.set(col.f_established, static_cast<double>(total.established));
  fleet.set(col.f_rejected, static_cast<double>(k.rejected));
  fleet.set(col.f_failed, static_cast<double>(k.failed));
  fleet.set(col.f_closed, static_cast<double>(total.closed));
  fleet.set(col.f_dropped, static_cast<double>(total.dropped));
  fleet.set(col.f_cpu, in_fleet > 0 ? util_sum / static_cast<double>(in_fleet) : 0.0);
  fleet.set(col.f_backlog, backlog_max);
  fleet.set(col.f_memory, mem_sum);
  fleet.set(col.f_messages, static_cast<double>(total.messages_delivered));
  fleet.set(col.f_p50, quantile_or_nan(fleet_interval_latency_ms_, 0.5));
  fleet.set(col.f_p99, quantile_or_nan(fleet_interval_latency_ms_, 0.99));
  fleet.set(col.f_retries, static_cast<double>(k.retries));
  fleet.set(col.f_waiting, static_cast<double>(st_.waiting));
  fleet.set(col.f_gave_up, static_cast<double>(k.gave_up));
  fleet.set(col.f_max_over_mean, max_over_mean);
  fleet.set(col.f_cv, cv);
  fleet.set(col.f_half_open, static_cast<double>(ghosts));
  fleet.set(col.f_websocket, static_cast<double>(per_transport.websocket));
  fleet.set(col.f_long_polling, static_cast<double>(per_transport.long_polling));
  fleet.set(col.f_sse, static_cast<double>(per_transport.sse));
  fleet.set(col.f_polls, polls_sum);
  if (ps) ps->sample_fleet(buffered_sum, fleet);
  if (st_.parts.deployer) st_.parts.deployer->sample_fleet(fleet);
  if (st_.parts.autoscaler != nullptr) st_.parts.autoscaler->sample_fleet(fleet);
  // Cumulative bucket counts (a value counts in every bucket whose bound is >= it), count and sum.
  for (std::size_t b = 0; b < std::size(kLatencyBounds); ++b) {
    fleet.set(*col.f_latency_le[b], static_cast<double>(fleet_interval_latency_ms_.count_at_most(kLatencyBounds[b].first)));
  }
  fleet.set(col.f_latency_count, static_cast<double>(fleet_interval_latency_ms_.count()));
  fleet.set(col.f_latency_sum, fleet_interval_latency_ms_.sum());
  latency_sampled_ += fleet_interval_latency_ms_.count();
  fleet.end_row();
  sample_balancers(t);
  sample_sites(t);
  sample_classes(t);
  st_.refusals.reset_interval();
  message_latency_ms_.merge(fleet_interval_latency_ms_);
  fleet_interval_latency_ms_.reset();
  st_.iv = IntervalCounts{};
  last_sample_ = now;
  if (now < st_.end) st_.sim.schedule_at(std::min(now + interval_, st_.end), self_, 0, 0);
}

void Sampler::sample_balancers(double t) {
  const SamplerColumns& col = cols();
  const auto& nodes = st_.parts.balancers->nodes();
  const std::uint64_t limit =
      static_cast<std::uint64_t>(st_.cfg.balancer.source_ports) * static_cast<std::uint64_t>(st_.cfg.balancer.source_addresses);
  DeclaredSeries& row = balancer_series_;
  for (std::size_t b = 0; b < nodes.size(); ++b) {
    // Source ports are per (source address, backend): the busiest backend is the one nearest exhaustion.
    std::int64_t in_use = 0;
    for (const auto& backend : nodes[b].lb->backends()) in_use = std::max<std::int64_t>(in_use, backend.active_connections);
    row.set(col.b_time, t);
    row.set(col.b_balancer, static_cast<double>(b));
    row.set(col.b_up, nodes[b].up ? 1.0 : 0.0);
    row.set(col.b_ports_in_use, static_cast<double>(in_use));
    row.set(col.b_ports_limit, limit > 0 ? static_cast<double>(limit) : kNaN);
    for (std::size_t k = 0; k < RefusalTally::kBalancerCauses; ++k) {
      const std::uint64_t n = st_.refusals.balancer_count(b, k);
      balancer_refusals_ += n;
      row.set(*col.b_refused[k], static_cast<double>(n));
    }
    row.end_row();
  }
}

void Sampler::sample_sites(double t) {
  const SamplerColumns& col = cols();
  const Topology& topo = st_.topo;
  if (topo.sites() < 2) return;
  DeclaredSeries& row = site_series_;
  for (std::uint32_t site = 0; site < topo.sites(); ++site) {
    double up = 0, ready = 0, draining = 0, conns = 0;
    for (std::uint32_t b = topo.first_server(site); b < topo.first_server(site + 1); ++b) {
      const Server& s = st_.servers[b];
      if (!s.up) continue;
      up += 1;
      (s.draining ? draining : ready) += 1;
      conns += static_cast<double>(s.connected);
    }
    row.set(col.site_time, t);
    row.set(col.site_site, static_cast<double>(site));
    row.set(col.site_up, up);
    row.set(col.site_ready, ready);
    row.set(col.site_draining, draining);
    row.set(col.site_connections, conns);
    row.end_row();
  }
}

void Sampler::sample_classes(double t) {
  const SamplerColumns& col = cols();
  DeclaredSeries& row = class_series_;
  for (std::size_t k = 0; k < classes_.size(); ++k) {
    const ClassSample& c = classes_[k];
    row.set(col.class_time, t);
    row.set(col.class_class, static_cast<double>(k));
    row.set(col.class_up, static_cast<double>(c.up));
    row.set(col.class_ready, static_cast<double>(c.ready));
    row.set(col.class_connections, static_cast<double>(c.connections));
    // As the fleet's: over the servers part of the fleet during the interval.
    row.set(col.class_cpu, c.in_fleet > 0 ? c.util_sum / static_cast<double>(c.in_fleet) : 0.0);
    row.set(col.class_cpu_max, c.util_max);
    row.set(col.class_refused, static_cast<double>(c.refused));
    row.end_row();
    classes_[k] = ClassSample{};
  }
}

void Sampler::finish() {
  for (auto& s : st_.servers) {
    st_.parts.servers->settle(s);  // jobs completing exactly at the end, after the last sample
    latency_after_last_ += s.interval_latency_ms.count();
    message_latency_ms_.merge(s.interval_latency_ms);
  }
}

void Sampler::conservation(RunSummary& summary) const {
  // What happened after the last sample (same-time events scheduled after it) is in no row.
  std::uint64_t server_pending = 0, balancer_pending = 0;
  for (std::size_t i = 0; i < st_.refusals.servers(); ++i) {
    for (std::size_t k = 0; k < RefusalTally::kServerCauses; ++k) server_pending += st_.refusals.server_count(i, k);
  }
  for (std::size_t b = 0; b < st_.refusals.balancers(); ++b) {
    for (std::size_t k = 0; k < RefusalTally::kBalancerCauses; ++k) balancer_pending += st_.refusals.balancer_count(b, k);
  }
  const ConnectionCounts& k = summary.connections;
  add_conservation_check(summary, "refusal series by server",
                         "refused_* of the server rows + after the last sample = rejected_server_full + rejected_shed + "
                         "failed_timeout + failed_backend_down + failed_crash",
                         server_refusals_ + server_pending + st_.refusals.unplaced(),  // (+ timeouts in an HAProxy queue)
                         {k.rejected_server_full, k.rejected_shed, k.failed_timeout, k.failed_backend_down, k.failed_crash});
  add_conservation_check(summary, "refusal series by balancer",
                         "refused_* of the balancer rows + after the last sample = no_backend + rejected_rate_limited + "
                         "failed_balancer_down + failed_source_ports",
                         balancer_refusals_ + balancer_pending,
                         {k.no_backend, k.rejected_rate_limited, k.failed_balancer_down, k.failed_source_ports});
  add_conservation_check(summary, "latency histogram series",
                         "message latency samples = latency_count of the fleet rows + settled after the last sample",
                         message_latency_ms_.count(), {latency_sampled_, latency_after_last_});
}

void Sampler::summarise(RunSummary& s) const {
  s.message_latency = stats_of(message_latency_ms_);
  // The fleet's capacity counts a server's cores only while it is part of the fleet: a slot a
  // [[scaling]] add, a deploy or the autoscaler fills later (or that left) is not idle capacity.
  // Summed in integer core-nanoseconds: with every server present the whole run it is exactly
  // now x cores, as before.
  const sim::SimTime now = st_.sim.now();
  double busy = 0.0;
  std::uint64_t core_ns = 0;
  for (std::uint32_t i = 0; i < st_.servers.size(); ++i) {
    const Server& srv = st_.servers[i];
    busy += static_cast<double>(srv.cpu.busy_ns(now));
    core_ns += static_cast<std::uint64_t>(srv.present_time(now)) * st_.specs[i].cpu_cores;
  }
  const double capacity = static_cast<double>(core_ns);
  s.cpu_mean_utilisation = capacity > 0 ? busy / capacity : 0.0;
  s.cpu_capacity_core_seconds = capacity / 1e9;
  s.cpu_peak_utilisation = peak_cpu_;
  s.peak_server_memory_mib = peak_mem_;
  s.peak_connections = peak_conns_;
  s.peak_server_connections = peak_server_conns_;
}

void Sampler::take_series(RunResult& result) {
  result.fleet = fleet_series_.take();
  result.servers = server_series_.take();
  result.balancers = balancer_series_.take();
  result.sites = site_series_.take();
  result.classes = class_series_.take();
}

}  // namespace wsfleet::models
