#pragma once
// Small fleets shared by the balancer scenario tests.
#include <string>

#include "models/fleet.hpp"

namespace wsfleet::testing {

/// 4 servers x 1000 slots, 2000 clients arriving over 10 s, least connections, full jitter 1..30 s.
inline models::FleetConfig small_fleet() {
  models::FleetConfig cfg;
  cfg.name = "small";
  cfg.run.duration_s = 120.0;
  cfg.run.sample_interval_s = 1.0;
  cfg.run.seed = 5;
  cfg.fleet.servers = 4;
  cfg.fleet.max_connections = 1000;
  cfg.clients.count = 2000;
  cfg.clients.ramp_s = 10.0;
  cfg.clients.messages_per_minute = 6.0;
  cfg.clients.heartbeat_interval_s = 25.0;
  cfg.balancer.policy = "least_connections";
  cfg.backoff.policy = "full_jitter";
  cfg.backoff.params = {{"base_s", 1.0}, {"cap_s", 30.0}};
  return cfg;
}

/// A [[deploys]] rolling update one server at a time (maxSurge 1, maxUnavailable 0) from `at_s`, each
/// new server ready `ready_after_s` after it starts, no preStop hook.
inline models::DeployEvent one_at_a_time_deploy(double at_s, double ready_after_s) {
  models::DeployEvent d;
  d.at_s = at_s;
  d.max_surge = 1;
  d.max_surge_percent = false;
  d.max_unavailable = 0;
  d.max_unavailable_percent = false;
  d.ready_after_s = ready_after_s;
  d.prestop_s = 0.0;
  return d;
}

/// Every conservation check of a run holds.
inline bool conserved(const models::RunResult& r) {
  for (const auto& chk : r.summary.conservation) {
    if (!chk.ok) return false;
  }
  return !r.summary.conservation.empty();
}

/// The value of the fleet's `column` in the last sample at or before `time_s` (-1 before the first).
inline double fleet_at(const models::RunResult& r, double time_s, const std::string& column) {
  const auto& t = r.fleet.column("time_s");
  const auto& v = r.fleet.column(column);
  double out = -1.0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] <= time_s) out = v[i];
  }
  return out;
}

/// The value of `column` for `server` in the last sample at or before `time_s`.
inline double server_at(const models::RunResult& r, std::size_t server, double time_s, const std::string& column) {
  const auto& t = r.servers.column("time_s");
  const auto& id = r.servers.column("server");
  const auto& v = r.servers.column(column);
  double out = -1.0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] <= time_s && static_cast<std::size_t>(id[i]) == server) out = v[i];
  }
  return out;
}

/// Sum of a server's per-interval `column` over samples in (from_s, to_s].
inline double server_sum(const models::RunResult& r, std::size_t server, double from_s, double to_s,
                         const std::string& column) {
  const auto& t = r.servers.column("time_s");
  const auto& id = r.servers.column("server");
  const auto& v = r.servers.column(column);
  double sum = 0.0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] > from_s && t[i] <= to_s && static_cast<std::size_t>(id[i]) == server) sum += v[i];
  }
  return sum;
}

/// Sum of a fleet per-interval `column` over samples in (from_s, to_s].
inline double fleet_sum(const models::RunResult& r, double from_s, double to_s, const std::string& column) {
  const auto& t = r.fleet.column("time_s");
  const auto& v = r.fleet.column(column);
  double sum = 0.0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] > from_s && t[i] <= to_s) sum += v[i];
  }
  return sum;
}

}  // namespace wsfleet::testing
