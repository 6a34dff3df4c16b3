// Heartbeats as a periodic load on their server and one message stream per server (the default)
// against the reference model (run.per_connection_timers: one event per heartbeat and per message
// timer of every connection).
//
// - Heartbeats: the server pool submits each heartbeat at its own due time, so with deterministic
//   service times every result is the same, bit for bit (summary and time series), whatever else the
//   run does (crashes, drains, balancer failures, sessions, vanishing clients, regions).
// - Messages: one Poisson stream per server with a uniformly chosen sender is the superposition of
//   the connections' streams: equal in distribution, checked over replications against the
//   reference and against theory (Poisson counts, M/D/1 latency).
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "experiments/result_writer.hpp"
#include "models/fleet.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"
#include "tests/cpp/queueing_theory.hpp"
#include "tests/cpp/random_config.hpp"

using namespace wsfleet;

namespace {

/// summary.json (without host time and event count, which differ by design) and timeseries.csv.
std::string outputs(models::FleetConfig cfg, bool per_connection) {
  cfg.run.per_connection_timers = per_connection;
  models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  r.summary.wall_seconds = 0.0;
  r.summary.events_processed = 0;
  std::ostringstream csv;
  experiments::write_timeseries_csv(csv, r);
  return experiments::summary_json_text(r.summary) + csv.str();
}

struct Stats {
  double mean = 0.0, sd = 0.0;
};
Stats stats(const std::vector<double>& v) {
  Stats s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  for (double x : v) s.sd += (x - s.mean) * (x - s.mean);
  s.sd = std::sqrt(s.sd / static_cast<double>(v.size() - 1));
  return s;
}

/// Two samples' means agree: |difference| within 4 standard errors of the difference.
bool same_mean(const std::vector<double>& a, const std::vector<double>& b) {
  const Stats x = stats(a), y = stats(b);
  const double se = std::sqrt(x.sd * x.sd / static_cast<double>(a.size()) + y.sd * y.sd / static_cast<double>(b.size()));
  return std::abs(x.mean - y.mean) <= 4.0 * se + 1e-12;
}

}  // namespace

TEST_CASE("heartbeats as a periodic load give the per-event results bit for bit", "[timers]") {
  int pooled = 0;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    models::FleetConfig cfg = testing::random_config(seed);
    cfg.fleet.cpu.service_time = models::ServiceTime::Deterministic;
    // Per-connection message timers in both runs (a data-idle policy needs each one's times), so
    // that only the heartbeats differ: the idle close itself never comes within the run.
    if (cfg.fleet.idle_close_s <= 0.0) cfg.fleet.idle_close_s = 1e6;
    INFO("combination " << seed);
    CHECK(outputs(cfg, false) == outputs(cfg, true));
    // The same without the features that need each connection's frame times (and keep heartbeat
    // events): half-open clients, a balancer idle timeout, pings only when idle, rebalancing.
    if (cfg.clients.heartbeat_interval_s > 0.0) {
      cfg.clients.vanish_share = 0.0;
      cfg.balancer.idle_timeout_s = 0.0;
      cfg.heartbeat.mode = models::HeartbeatMode::Periodic;
      cfg.fleet.rebalance.interval_s = 0.0;
      INFO("without frame-time features");
      CHECK(outputs(cfg, false) == outputs(cfg, true));
      ++pooled;
    }
  }
  CHECK(pooled >= 40);  // the comparison covered the pooled path, not only the runs that keep events
}

TEST_CASE("pooled heartbeats on the bundled million model, shrunk: same results, far fewer events", "[timers]") {
  models::FleetConfig cfg = testing::small_fleet();
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.count = 3000;
  cfg.fleet.max_connections = 2000;
  cfg.clients.heartbeat_interval_s = 5.0;
  cfg.run.duration_s = 300.0;
  cfg.faults.push_back(models::CrashFault::of_server(1, 100.0, 30.0));
  cfg.run.per_connection_timers = true;
  const models::RunResult events = models::Fleet(cfg).run();
  cfg.run.per_connection_timers = false;
  const models::RunResult pooled = models::Fleet(cfg).run();
  CHECK(pooled.summary.heartbeats.sent == events.summary.heartbeats.sent);
  CHECK(pooled.summary.heartbeats.delivered == events.summary.heartbeats.delivered);
  CHECK(pooled.summary.heartbeats.dropped == events.summary.heartbeats.dropped);
  CHECK(pooled.summary.heartbeats.sent > 100'000);
  // One event per heartbeat is gone: ~3000 connections x 60 beats.
  CHECK(events.summary.events_processed - pooled.summary.events_processed > 150'000);
}

TEST_CASE("one message stream per server is the superposition of the connections' streams", "[timers]") {
  // 4 servers, 2000 clients, 6 messages a minute each, one crash with recovery: per replication, the
  // messages sent, the delivered per server, the latency quantiles and the storm's figures.
  models::FleetConfig cfg = testing::small_fleet();
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.clients.messages_per_minute = 30.0;
  cfg.fleet.cpu.inbound_message_us = 1500.0;  // ~500 msg/s per server x 1.5 ms: 75 % busy, queueing matters
  cfg.fleet.cpu.outbound_message_us = 0.0;
  cfg.run.duration_s = 120.0;
  cfg.faults.push_back(models::CrashFault::of_server(2, 60.0, 20.0));
  std::vector<double> sent[2], p50[2], p99[2], mean_ms[2], within[2], per_server_sd[2];
  for (int mode = 0; mode < 2; ++mode) {
    for (std::uint64_t rep = 0; rep < 24; ++rep) {
      cfg.run.replication = rep;
      cfg.run.per_connection_timers = mode == 1;
      const models::RunResult r = models::Fleet(cfg).run();
      REQUIRE(testing::conserved(r));
      sent[mode].push_back(static_cast<double>(r.summary.messages.sent));
      p50[mode].push_back(r.summary.message_latency.p50_ms);
      p99[mode].push_back(r.summary.message_latency.p99_ms);
      mean_ms[mode].push_back(r.summary.message_latency.mean_ms);
      REQUIRE(r.summary.faults.at(0).reconnected_within_s.has_value());
      within[mode].push_back(*r.summary.faults.at(0).reconnected_within_s);
      // Messages delivered by server 0 in steady state, per second: Poisson, variance = mean.
      std::vector<double> counts;
      for (double t = 21.0; t <= 59.0; t += 1.0) counts.push_back(testing::server_sum(r, 0, t - 1.0, t, "messages_delivered"));
      const Stats c = stats(counts);
      per_server_sd[mode].push_back(c.sd * c.sd / c.mean);  // index of dispersion
    }
  }
  CHECK(same_mean(sent[0], sent[1]));
  CHECK(same_mean(p50[0], p50[1]));
  CHECK(same_mean(p99[0], p99[1]));
  CHECK(same_mean(mean_ms[0], mean_ms[1]));
  CHECK(same_mean(within[0], within[1]));
  CHECK(same_mean(per_server_sd[0], per_server_sd[1]));
  // Theory: 2000 clients x 0.5/s over the time they are connected.
  CHECK(stats(sent[0]).mean == Approx(stats(sent[1]).mean).epsilon(0.01));
  // Per-second counts of a Poisson stream thinned by a FIFO server stay near dispersion 1.
  CHECK(stats(per_server_sd[0]).mean == Approx(1.0).margin(0.25));
}

TEST_CASE("per-server messages: M/D/1 latency and the offered load", "[timers]") {
  // One server, 1000 connected clients, 36 messages a minute each: 600/s x 1 ms = 60 % busy.
  models::FleetConfig cfg = testing::small_fleet();
  cfg.fleet.servers = 1;
  cfg.fleet.max_connections = 2000;
  cfg.clients.count = 1000;
  cfg.clients.ramp_s = 1.0;
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.clients.messages_per_minute = 36.0;
  cfg.fleet.cpu.inbound_message_us = 1000.0;
  cfg.fleet.cpu.outbound_message_us = 0.0;
  cfg.fleet.cpu.handshake_us = 0.0;
  cfg.run.duration_s = 400.0;
  const models::RunResult r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  const double lambda = 600.0, service = 1e-3, rho = lambda * service;
  // Messages over the run: Poisson with mean 600/s x ~399 s (the ramp lasts 1 s).
  const double expected = lambda * (cfg.run.duration_s - 0.5);
  CHECK(std::abs(static_cast<double>(r.summary.messages.sent) - expected) < 5.0 * std::sqrt(expected));
  // Pollaczek-Khinchine for M/D/1: sojourn = S + rho S / (2 (1 - rho)) = 1.75 ms.
  const double sojourn_ms = 1e3 * (service + rho * service / (2.0 * (1.0 - rho)));
  CHECK(r.summary.message_latency.mean_ms == Approx(sojourn_ms).epsilon(0.05));
}

TEST_CASE("pooled messages: when a server is caught up changes no result", "[timers]") {
  // The balancer's load reports read every server (and so drain its heartbeats and messages) every
  // metrics interval; with least connections they change no decision. Reading the servers at other
  // instants must then give the same run, bit for bit: each server draws from its own streams, in
  // the time order of its own messages, whenever they are drained.
  models::FleetConfig base = testing::small_fleet();
  base.clients.messages_per_minute = 30.0;
  base.run.duration_s = 200.0;
  base.faults.push_back(models::CrashFault::of_server(1, 60.0, 30.0));
  for (int variant = 0; variant < 4; ++variant) {
    models::FleetConfig cfg = base;
    if (variant == 1) cfg.fleet.cpu.service_time = models::ServiceTime::Exponential;
    if (variant == 2) cfg.fleet.cpu_cores = 3;
    if (variant == 3) {  // clients in two regions: each message draws its sender (the region adds latency)
      cfg.topology.links = {{"eu", "a", 5.0}, {"a", "b", 30.0}, {"us", "b", 3.0}};
      cfg.topology.sites = {{"a", 2}, {"b", 2}};
      cfg.topology.regions = {{"eu", 0.5}, {"us", 0.5}};
    }
    INFO("variant " << variant);
    cfg.balancer.metrics_interval_s = 5.0;
    const std::string every_5s = outputs(cfg, false);
    cfg.balancer.metrics_interval_s = 0.37;
    CHECK(outputs(cfg, false) == every_5s);
    // The pooled path was taken: the messages are far more than the events.
    const models::RunResult r = models::Fleet(cfg).run();
    CHECK(r.summary.messages.sent > 3 * r.summary.events_processed);
  }
}
