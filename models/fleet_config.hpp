#pragma once
// The complete, validated description of one fleet simulation. Plain data: the scenario loader
// (experiments/) fills it from TOML; the Fleet model (models/fleet.hpp) runs it. Units are in the
// names; times in seconds here and converted to ns by the model.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/policy_params.hpp"
#include "sim/distribution.hpp"

namespace wsfleet::models {

/// [run]
struct RunConfig {
  double duration_s = 600.0;          ///< simulated time, s (> 0)
  double sample_interval_s = 1.0;     ///< time-series step, s (> 0, <= duration)
  std::uint64_t seed = 1;             ///< master seed
  std::uint64_t replication = 0;      ///< replication index (independent streams per index)
  /// Member-wise equality (exact for doubles).
  bool operator==(const RunConfig&) const = default;
};

/// How one operation's CPU time varies around its cost.
enum class ServiceTime { Deterministic, Exponential };

/// CPU cost of each operation on a server, in microseconds of one core.
struct CpuCosts {
  double handshake_us = 1000.0;        ///< WebSocket upgrade (HTTP + TLS resumption + auth)
  double inbound_message_us = 50.0;    ///< parse and handle one client message
  double outbound_message_us = 20.0;   ///< serialise and write one message to a client
  double heartbeat_us = 5.0;           ///< handle one ping and send its pong
  ServiceTime service_time = ServiceTime::Deterministic;  ///< each job takes exactly its cost, or Exp(mean = cost)
  /// Member-wise equality (exact for doubles).
  bool operator==(const CpuCosts&) const = default;
};

/// [fleet]: identical servers behind one balancer.
struct FleetSection {
  std::uint32_t servers = 10;                 ///< number of servers (>= 1)
  std::uint32_t max_connections = 20000;      ///< hard limit per server; attempts beyond it are rejected
  std::uint32_t cpu_cores = 1;                ///< cores per server; the CPU queue is served by this many cores
  double memory_per_connection_kib = 64.0;    ///< resident memory per open connection, KiB
  double base_memory_mib = 256.0;             ///< memory of an idle server process, MiB
  std::vector<double> weights;                ///< per-server balancer weight; empty = all 1
  CpuCosts cpu;                               ///< [fleet.cpu]
  /// Member-wise equality (exact for doubles).
  bool operator==(const FleetSection&) const = default;
};

/// What a client does when its session ends normally.
enum class SessionEnd { Leave, Reconnect };

/// [clients]
struct ClientsSection {
  std::uint64_t count = 100000;                          ///< clients in the population
  double ramp_s = 60.0;                                  ///< first connection times: Poisson process, all within [0, ramp_s]
  sim::Distribution session_s = sim::Distribution::never();  ///< session length, s
  SessionEnd on_session_end = SessionEnd::Leave;         ///< leave the population, or open a new session at once
  double messages_per_minute = 1.0;                      ///< inbound messages per client (Poisson), 0 = none
  double replies_per_message = 1.0;                      ///< outbound messages the server sends per inbound one
  double heartbeat_interval_s = 25.0;                    ///< periodic ping per connection, 0 = off
  double connect_timeout_s = 10.0;                       ///< a handshake not done within this fails
  /// Member-wise equality (exact for doubles).
  bool operator==(const ClientsSection&) const = default;
};

/// [balancer]
struct BalancerSection {
  std::string policy = "round_robin";   ///< a registered balancing policy
  Params params;                        ///< its parameters (validated)
  /// Member-wise equality (exact for doubles).
  bool operator==(const BalancerSection&) const = default;
};

/// [backoff]
struct BackoffSection {
  std::string policy = "full_jitter";   ///< a registered backoff policy
  Params params;                        ///< its parameters (validated)
  /// Member-wise equality (exact for doubles).
  bool operator==(const BackoffSection&) const = default;
};

/// [[faults]]: one crash.
struct CrashFault {
  std::uint32_t server = 0;                   ///< 0-based server index
  double at_s = 0.0;                          ///< when it crashes, s
  std::optional<double> recover_after_s;      ///< it comes back this long after the crash (empty = never)
  /// Member-wise equality (exact for doubles).
  bool operator==(const CrashFault&) const = default;
};

/// A whole scenario.
struct FleetConfig {
  std::string name = "scenario";        ///< [scenario] name, for reports
  std::string description;              ///< [scenario] description, for reports
  RunConfig run;
  FleetSection fleet;
  ClientsSection clients;
  BalancerSection balancer;
  BackoffSection backoff;
  std::vector<CrashFault> faults;
  /// Member-wise equality (exact for doubles).
  bool operator==(const FleetConfig&) const = default;
};

}  // namespace wsfleet::models
