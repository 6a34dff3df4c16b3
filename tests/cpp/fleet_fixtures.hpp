#pragma once
// Small fleets, faults and readers of results shared by the fleet scenario tests.
#include <optional>
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

/// small_fleet() on two sites, ams (nearest, 5 ms one way) and fra (15 ms), with `ams` and `fra`
/// servers; one client region, eu.
inline models::FleetConfig two_sites(std::uint32_t ams = 2, std::uint32_t fra = 2) {
  models::FleetConfig cfg = small_fleet();
  cfg.topology.links = {{"eu", "ams", 5.0}, {"eu", "fra", 15.0}};
  cfg.topology.sites = {{"ams", ams}, {"fra", fra}};
  cfg.topology.regions = {{"eu", 1.0}};
  return cfg;
}

/// A fault of kind `target` at `at_s`, over `recover_after_s` later (empty: never), on `site` (the
/// site kinds; "" for the others, which name their server or balancer themselves).
inline models::CrashFault fault(models::FaultTarget target, double at_s, std::optional<double> recover_after_s = std::nullopt,
                                std::string site = "") {
  models::CrashFault f;
  f.target = target;
  f.at_s = at_s;
  f.recover_after_s = recover_after_s;
  f.site = std::move(site);
  return f;
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

/// The run's conservation check named `name` (nullptr when it has none).
inline const models::ConservationCheck* conservation_check(const models::RunResult& r, const std::string& name) {
  for (const auto& c : r.summary.conservation) {
    if (c.name == name) return &c;
  }
  return nullptr;
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
