#include "models/fleet/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
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

std::vector<std::string> with(std::vector<std::string> columns, bool enabled, const std::vector<std::string>& extra) {
  if (enabled) columns.insert(columns.end(), extra.begin(), extra.end());
  return columns;
}

// The latency histogram's bounds: Prometheus client libraries' default buckets (5 ms .. 10 s) with
// 1 and 2.5 ms below them, for fast fleets. Names as they appear in the columns.
constexpr std::pair<double, const char*> kLatencyBounds[] = {
    {1.0, "1"},     {2.5, "2.5"},   {5.0, "5"},     {10.0, "10"},     {25.0, "25"},     {50.0, "50"},    {100.0, "100"},
    {250.0, "250"}, {500.0, "500"}, {1000.0, "1000"}, {2500.0, "2500"}, {5000.0, "5000"}, {10000.0, "10000"}};

std::vector<std::string> latency_histogram_columns() {
  std::vector<std::string> out;
  for (const auto& [bound, name] : kLatencyBounds) out.push_back(std::string("latency_le_ms_") + name);
  out.push_back("latency_count");
  out.push_back("latency_sum_ms");
  return out;
}

std::vector<std::string> server_refusal_columns() {
  std::vector<std::string> out{"present"};
  for (std::string_view cause : RefusalTally::kServerCauseNames) out.push_back("refused_" + std::string(cause));
  return out;
}

std::vector<std::string> balancer_columns() {
  std::vector<std::string> out{"time_s", "balancer", "up", "source_ports_in_use", "source_ports_limit"};
  for (std::string_view cause : RefusalTally::kBalancerCauseNames) out.push_back("refused_" + std::string(cause));
  return out;
}
}  // namespace

const std::vector<double>& Sampler::latency_bounds_ms() {
  static const std::vector<double> bounds = [] {
    std::vector<double> out;
    for (const auto& [bound, name] : kLatencyBounds) out.push_back(bound);
    return out;
  }();
  return bounds;
}

Sampler::Sampler(FleetState& state)
    : st_(state),
      interval_(sim::from_seconds(state.cfg.run.sample_interval_s)),
      fleet_series_(with(with(with(with({"time_s", "up", "connections", "attempts", "established", "rejected", "failed", "closed",
                          "dropped", "cpu_utilisation", "cpu_backlog_ms", "memory_mib", "messages_delivered",
                          "latency_p50_ms", "latency_p99_ms", "retries", "waiting", "gave_up", "conn_max_over_mean",
                          "conn_cv", "half_open", "clients_websocket", "clients_long_polling", "clients_sse", "polls"},
                         state.cfg.pubsub.enabled(), PubSub::fleet_columns()),
                    !state.cfg.deploys.empty(), Deployer::fleet_columns()),
                    state.cfg.autoscaler.enabled(), Autoscaler::fleet_columns()),
                    true, latency_histogram_columns())),
      server_series_(with(with({"time_s", "server", "up", "connections", "attempts", "established", "rejected", "failed",
                           "closed", "dropped", "cpu_utilisation", "cpu_backlog_ms", "memory_mib", "messages_delivered",
                           "latency_p50_ms", "latency_p99_ms", "polls"},
                          state.cfg.pubsub.enabled(), PubSub::server_columns()), true, server_refusal_columns())),
      balancer_series_(balancer_columns()),
      site_series_(state.topo.sites() > 1 ? std::vector<std::string>{"time_s", "site", "up", "ready", "draining", "connections"}
                                          : std::vector<std::string>{}) {
  if (interval_ <= 0) throw std::invalid_argument("run.duration_s and run.sample_interval_s must be > 0");
  self_ = st_.sim.add_handler(this);
}

void Sampler::start() {
  st_.refusals.size(st_.servers.size(), st_.parts.balancers->size(), st_.clients.size());
  st_.sim.schedule_at(std::min(interval_, st_.end), self_, 0, 0);
}

void Sampler::handle(const sim::Event&) { sample(); }

void Sampler::sample() {
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
    std::vector<double> row{t, static_cast<double>(i), s.up ? 1.0 : 0.0, static_cast<double>(s.connected),
                            static_cast<double>(iv.attempts), static_cast<double>(iv.established),
                            static_cast<double>(iv.rejected), static_cast<double>(iv.failed),
                            static_cast<double>(iv.closed), static_cast<double>(iv.dropped), util, backlog_ms, mem,
                            static_cast<double>(iv.messages_delivered), quantile_or_nan(s.interval_latency_ms, 0.5),
                            quantile_or_nan(s.interval_latency_ms, 0.99), polls};
    if (ps) {
      buffered_sum += buffered_mib;
      ps->append_server_sample(i, buffered_mib, row);
    }
    row.push_back(s.present ? 1.0 : 0.0);
    for (std::size_t k = 0; k < RefusalTally::kServerCauses; ++k) {
      const std::uint64_t n = st_.refusals.server_count(i, k);
      server_refusals_ += n;
      row.push_back(static_cast<double>(n));
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
    const sim::SimTime present = s.present_time(now);
    in_fleet += present > present_at_last_sample_[i] ? 1 : 0;  // in the fleet for some of the interval
    present_at_last_sample_[i] = present;
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
  std::vector<double> row{t, static_cast<double>(up), static_cast<double>(conns), static_cast<double>(k.attempts),
                          static_cast<double>(total.established), static_cast<double>(k.rejected),
                          static_cast<double>(k.failed), static_cast<double>(total.closed),
                          static_cast<double>(total.dropped),
                          in_fleet > 0 ? util_sum / static_cast<double>(in_fleet) : 0.0,
                          backlog_max, mem_sum, static_cast<double>(total.messages_delivered),
                          quantile_or_nan(fleet_interval_latency_ms_, 0.5),
                          quantile_or_nan(fleet_interval_latency_ms_, 0.99), static_cast<double>(k.retries),
                          static_cast<double>(st_.waiting), static_cast<double>(k.gave_up), max_over_mean, cv,
                          static_cast<double>(ghosts), static_cast<double>(per_transport.websocket),
                          static_cast<double>(per_transport.long_polling), static_cast<double>(per_transport.sse), polls_sum};
  if (ps) ps->append_fleet_sample(buffered_sum, row);
  if (st_.parts.deployer) st_.parts.deployer->append_fleet_sample(row);
  if (st_.parts.autoscaler != nullptr) st_.parts.autoscaler->append_fleet_sample(row);
  // Cumulative bucket counts (a value counts in every bucket whose bound is >= it), count and sum.
  for (const double bound : latency_bounds_ms()) {
    row.push_back(static_cast<double>(fleet_interval_latency_ms_.count_at_most(bound)));
  }
  row.push_back(static_cast<double>(fleet_interval_latency_ms_.count()));
  row.push_back(fleet_interval_latency_ms_.sum());
  latency_sampled_ += fleet_interval_latency_ms_.count();
  fleet_series_.append(row);
  sample_balancers(t);
  sample_sites(t);
  st_.refusals.reset_interval();
  message_latency_ms_.merge(fleet_interval_latency_ms_);
  fleet_interval_latency_ms_.reset();
  st_.iv = IntervalCounts{};
  last_sample_ = now;
  if (now < st_.end) st_.sim.schedule_at(std::min(now + interval_, st_.end), self_, 0, 0);
}

void Sampler::sample_balancers(double t) {
  const auto& nodes = st_.parts.balancers->nodes();
  const std::uint64_t limit =
      static_cast<std::uint64_t>(st_.cfg.balancer.source_ports) * static_cast<std::uint64_t>(st_.cfg.balancer.source_addresses);
  for (std::size_t b = 0; b < nodes.size(); ++b) {
    // Source ports are per (source address, backend): the busiest backend is the one nearest exhaustion.
    std::int64_t in_use = 0;
    for (const auto& backend : nodes[b].lb->backends()) in_use = std::max<std::int64_t>(in_use, backend.active_connections);
    std::vector<double> row{t, static_cast<double>(b), nodes[b].up ? 1.0 : 0.0, static_cast<double>(in_use),
                            limit > 0 ? static_cast<double>(limit) : kNaN};
    for (std::size_t k = 0; k < RefusalTally::kBalancerCauses; ++k) {
      const std::uint64_t n = st_.refusals.balancer_count(b, k);
      balancer_refusals_ += n;
      row.push_back(static_cast<double>(n));
    }
    balancer_series_.append(row);
  }
}

void Sampler::sample_sites(double t) {
  const Topology& topo = st_.topo;
  if (topo.sites() < 2) return;
  for (std::uint32_t site = 0; site < topo.sites(); ++site) {
    double up = 0, ready = 0, draining = 0, conns = 0;
    for (std::uint32_t b = topo.first_server(site); b < topo.first_server(site + 1); ++b) {
      const Server& s = st_.servers[b];
      if (!s.up) continue;
      up += 1;
      (s.draining ? draining : ready) += 1;
      conns += static_cast<double>(s.connected);
    }
    site_series_.append({t, static_cast<double>(site), up, ready, draining, conns});
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
  result.fleet = std::move(fleet_series_);
  result.servers = std::move(server_series_);
  result.balancers = std::move(balancer_series_);
  result.sites = std::move(site_series_);
}

}  // namespace wsfleet::models
