#pragma once
// [[deploys]] as a component: rolling deploys as the Kubernetes Deployment controller runs them
// (pkg/controller/deployment/rolling.go: maxSurge, maxUnavailable, readiness and minReadySeconds),
// blue/green switches and canaries, with the terminating servers' lifecycle: a deleted pod leaves
// the balancers at once (no new connections), runs its preStop hook, gets SIGTERM (then closes its
// connections at once, spreads the closes over the rest of the grace period, or ignores it) and is
// killed at the end of terminationGracePeriodSeconds (SIGKILL cuts whatever is left). Clients of a
// closed connection reconnect through their backoff; the deployer follows each of them until it is
// connected again (or gave up) and accounts for every connection it closed.
// Its random stream: "deployer.ready" (the readiness jitter of new servers).
#include <cstdint>
#include <string>
#include <vector>

#include "models/fleet/declared_series.hpp"
#include "models/fleet/fleet_state.hpp"
#include "sim/event_handler.hpp"
#include "sim/histogram.hpp"

namespace wsfleet::models {

/// The deploys of one run.
class Deployer : public sim::EventHandler {
 public:
  explicit Deployer(FleetState& state);
  void handle(const sim::Event& e) override;
  /// Schedules every deploy's start.
  void start();
  /// At the end of the run: the clients it closed that are connected again by now count as reconnected.
  void finish();

  /// A rollout is in progress (started, not yet complete).
  bool rolling_out() const { return active_ >= 0 && !runs_[static_cast<std::size_t>(active_)].complete; }

  /// The time-series columns it declares and writes (fleet rows, only with [[deploys]]).
  static std::vector<const timeseries::Column*> columns();
  /// Fills its cells of a fleet row and starts a new interval.
  void sample_fleet(timeseries::DeclaredSeries& row);

  /// Fills the summary's deploys.
  void summarise(RunSummary& summary) const;
  /// Adds its conservation checks: every connection it closed is reconnected, gave up or still out;
  /// `drained` (connections closed by draining servers) = those of [[scaling]] (or, under an
  /// autoscaler, of its scale-ins: `scaling_drained`) + those it closed.
  void conservation(RunSummary& summary, std::uint64_t scaling_drained) const;

  /// The server that holds slot `server` now: `server` itself, or, once a rollout has deleted it and
  /// started a new server in its place, that replacement (and so on through later rollouts). A
  /// Deployment's deleted servers and its new ones are paired in order: the first deleted with the
  /// first started, and so on. The faults that name a server hit this one (docs/operations.md).
  std::uint32_t holder_of_slot(std::uint32_t server) const;

  /// Per server: where it is in a deploy's life.
  enum class Phase : std::uint8_t { None, Old, Starting, Ready, Available, Terminating, Gone };

 private:
  enum Tag : std::uint32_t { kStart, kReady, kAvailable, kSigterm, kSpreadClose, kKill, kTick, kCanaryDone };
  /// One Deployment of a deploy: the whole fleet's, or one site's (deploys[].per_site), each rolled
  /// with its own maxSurge/maxUnavailable rounding.
  struct Unit {
    std::int32_t site = -1;              ///< its site (per-site Deployments), -1: the whole fleet
    std::uint32_t replicas = 0, surge = 0, unavailable = 0, target_new = 0;
    std::vector<std::uint32_t> old_rs;   ///< old servers still in the old ReplicaSet (not terminating)
    std::vector<std::uint32_t> new_rs;   ///< new servers started, in start order
    std::vector<std::uint32_t> deleted;  ///< old servers deleted, in deletion order (paired with new_rs)
    std::size_t paired = 0;              ///< deleted[i] is replaced by new_rs[i] for i < paired
    std::uint32_t new_available = 0;
    /// One fleet-wide Deployment over per-site autoscalers: per site, the replicas it had when the
    /// rollout started (its old servers and those its autoscaler was starting), which its new servers
    /// replace (empty otherwise).
    std::vector<std::uint32_t> quota;
    bool switched = false;               ///< blue/green: its green set took over
  };
  /// The runtime state of one deploy.
  struct Run {
    std::vector<Unit> units;             ///< its Deployments, all rolling at once
    std::uint32_t terminating = 0, next_slot = 0;
    bool started = false, complete = false, canary_held = false;
  };

  void begin(std::uint32_t d);
  void reconcile(std::uint32_t d);
  /// One Deployment's rolloutRolling (or blue/green), one sync after another until nothing changes.
  void reconcile_unit(std::uint32_t d, std::uint32_t u);
  void start_server(std::uint32_t d, std::uint32_t u);
  /// Records each deleted old server of a Deployment that has a started new one as replaced by it.
  void pair_replacements(Unit& unit);
  /// The site of a Deployment's next new server: its own; over per-site autoscalers, the site most
  /// missing (its quota less the new servers it has; ties: the first site); -1 otherwise.
  std::int32_t site_for_new(const Unit& unit) const;
  /// The old server a Deployment terminates next (an index in old_rs): the newest, from the site that
  /// has most servers over its quota for one Deployment over per-site autoscalers.
  std::size_t next_old(const Unit& unit) const;
  void ready(std::uint32_t server);
  void available(std::uint32_t server);
  void terminate(std::uint32_t d, std::uint32_t server);
  void sigterm(std::uint32_t server);
  void spread_close(std::uint32_t server);
  /// Closes every connection and handshake still on `server` and removes it from the fleet
  /// (`killed`: by SIGKILL at the end of the grace period).
  void remove_server(std::uint32_t server, bool killed);
  /// Closes client `c`'s connection or handshake on `server` (the caller has taken it off the member list).
  void close_client(std::uint32_t c, std::uint32_t server);
  /// Counts client `c`'s established connection on `server` as closed by its deploy and follows the
  /// client until it is connected again.
  void note_closed(std::uint32_t c, std::uint32_t server);
  void tick();
  void scan();
  void check_complete(std::uint32_t d);
  void ensure_ticking();
  bool busy() const;

  FleetState& st_;
  std::uint32_t self_ = 0;
  sim::Rng rng_ready_;
  std::vector<Run> runs_;
  std::vector<DeployOutcome> out_;
  std::vector<Phase> phase_;            ///< per server
  std::vector<std::uint32_t> deploy_of_;  ///< per server: the deploy that started or terminates it
  std::vector<std::uint32_t> unit_of_;    ///< per server: its Deployment in that deploy (Run::units)
  std::vector<std::uint32_t> replaced_by_;  ///< per server: the new server that took its slot, or kNone
  std::int32_t active_ = -1;            ///< the deploy in progress, -1 = none
  std::vector<std::uint32_t> queued_;   ///< deploys whose time came while another was in progress
  // Clients whose connection a deploy closed and that are not connected again yet.
  struct Pending {
    std::uint32_t client, deploy;
    sim::SimTime since;
  };
  std::vector<Pending> pending_;
  std::vector<std::uint32_t> pending_pos_;  ///< per client: index in pending_, or kNone
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;
  static constexpr sim::SimTime kTickNs = 100'000'000;  ///< the reconnection scan, 0.1 s
  bool ticking_ = false;
  std::uint32_t tick_count_ = 0;
  std::uint64_t retries_at_bin_ = 0;
  std::uint64_t interval_closed_ = 0;
  std::vector<sim::LogHistogram> reconnect_s_;  ///< per deploy
  std::vector<std::uint64_t> away_;             ///< per deploy: its clients in pending_
};

}  // namespace wsfleet::models
