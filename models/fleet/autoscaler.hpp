#pragma once
// [autoscaler] as a component: a controller of models/autoscaling (the Kubernetes HPA, AWS target
// tracking, KEDA, step scaling) syncs every period, observes every server (its metric, its phase and
// readiness) and sets the replica count. A new server boots (boot and image pull: a distribution
// drawn from its own stream "autoscaler.provisioning"), then starts and passes its readiness probe
// `readiness_delay_s` later; only then does it join the balancers (which may still hold it back by
// their own health checks and slow start). A scale-in cancels booting servers first, then drains the
// newest ready ones: no new connections, and what they still hold is closed after drain_timeout_s
// (WebSocket close 1001): those clients reconnect through their backoff. Its events: sync, booted,
// ready, drain deadline. It accounts every decision and every server it launched, and the fleet's
// cost (the billed servers' cost_per_hour over time).
// With [[topology.sites]] it runs one controller per site (one HPA per cluster or region): each has
// its own policy object and bounds ([[autoscaler.sites]]), observes only its site's servers, and
// launches into its site's own slots (models::Topology's extra slots), which join that site's
// balancers. [[scaling]] entries are then scheduled actions: new bounds at their time (AWS scheduled
// scaling: below the new minimum it scales out to it, above the new maximum in to it, at once).
// A site's KEDA may take it to zero (the front door then sends its clients to the next site) and
// reads the site's own demand from outside (FleetState::home_attempts) to wake it; a [[deploys]]
// rollout takes each site's new servers from that site's slots (claim_slot(site)).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/autoscaling_policy.hpp"
#include "models/fleet/declared_series.hpp"
#include "models/fleet/fleet_state.hpp"
#include "sim/event_handler.hpp"

namespace wsfleet::models {

/// The autoscaler of one run (only with [autoscaler]).
class Autoscaler : public sim::EventHandler {
 public:
  explicit Autoscaler(FleetState& state);
  void handle(const sim::Event& e) override;
  /// Schedules the first sync (one period in: the first metric window is then complete).
  void start();

  /// Replicas asked for now: booting, starting and in service (draining ones excluded).
  std::uint32_t replicas() const { return booting_ + starting_ + in_service_; }
  /// Servers in service (ready, in the balancers; crashed ones included).
  std::uint32_t ready_replicas() const { return in_service_; }
  /// The fleet's cost per hour now: every billed server (booting, starting, in service, draining).
  double cost_rate_per_hour() const { return cost_rate_; }
  /// Connections its scale-in drain deadlines closed (counted as drained).
  std::uint64_t drained() const { return connections_closed_; }
  /// The last decision's desired count (summed over the sites' controllers).
  std::int32_t desired() const;
  /// A scheduled action ([[scaling]] entry `event` under [autoscaler]): the bounds of the site's
  /// controller (every site's when it names none) change now; replicas outside them go to the bound.
  void scheduled_action(std::uint32_t event);

  // A [[deploys]] rollout of the autoscaled fleet, as a Deployment under an HPA: the rollout replaces
  // the current replicas with new ones (models/fleet/deployer.hpp); the autoscaler holds its
  // decisions while it is in progress (its syncs still observe) and manages the new servers after.
  /// A rollout starts: the servers still booting or starting are cancelled (the new ReplicaSet will
  /// supply them); returns how many, which the rollout adds to the servers it replaces.
  /// `by_site` (when given) receives how many were cancelled per controller (per site, in site order).
  std::uint32_t hand_over(std::vector<std::uint32_t>* by_site = nullptr);
  /// A free server slot for a rollout's new server (billed from now, not yet a replica it counts); with
  /// per-site controllers, one of site `site`'s slots (site < 0: any).
  std::uint32_t claim_slot(std::int32_t site = -1);
  /// One controller per [[topology.sites]] site.
  bool per_site() const { return !groups_.front().site.empty(); }
  /// The rollout's new server `b` is available: a replica in service from now.
  void adopt(std::uint32_t b);
  /// The rollout terminates server `b`: no longer a replica (billed until gone).
  void release(std::uint32_t b);
  /// Server `b`, released, has left the fleet.
  void gone(std::uint32_t b);

  /// The time-series columns it declares and writes (fleet rows, only with [autoscaler]).
  static std::vector<const timeseries::Column*> columns();
  /// Fills its cells of a fleet row with their values now.
  void sample_fleet(timeseries::DeclaredSeries& row) const;

  void summarise(RunSummary& summary) const;
  void conservation(RunSummary& summary) const;

 private:
  enum Tag : std::uint32_t { kSync, kBooted, kReady, kDrainDeadline };
  // Deploying: a rollout's new server before it is available; Terminating: an old server a rollout
  // terminates (both billed, neither a replica it counts).
  enum class Phase : std::uint8_t { Unmanaged, Booting, Starting, InService, Draining, Removed, Deploying, Terminating };
  struct Slot {
    Phase phase = Phase::Unmanaged;
    std::uint32_t gen = 0;            ///< bumped when a pending timer of the slot becomes stale
    sim::SimTime running_since = 0;   ///< container start, ns
    sim::SimTime ready_at = 0;        ///< readiness (joined the balancers), ns
    sim::SimTime launched_at = 0;     ///< the decision that asked for it, ns
  };
  static std::uint64_t pack(std::uint32_t slot, std::uint32_t gen) { return (static_cast<std::uint64_t>(gen) << 32) | slot; }
  /// One controller: the whole fleet, or one site's servers [first, end).
  struct Group {
    std::string site;                          ///< "" without sites
    std::uint32_t site_index = 0;              ///< its [[topology.sites]] index (with sites)
    std::uint64_t home_attempts_at_sync = 0;   ///< FleetState::home_attempts of its site at the previous sync
    std::unique_ptr<AutoscalingPolicy> policy;
    std::uint32_t first = 0, end = 0;
    std::uint32_t booting = 0, starting = 0, in_service = 0;
    std::int32_t last_desired = 0;
    std::uint64_t decisions = 0, ups = 0, downs = 0, no_changes = 0, launched = 0, drains = 0;
    std::uint32_t peak = 0, low = 0;
    std::uint32_t replicas() const { return booting + starting + in_service; }
  };

  Group& group_of(std::uint32_t server);
  void sync();
  AutoscalingInput observe(Group& g, sim::SimTime now);
  void decide(Group& g, const AutoscalingInput& input, sim::SimTime now);
  void scale_up(Group& g, std::uint32_t count);
  void scale_down(Group& g, std::uint32_t count);
  void booted(std::uint32_t slot);
  void ready(std::uint32_t slot);
  void drain_deadline(std::uint32_t slot);
  void set_phase(std::uint32_t slot, Phase phase);
  void accrue();

  FleetState& st_;
  std::uint32_t self_ = 0;
  std::vector<Group> groups_;               ///< one, or one per site (site order)
  sim::Rng rng_provisioning_;
  sim::SimTime period_ = 0, readiness_delay_ = 0, drain_timeout_ = 0;
  std::vector<Slot> slots_;                 ///< per server index
  std::vector<sim::SimTime> last_busy_;     ///< per server: CPU busy ns at the previous sync
  std::uint32_t booting_ = 0, starting_ = 0, in_service_ = 0, draining_ = 0;
  std::uint64_t scheduled_actions_ = 0, scheduled_launched_ = 0, scheduled_drains_ = 0;
  // Accounting.
  std::uint64_t decisions_ = 0, ups_ = 0, downs_ = 0, no_changes_ = 0, limited_ = 0, without_metrics_ = 0;
  std::uint64_t initial_ = 0, launched_ = 0, became_ready_ = 0, cancelled_ = 0, drains_started_ = 0, drains_done_ = 0;
  std::uint64_t no_free_slot_ = 0, connections_closed_ = 0;
  std::uint64_t held_syncs_ = 0, handed_over_ = 0, claimed_ = 0, adopted_ = 0, released_ = 0, gone_ = 0;
  std::uint32_t deploying_ = 0, terminating_ = 0;
  std::uint64_t attempts_at_last_sync_ = 0;  ///< the fleet's connection attempts at the previous sync
  std::uint32_t peak_replicas_ = 0, low_replicas_ = 0;
  double cost_rate_ = 0.0, cost_ = 0.0, server_hours_ = 0.0, billed_ = 0.0;
  sim::SimTime accrued_at_ = 0;
  double ready_delay_sum_s_ = 0.0;          ///< launch to ready, summed over the servers that became ready
  double first_scale_up_s_ = -1.0;
};

}  // namespace wsfleet::models
