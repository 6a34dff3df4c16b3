#pragma once
// The first fleet model: a client population, one load balancer and a fleet of servers with hard
// connection limits and CPU queues, crash faults, and reconnect storms.
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

#include "models/backoff_policy.hpp"
#include "models/client.hpp"
#include "models/fleet_config.hpp"
#include "models/load_balancer.hpp"
#include "models/run_summary.hpp"
#include "models/server.hpp"
#include "sim/histogram.hpp"
#include "sim/simulator.hpp"

namespace wsfleet::models {

/// Thrown when an end-of-run invariant does not hold: the numbers are wrong, the run is void.
class ConservationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One simulation of a fleet. Build it from a validated FleetConfig, call run() once.
class Fleet : public sim::EventHandler {
 public:
  /// Progress callback: simulated time now, events processed so far.
  using ProgressFn = std::function<void(sim::SimTime now, std::uint64_t events)>;

  /// Builds the model (policies are constructed and validated here; throws ParamError on bad ones).
  explicit Fleet(const FleetConfig& config);

  /// Runs to the configured duration and returns the result. Throws ConservationError if an
  /// invariant fails. `progress` (optional) is called every ~1M events.
  RunResult run(const ProgressFn& progress = {});

  void handle(const sim::Event& e) override;

 private:
  enum Tag : std::uint32_t { kArrive, kAttempt, kHandshakeDone, kHandshakeTimeout, kHeartbeat, kMessage,
                             kSessionEnd, kCrash, kRecover, kSample };
  enum JobKind : int { kJobMessage = 0, kJobHeartbeat = 1 };

  // Connection timers carry their server in the tag's upper bits: kind | (server + 1) << 8.
  static constexpr std::uint32_t kKindMask = 0xFFu;
  static std::uint32_t conn_tag(Tag kind, std::uint32_t server) { return kind | ((server + 1u) << 8); }
  static std::uint32_t server_of_tag(std::uint32_t tag) { return (tag >> 8) - 1u; }
  static std::uint64_t pack(std::uint32_t client, std::uint32_t gen) {
    return (static_cast<std::uint64_t>(gen) << 32) | client;
  }
  void schedule_client(sim::SimTime t, std::uint32_t tag, std::uint32_t c);
  void attempt(std::uint32_t c);
  void handshake_done(std::uint32_t c);
  void handshake_timeout(std::uint32_t c);
  /// Queues one tracked job (a heartbeat or a message) on a server's CPU and counts it as sent.
  void submit_job(std::uint32_t server, sim::SimTime cost, JobKind kind);
  void heartbeat(std::uint32_t c, std::uint32_t server);
  void message(std::uint32_t c, std::uint32_t server);
  void session_end(std::uint32_t c);
  void crash(std::uint32_t fault);
  void recover(std::uint32_t fault);
  void sample();
  void retry_later(std::uint32_t c, RetryCause cause);
  void release_slot(std::uint32_t c);
  void settle(Server& s);
  void on_job_done(Server& s, int kind, sim::SimTime latency);
  void check_conservation(RunSummary& summary) const;
  sim::SimTime service(sim::SimTime cost);
  RunSummary make_summary() const;

  FleetConfig cfg_;
  sim::Simulator sim_;
  std::uint32_t self_ = 0;
  sim::SimTime end_ = 0;
  sim::SimTime sample_interval_ = 0;

  std::vector<Client> clients_;
  std::vector<std::uint32_t> gens_;  ///< per client: generation of its current attempt/connection
  std::vector<sim::SimTime> arrival_times_;
  std::vector<Server> servers_;
  std::unique_ptr<LoadBalancer> balancer_;
  std::unique_ptr<BackoffPolicy> backoff_;

  sim::Rng rng_sessions_, rng_messages_, rng_backoff_, rng_service_;

  // Converted configuration, ns.
  sim::SimTime cost_handshake_, cost_message_, cost_heartbeat_;
  sim::SimTime heartbeat_interval_, connect_timeout_;
  double message_mean_gap_s_ = 0.0;

  ConnectionCounts conn_;
  MessageCounts msgs_, beats_;
  std::uint64_t connected_ = 0, connecting_ = 0, waiting_ = 0, left_ = 0, arrived_ = 0;
  sim::LogHistogram message_latency_ms_, handshake_latency_ms_, fleet_interval_latency_ms_;
  struct FaultState {
    FaultOutcome outcome;
    std::uint64_t outstanding = 0;
    bool incomplete = false;
  };
  std::vector<FaultState> faults_;

  // Per-interval fleet counters.
  std::uint64_t iv_retries_ = 0, iv_gave_up_ = 0;
  sim::SimTime last_sample_ = 0;
  double peak_cpu_ = 0.0, peak_mem_ = 0.0;
  std::uint64_t peak_conns_ = 0, peak_server_conns_ = 0;
  sim::TimeSeries fleet_series_, server_series_;
};

}  // namespace wsfleet::models
