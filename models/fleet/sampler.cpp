#include "models/fleet/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/fleet/deployer.hpp"
#include "models/fleet/autoscaler.hpp"
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
}  // namespace

Sampler::Sampler(FleetState& state)
    : st_(state),
      interval_(sim::from_seconds(state.cfg.run.sample_interval_s)),
      fleet_series_(with(with(with({"time_s", "up", "connections", "attempts", "established", "rejected", "failed", "closed",
                          "dropped", "cpu_utilisation", "cpu_backlog_ms", "memory_mib", "messages_delivered",
                          "latency_p50_ms", "latency_p99_ms", "retries", "waiting", "gave_up", "conn_max_over_mean",
                          "conn_cv", "half_open", "clients_websocket", "clients_long_polling", "clients_sse", "polls"},
                         state.cfg.pubsub.enabled(), PubSub::fleet_columns()),
                    !state.cfg.deploys.empty(), Deployer::fleet_columns()),
                    state.cfg.autoscaler.enabled(), Autoscaler::fleet_columns())),
      server_series_(with({"time_s", "server", "up", "connections", "attempts", "established", "rejected", "failed",
                           "closed", "dropped", "cpu_utilisation", "cpu_backlog_ms", "memory_mib", "messages_delivered",
                           "latency_p50_ms", "latency_p99_ms", "polls"},
                          state.cfg.pubsub.enabled(), PubSub::server_columns())) {
  if (interval_ <= 0) throw std::invalid_argument("run.duration_s and run.sample_interval_s must be > 0");
  self_ = st_.sim.add_handler(this);
}

void Sampler::start() { st_.sim.schedule_at(std::min(interval_, st_.end), self_, 0, 0); }

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
                          static_cast<double>(total.dropped), util_sum / static_cast<double>(st_.servers.size()),
                          backlog_max, mem_sum, static_cast<double>(total.messages_delivered),
                          quantile_or_nan(fleet_interval_latency_ms_, 0.5),
                          quantile_or_nan(fleet_interval_latency_ms_, 0.99), static_cast<double>(k.retries),
                          static_cast<double>(st_.waiting), static_cast<double>(k.gave_up), max_over_mean, cv,
                          static_cast<double>(ghosts), static_cast<double>(per_transport.websocket),
                          static_cast<double>(per_transport.long_polling), static_cast<double>(per_transport.sse), polls_sum};
  if (ps) ps->append_fleet_sample(buffered_sum, row);
  if (st_.parts.deployer) st_.parts.deployer->append_fleet_sample(row);
  if (st_.parts.autoscaler != nullptr) st_.parts.autoscaler->append_fleet_sample(row);
  fleet_series_.append(row);
  message_latency_ms_.merge(fleet_interval_latency_ms_);
  fleet_interval_latency_ms_.reset();
  st_.iv = IntervalCounts{};
  last_sample_ = now;
  if (now < st_.end) st_.sim.schedule_at(std::min(now + interval_, st_.end), self_, 0, 0);
}

void Sampler::finish() {
  for (auto& s : st_.servers) {
    st_.parts.servers->settle(s);  // jobs completing exactly at the end, after the last sample
    message_latency_ms_.merge(s.interval_latency_ms);
  }
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
}

}  // namespace wsfleet::models
