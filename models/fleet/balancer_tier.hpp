#pragma once
// The balancer tier as a component: per site, balancer.count balancers (models/balancer/), each with
// its policy and its view of the backends; DNS resolution of a client to a balancer; routing a new
// connection (tries, source ports, stickiness, the server's admission) and a single HTTP request;
// active health checks, passive failure detection and slow start; the servers' load reports;
// balancer crashes, recovery and DNS failover. Its random stream: "balancer.probes" (check phases),
// and one stream per balancer for its policy.
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "models/balancer/balancer_node.hpp"
#include "models/balancer/envoy_outlier.hpp"
#include "models/balancer/haproxy_backend.hpp"
#include "models/fleet/fleet_state.hpp"
#include "models/fleet/listeners.hpp"
#include "models/fleet/refusal.hpp"
#include "sim/event_handler.hpp"

namespace wsfleet::models {

/// Where a new connection goes, or why it goes nowhere.
struct Route {
  std::optional<Refusal> refusal;  ///< set when the attempt was refused
  std::uint32_t server = 0;        ///< the server that took it (a slot is reserved at the balancer)
  std::uint32_t balancer = 0;      ///< the balancer it went through
  std::uint32_t site = 0;          ///< that balancer's site
  std::uint32_t worker = 0;        ///< the balancer's worker process that accepted it (NGINX `workers`; else 0)
  std::int32_t tried = -1;         ///< a refusal's server: the one that refused it or the last tried (-1: none)
  /// It waits at the balancer (HAProxy: in the maxconn queue, or for a retry's turn-around): the
  /// balancer hands it on later through Connections::held_routed.
  bool held = false;
  /// The link from the client's region to the balancer's site is down (a link_down fault): its SYN
  /// never arrives, the balancer takes nothing; Connections retransmits it as TCP does.
  bool unreachable = false;
};

/// Why one HTTP request of a fallback session could not be routed.
enum class RequestFailure : std::uint8_t { None, BackendDown, NoBackend, BalancerDown };

/// The balancers of one run.
class BalancerTier : public sim::EventHandler, public ServerListener {
 public:
  /// Builds the balancers (policies are constructed and validated here; throws ParamError on bad ones).
  explicit BalancerTier(FleetState& state);

  void handle(const sim::Event& e) override;

  /// Schedules the first health checks (a random phase per balancer and backend).
  void start_health_checks();
  /// Schedules the first load report.
  void start_load_reports();

  /// Routes client `c`'s new connection: its balancer, the rate limit, up to `tries` backends, source
  /// ports, and the chosen server's admission. On success the balancer counts the connection.
  Route connect(std::uint32_t c);
  /// Routes a second connection of client `c` while its attempt goes on (pusher-js's fallback
  /// transport): as connect(), but not recorded as the attempt's route for the refusal tally.
  Route connect_second(std::uint32_t c) { return route_connection(c); }
  /// Routes one HTTP request of client `c` (kept-alive upstream: no rate limit, no source port);
  /// on None, `server` is where it went.
  RequestFailure route_request(std::uint32_t c, std::uint32_t& server);
  /// Client `c`'s session was opened on `server` by an HTTP request: a source-IP balancer remembers
  /// it for the client's next requests and connection (HAProxy `stick on src`). Nothing otherwise.
  void remember(std::uint32_t c, std::uint32_t server);
  /// The balancer client `c` resolves to now.
  std::uint32_t balancer_of(std::uint32_t c) const { return resolve(c); }
  /// The balancer stops counting a connection of `server` it proxied (accepted by its worker `worker`).
  void connection_closed(std::uint32_t balancer, std::uint32_t server, std::uint32_t worker) {
    BalancerNode& node = nodes_[balancer];
    node.lb->connection_closed(node.local(server), worker);
    if (!node.queue.empty()) serve_queue_soon(balancer);  // HAProxy: a freed slot takes a queued connection
  }
  /// HAProxy: client `c`'s held attempt ended on the client's side (its connect timeout); forget it.
  void abandon(std::uint32_t c);
  /// Attempts waiting at the balancers (HAProxy presets): pending, on no server yet.
  std::uint64_t held_now() const;
  /// Attempts whose balancer waits for its own connect to a server that does not answer (a
  /// site_partition): pending, on no server, each holding a slot the balancer counts.
  std::uint64_t connect_waits_now() const { return connect_waits_.size(); }

  /// A server crashed (fault `fault`): its balancers drop its connections; detection starts.
  void server_crashed(std::uint32_t server, std::uint32_t fault) override;
  /// A crashed server runs again (with instant checks, its balancers know at once).
  void server_restarted(std::uint32_t server) override;
  /// `server` joined the fleet: the balancers add it (health checks and slow start apply).
  void server_added(std::uint32_t server) override;
  /// `server` is being drained: no new connections.
  void server_draining(std::uint32_t server) override;
  /// `server` left the fleet.
  void server_removed(std::uint32_t server) override;
  /// Balancer `balancer` crashes (fault `fault`): every connection through it is cut.
  void crash_balancer(std::uint32_t balancer, std::uint32_t fault);
  /// It is back.
  void recover_balancer(std::uint32_t balancer);

  std::size_t size() const { return nodes_.size(); }
  /// Fills the summary's per-balancer outcomes.
  void summarise(RunSummary& summary) const;
  /// Adds its conservation check: the connections the balancers count.
  void conservation(RunSummary& summary) const;
  const std::vector<BalancerNode>& nodes() const { return nodes_; }

 private:
  Route route_connection(std::uint32_t c);  // connect() without the refusal bookkeeping
  /// Up to `tries` backends for client `c` (the first `target` when >= 0; those in tried_ already
  /// tried and blocked); `last`: the failure so far. The generic and NGINX/Envoy/IPVS/ALB path.
  Route try_backends(std::uint32_t c, BalancerNode& node, Route route, int target, std::uint32_t tries,
                     std::optional<Refusal> last);
  enum Tag : std::uint32_t { kProbe, kProbeTimeout, kPassiveExpire, kWarmStep, kLoadReport, kFailover, kQueueTimeout,
                             kRetryTurnaround, kServeQueue, kOutlierInterval, kConnectTimeout, kConnectSyn };
  // The balancer's own connect to a server that does not answer (balancer_tier_connect.cpp).
  /// Client `c`'s attempt waits for the connect to backend `local`: a slot held (counted as a
  /// connection of the backend) until the connect timeout. `tries_left` (generic) or `conn_retries` and
  /// `direct` (HAProxy) say what the balancer does after it.
  void hold_connect(std::uint32_t c, BalancerNode& node, const Route& route, int local, std::uint32_t tries_left,
                    std::uint32_t conn_retries, bool direct);
  /// The connect timeout of client `c`'s wait (generation `gen`): the slot is freed, the try failed;
  /// the next try, or the balancer's error to the client.
  void connect_timeout(std::uint32_t c, std::uint32_t gen);
  struct ConnectWait;
  /// Schedules the next SYN retransmission of client `c`'s wait `w` (Linux's schedule), if one comes
  /// before its connect timeout.
  void schedule_connect_syn(std::uint32_t c, ConnectWait& w);
  /// A SYN retransmission of client `c`'s wait (generation `gen`): lost again while the server is
  /// unreachable or down; else the server answers and the attempt goes on to it.
  void connect_syn(std::uint32_t c, std::uint32_t gen);
  /// Client `c` gave up while its balancer waited for a connect: the slot is freed. False: no such wait.
  bool abandon_connect(std::uint32_t c);
  /// Balancer `balancer` crashed: its connect waits are lost (returns their clients).
  std::vector<std::uint32_t> cut_connects(std::uint32_t balancer);
  /// The run has a site_partition fault (its connect accounting is reported).
  bool has_partition() const;
  /// `server`'s counts were dropped (it crashed or left): the connects still waiting for it keep
  /// their slots (their SYNs still go unanswered until the connect timeout).
  void keep_connect_slots(std::uint32_t server);
  // Envoy presets (balancer_tier_envoy.cpp): outlier detection and the panic threshold.
  bool outlier_detection() const { return envoy_ && envoy_->consecutive_5xx > 0; }
  /// The policy's pick, over every host when fewer than the panic threshold are healthy (Envoy).
  int pick_for(BalancerNode& node, std::uint64_t key);
  /// A failed connect to `server` through an Envoy balancer with outlier detection (consecutive 5xx).
  void envoy_failure(BalancerNode& node, std::uint32_t server);
  /// The detector's interval timer: ejected hosts whose time is up come back; backoffs shrink.
  void outlier_interval(std::uint32_t balancer);
  void uneject(BalancerNode& node, std::size_t backend);
  // HAProxy presets (balancer_tier_haproxy.cpp): the maxconn queue, retries and redispatch.
  Route route_haproxy(std::uint32_t c, BalancerNode& node, Route route, int target);
  /// Tries backend `local` for client `c` and, while tries fail, HAProxy's retries; `conn_retries`
  /// already spent, `direct`: chosen by persistence.
  Route try_haproxy(std::uint32_t c, BalancerNode& node, Route route, int local, std::uint32_t conn_retries, bool direct);
  /// A pick that avoids `last` when another backend is available (fwrr_get_next_server's srvtoavoid).
  static int pick_other(LoadBalancer& lb, int last, std::uint64_t key);
  /// True when the pick failed only because every usable server is at maxconn.
  static bool only_full(const LoadBalancer& lb);
  static std::size_t active_servers(const LoadBalancer& lb);
  Route enqueue(std::uint32_t c, BalancerNode& node, Route route);
  void serve_queue_soon(std::uint32_t balancer);
  void serve_queue(std::uint32_t balancer);
  void queue_timeout(std::uint32_t c, std::uint32_t gen);
  void retry_turnaround(std::uint32_t c, std::uint32_t gen);
  /// A held attempt is decided: tell Connections (server or refusal).
  void resolve_held(std::uint32_t c, const Route& route);
  /// Balancer `balancer` crashed: its held attempts fail.
  void cut_held(std::uint32_t balancer);
  bool is_held(std::uint32_t c, std::uint32_t gen) const;
  /// HAProxy's conservation check (queue and retries), only with an HAProxy preset.
  void haproxy_conservation(RunSummary& summary) const;
  // Timers carry (backend, balancer, generation) in their data.
  static std::uint64_t pack_backend(std::uint32_t balancer, std::uint32_t backend, std::uint32_t gen = 0) {
    return backend | (static_cast<std::uint64_t>(balancer) << 24) | (static_cast<std::uint64_t>(gen) << 32);
  }
  /// The balancers of the site holding `server`.
  std::span<BalancerNode> site_nodes_of(std::uint32_t server) {
    return {nodes_.data() + static_cast<std::size_t>(st_.topo.site_of(server)) * per_site_, per_site_};
  }
  std::uint32_t index_of(const BalancerNode& node) const { return static_cast<std::uint32_t>(&node - nodes_.data()); }
  /// The passive failure slot of `server` for worker `worker` (worker x backend).
  static std::size_t fail_slot(const BalancerNode& node, std::uint32_t server, std::uint32_t worker) {
    return static_cast<std::size_t>(worker) * node.lb->backends().size() + node.slot(server);
  }
  /// The same for the node's current worker.
  static std::size_t fail_slot(const BalancerNode& node, std::uint32_t server) {
    return fail_slot(node, server, node.lb->worker());
  }
  std::uint32_t resolve(std::uint32_t c) const;
  bool site_in_service(std::uint32_t site) const;
  void rebuild_resolvable();
  /// A try to `server` failed: the policy's reaction and passive failure counting (NGINX max_fails).
  void try_failed(BalancerNode& node, std::uint32_t server);
  // Health checks and slow start (balancer_tier_health.cpp).
  void mark_health(std::uint32_t balancer, std::uint32_t server, bool up);
  void start_warmup(std::uint32_t balancer, std::uint32_t server);
  void warm_step(std::uint32_t balancer, std::uint32_t server, std::uint32_t gen);
  void probe(std::uint32_t balancer, std::uint32_t server);
  void probe_result(std::uint32_t balancer, std::uint32_t server, bool passed);
  /// Balancer `balancer` no longer sends new connections to crashed `server`: the crash may now be detected.
  void note_detection(std::uint32_t balancer, std::uint32_t server);
  void load_report();

  FleetState& st_;
  std::uint32_t self_ = 0;
  std::vector<BalancerNode> nodes_;
  std::uint32_t per_site_ = 1;                            ///< balancers per site (balancer.count)
  std::vector<std::vector<std::uint32_t>> resolvable_;    ///< per site: balancers clients reach by DNS now
  std::vector<int> tried_;                                ///< backends already tried for the connection being routed
  sim::SimTime probe_interval_ = 0, probe_timeout_ = 0, fail_timeout_ = 0, failover_ = 0, load_interval_ = 0;
  sim::SimTime last_load_report_ = 0;
  sim::Rng rng_probes_;
  std::optional<HaproxyBackend> haproxy_;  ///< set for an HAProxy preset
  std::optional<EnvoyOutlier> envoy_;      ///< set for an Envoy preset
  /// HAProxy: attempts waiting for a retry's turn-around, by client.
  struct RetryWait {
    std::uint32_t server = 0;         ///< the server it failed on
    std::uint32_t conn_retries = 0;   ///< retries spent
    bool redispatch = false;          ///< the retry goes to another server
    bool direct = false;              ///< the stream was directed by persistence
  };
  std::unordered_map<std::uint32_t, RetryWait> retry_waits_;
  sim::SimTime connect_timeout_ = 0;  ///< balancer.connect_timeout_s (HAProxy: timeout_connect), ns; 0 = L4 forwarding
  /// Attempts waiting for the balancer's connect to a server that does not answer, by client.
  struct ConnectWait {
    std::uint32_t balancer = 0, server = 0, worker = 0;
    sim::SimTime since = 0;              ///< its first SYN
    sim::SimTime timeout_at = 0;         ///< its connect timeout
    sim::SimTime next_syn = -1;          ///< its next SYN retransmission (-1: none before the timeout)
    std::uint8_t syns = 1;               ///< SYNs sent (the first and the retransmissions)
    std::uint32_t tries_left = 0;        ///< generic: tries after this one
    std::uint32_t conn_retries = 0;      ///< HAProxy: retries spent before this connect
    bool direct = false;                 ///< HAProxy: directed by persistence
    std::vector<int> tried;              ///< generic: backends tried before it
  };
  std::unordered_map<std::uint32_t, ConnectWait> connect_waits_;
  std::uint64_t connect_holds_ = 0, connect_timeouts_ = 0, connect_abandoned_ = 0, connect_cut_ = 0;
  std::uint64_t connect_completed_ = 0;  ///< a SYN retransmitted after the partition healed was answered
};

}  // namespace wsfleet::models
