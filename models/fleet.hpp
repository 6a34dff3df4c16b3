#pragma once
// The first fleet model: a client population, one load balancer and a fleet of servers with hard
// connection limits and CPU queues, crash faults, and reconnect storms.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include "models/backoff_policy.hpp"
#include "models/balancer/balancer_node.hpp"
#include "models/client.hpp"
#include "models/fleet_config.hpp"
#include "models/load_balancer.hpp"
#include "models/pubsub/pubsub_runtime.hpp"
#include "models/run_summary.hpp"
#include "models/server.hpp"
#include "models/server_classes.hpp"
#include "models/topology.hpp"
#include "models/transport/fallback_transports.hpp"
#include "sim/histogram.hpp"
#include "sim/simulator.hpp"

namespace wsfleet::models {

/// Percentiles of a histogram (NaN fields when it is empty).
LatencyStats stats_of(const sim::LogHistogram& h);
/// Appends the check `lhs = sum(rhs)` (named, with its equation and the numbers) to the summary.
void add_conservation_check(RunSummary& summary, std::string name, std::string equation, std::uint64_t lhs,
                            const std::vector<std::uint64_t>& rhs);

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
  friend class FallbackTransports;  // the fallback transports' mechanism (models/transport/) works on the fleet's state
  enum Tag : std::uint32_t { kArrive, kAttempt, kHandshakeDone, kHandshakeTimeout, kHeartbeat, kMessage,
                             kSessionEnd, kCrash, kRecover, kSample, kProbe, kProbeTimeout, kPassiveExpire,
                             kWarmStep, kLoadReport, kScale, kDrainDeadline, kFailover, kIdleCheck, kGhostGone, kRebalance, kIdleClose,
                             kPubFeed, kPubClient, kPubArrive, kPubFanout, kPubFetch, kMemoryRestart,
                             kHeartbeatTracked, kMessageTracked };
  /// Why a connection attempt did not get a connection.
  enum class Refusal { ServerFull, NoBackend, RateLimited, Shed, Timeout, BackendDown, SourcePorts, BalancerDown, Crash };
  enum JobKind : int { kJobMessage = 0, kJobHeartbeat = 1 };

  // Connection timers carry their server in the tag's upper bits: kind | (server + 1) << 8.
  static constexpr std::uint32_t kKindMask = 0xFFu;
  /// The shortest time between a client's attempts: a refusal takes at least a round trip (1 ms).
  static constexpr sim::SimTime kMinRetryGap = 1'000'000;
  static std::uint32_t conn_tag(Tag kind, std::uint32_t server) { return kind | ((server + 1u) << 8); }
  static std::uint32_t server_of_tag(std::uint32_t tag) { return (tag >> 8) - 1u; }
  static std::uint64_t pack(std::uint32_t client, std::uint32_t gen) {
    return (static_cast<std::uint64_t>(gen) << 32) | client;
  }
  // Balancer timers carry (backend, balancer, generation) in their data.
  static std::uint64_t pack_backend(std::uint32_t balancer, std::uint32_t backend, std::uint32_t gen = 0) {
    return backend | (static_cast<std::uint64_t>(balancer) << 24) | (static_cast<std::uint64_t>(gen) << 32);
  }
  void schedule_client(sim::SimTime t, std::uint32_t tag, std::uint32_t c);
  void handle_balancer_timer(std::uint32_t tag, std::uint64_t data);
  std::uint32_t resolve_balancer(std::uint32_t c) const;
  bool site_in_service(std::uint32_t site) const;
  /// The balancers of the site holding `server`.
  std::span<BalancerNode> site_nodes_of(std::uint32_t server) {
    return {nodes_.data() + static_cast<std::size_t>(topo_.site_of(server)) * per_site_, per_site_};
  }
  void refuse(std::uint32_t c, Refusal why);
  void try_failed(BalancerNode& node, std::uint32_t server);
  // Balancer-side handlers take the global server index.
  void mark_health(std::uint32_t balancer, std::uint32_t server, bool up);
  void start_warmup(std::uint32_t balancer, std::uint32_t server);
  void warm_step(std::uint32_t balancer, std::uint32_t server, std::uint32_t gen);
  void probe(std::uint32_t balancer, std::uint32_t server);
  void probe_result(std::uint32_t balancer, std::uint32_t server, bool passed);
  void note_detection(std::uint32_t balancer, std::uint32_t server);
  void crash_server(std::uint32_t server, std::uint32_t fault);
  void crash_balancer(std::uint32_t fault);
  void recover_balancer(std::uint32_t fault);
  void rebuild_resolvable();
  void load_report();
  void scale(std::uint32_t event);
  void drain_deadline(std::uint32_t server);
  void cut_connection(std::uint32_t c, std::uint32_t fault, bool release);
  void attempt(std::uint32_t c);
  void handshake_done(std::uint32_t c);
  void handshake_timeout(std::uint32_t c);
  /// Queues one tracked job (a heartbeat or a message) on a server's CPU and counts it as sent;
  /// returns when it completes.
  sim::SimTime submit_job(std::uint32_t server, sim::SimTime cost, JobKind kind, std::uint32_t c);
  /// submit_job for callers outside fleet.cpp (submit_job is inlined into the per-event path there).
  sim::SimTime submit_job_call(std::uint32_t server, sim::SimTime cost, JobKind kind, std::uint32_t c);
  // Heartbeats and messages are the bulk of the events. When no feature needs the time of a
  // connection's last frame (activity_, data_activity_), they are scheduled as kHeartbeat/kMessage
  // and run the <false> instantiation, which does nothing for those features; otherwise as the
  // *Tracked kinds (the choice is made once, in the constructor: heartbeat_tag_, message_tag_).
  template <bool kTracked>
  void heartbeat(std::uint32_t c, std::uint32_t server);
  template <bool kTracked>
  void message(std::uint32_t c, std::uint32_t server);
  void session_end(std::uint32_t c);
  void idle_check(std::uint32_t c);
  void idle_close(std::uint32_t c);
  void vanish(std::uint32_t c);
  void ghost_gone(std::uint32_t index);
  void crash(std::uint32_t fault);
  void recover(std::uint32_t fault);
  void sample();
  /// Schedules the client's next attempt through its backoff policy (not before `at_least` from now),
  /// or makes it give up.
  void retry_later(std::uint32_t c, RetryCause cause, sim::SimTime at_least = 0);
  void rebalance();
  /// Removes the client from its server's member list (its slot), nothing else.
  void leave_members(std::uint32_t c);
  /// leave_members, and the balancer stops counting the connection.
  void release_slot(std::uint32_t c);
  /// Closes an established connection from the server or balancer side (counted under `reason`);
  /// the client reconnects through its backoff.
  void close_connection(std::uint32_t c, std::uint64_t& reason);
  void restart_server(std::uint32_t server, std::uint32_t fault);
  /// Kills a server whose memory (connections and send buffers) is over its class's limit.
  void check_memory(std::uint32_t server);
  // Pub/sub (models/fleet_pubsub.cpp).
  void pubsub_init();
  void pubsub_start();
  void pubsub_handle(std::uint32_t tag, std::uint64_t data);
  void pubsub_publish(std::uint32_t channel, bool from_client);
  void pubsub_arrive(std::uint32_t pub);
  void pubsub_fanout(std::uint32_t pub, std::uint32_t server, std::uint8_t epoch);
  void pubsub_client_message(std::uint32_t c, std::uint32_t server, sim::SimTime done);
  /// A connection was established: subscribe, and resume or account for what the client missed.
  void pubsub_connect(std::uint32_t c);
  /// A connection ends (call while the client still holds its server): unsubscribe, discard its
  /// buffer; `session_over` when the client ends its session rather than losing the connection.
  void pubsub_disconnect(std::uint32_t c, bool session_over);
  /// A client not connected ends its session (gives up).
  void pubsub_end_session(std::uint32_t c);
  void pubsub_fetch_done(std::uint32_t c);
  /// Brings a connection's send buffer up to `now`, delivering what has been written.
  void pubsub_drain(std::uint32_t c, sim::SimTime now);
  void pubsub_written(std::uint32_t c, const QueuedCopy& copy, sim::SimTime finish);
  double pubsub_server_buffered_mib(std::uint32_t server);
  void pubsub_trim_logs();
  void pubsub_finish(RunSummary& summary);
  void pubsub_conservation(RunSummary& summary) const;
  void settle(Server& s);
  void on_job_done(Server& s, int kind, sim::SimTime latency);
  void check_conservation(RunSummary& summary) const;
  sim::SimTime service(sim::SimTime cost);
  RunSummary make_summary() const;
  /// Memory of a running server without its send buffers: the process plus its connections, MiB.
  double fixed_memory_mib(std::uint32_t server) const;

  FleetConfig cfg_;
  sim::Simulator sim_;
  std::uint32_t self_ = 0;
  sim::SimTime end_ = 0;
  sim::SimTime sample_interval_ = 0;

  std::vector<Client> clients_;
  std::vector<std::uint32_t> gens_;  ///< per client: generation of its current attempt/connection
  std::vector<sim::SimTime> arrival_times_;
  std::vector<Server> servers_;
  std::vector<ServerSpec> specs_;    ///< per server: its class's limits, cores, memory and weight
  std::vector<BalancerNode> nodes_;
  Topology topo_;
  std::uint32_t per_site_ = 1;              ///< balancers per site (balancer.count)
  std::vector<std::vector<std::uint32_t>> resolvable_;   ///< per site: balancers clients reach by DNS now
  std::vector<double> latency_ns_;          ///< regions x sites: one-way network latency, ns
  std::vector<int> tried_;                  ///< backends already tried for the connection being routed
  std::uint32_t next_absent_ = 0;           ///< the next server a [[scaling]] add brings in
  sim::SimTime probe_interval_ = 0, probe_timeout_ = 0, fail_timeout_ = 0, failover_ = 0, load_interval_ = 0;
  sim::SimTime last_load_report_ = 0;
  std::unique_ptr<BackoffPolicy> backoff_;

  sim::Rng rng_sessions_, rng_messages_, rng_backoff_, rng_service_, rng_probes_, rng_vanish_;
  std::vector<sim::SimTime> activity_;   ///< per client: time of the last frame on its connection (when needed)
  std::vector<sim::SimTime> data_activity_;  ///< per client: time of its last data message (when fleet.idle_close_s is set)
  sim::SimTime hb_timeout_ = 0, hb_peer_timeout_ = 0, idle_timeout_ = 0, idle_close_ = 0;
  bool idle_pings_ = false, track_activity_ = false, idle_cuts_ = false;
  Tag heartbeat_tag_ = kHeartbeat, message_tag_ = kMessage;  ///< plain, or *Tracked when activity is needed
  sim::SimTime shed_backlog_ = 0, retry_after_ = 0, cost_reject_ = 0, rebalance_interval_ = 0;
  std::uint64_t ghosts_detected_ = 0;
  /// A half-open connection whose detection is scheduled.
  struct Ghost {
    sim::SimTime since;       ///< when the client vanished
    std::uint32_t server;
    std::uint32_t gen;        ///< the server's ghost_gen then
    std::uint8_t balancer;
  };
  std::vector<Ghost> ghost_table_;
  std::vector<std::uint32_t> ghost_free_;
  sim::LogHistogram ghost_detection_s_;

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
    std::uint64_t pending_nodes = 0;   ///< server crash: bit per running balancer that still sends it new connections
  };
  std::vector<FaultState> faults_;

  // Per-interval fleet counters.
  std::uint64_t iv_retries_ = 0, iv_gave_up_ = 0, iv_attempts_ = 0, iv_rejected_ = 0, iv_failed_ = 0;
  sim::SimTime last_sample_ = 0;
  double peak_cpu_ = 0.0, peak_mem_ = 0.0;
  std::uint64_t peak_conns_ = 0, peak_server_conns_ = 0;
  sim::TimeSeries fleet_series_, server_series_;
  std::unique_ptr<PubSubRuntime> ps_;   ///< null without [pubsub]
  std::unique_ptr<FallbackTransports> transport_;  ///< null unless a fallback share or a websocket_block fault is configured
};

}  // namespace wsfleet::models
