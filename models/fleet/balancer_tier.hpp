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
#include <vector>

#include "models/balancer/balancer_node.hpp"
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
  std::int32_t tried = -1;         ///< a refusal's server: the one that refused it or the last tried (-1: none)
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
  /// Routes one HTTP request of client `c` (kept-alive upstream: no rate limit, no source port);
  /// on None, `server` is where it went.
  RequestFailure route_request(std::uint32_t c, std::uint32_t& server);
  /// The balancer stops counting a connection of `server` it proxied.
  void connection_closed(std::uint32_t balancer, std::uint32_t server) {
    BalancerNode& node = nodes_[balancer];
    node.lb->connection_closed(node.local(server));
  }

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
  enum Tag : std::uint32_t { kProbe, kProbeTimeout, kPassiveExpire, kWarmStep, kLoadReport, kFailover };
  // Timers carry (backend, balancer, generation) in their data.
  static std::uint64_t pack_backend(std::uint32_t balancer, std::uint32_t backend, std::uint32_t gen = 0) {
    return backend | (static_cast<std::uint64_t>(balancer) << 24) | (static_cast<std::uint64_t>(gen) << 32);
  }
  /// The balancers of the site holding `server`.
  std::span<BalancerNode> site_nodes_of(std::uint32_t server) {
    return {nodes_.data() + static_cast<std::size_t>(st_.topo.site_of(server)) * per_site_, per_site_};
  }
  std::uint32_t index_of(const BalancerNode& node) const { return static_cast<std::uint32_t>(&node - nodes_.data()); }
  std::uint32_t resolve(std::uint32_t c) const;
  bool site_in_service(std::uint32_t site) const;
  void rebuild_resolvable();
  /// A try to `server` failed: the policy's reaction and passive failure counting (NGINX max_fails).
  void try_failed(BalancerNode& node, std::uint32_t server);
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
};

}  // namespace wsfleet::models
