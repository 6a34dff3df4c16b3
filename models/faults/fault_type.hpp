#pragma once
// A kind of fault ([[faults]] type = "..."), as a small plug-in: what it needs of the scenario, what
// its start and its end do to the fleet. One file per kind (models/faults/*.cpp); the registry
// (models/faults/registry.cpp) lists them. Faults the run causes itself (an out-of-memory kill) are
// not configured: the servers raise them (models/fleet/server_pool.cpp).
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "models/fleet/fleet_state.hpp"

namespace wsfleet::models {

/// One kind of fault.
class FaultType {
 public:
  virtual ~FaultType() = default;
  /// Its `type` in [[faults]].
  virtual std::string_view name() const = 0;
  /// What it does, in one line.
  virtual std::string_view description() const = 0;
  /// The [[faults]] key that says what it hits ("server", "balancer", "site", "share"), or "" (none).
  virtual std::string_view target_key() const = 0;
  /// The FaultTarget a scenario gives it.
  virtual FaultTarget target() const = 0;
  /// What its outcome names as hit (FaultOutcome::target: "server", "balancer", "site", "broker", ...).
  virtual std::string_view outcome_target() const = 0;
  /// Checks fault `f` against the built fleet and fills the identity of its outcome (target, index,
  /// site, share); throws std::invalid_argument naming the problem.
  virtual void prepare(const FleetState& state, const CrashFault& f, FaultOutcome& outcome) const = 0;
  /// Fault number `fault` starts.
  virtual void start(FleetState& state, std::uint32_t fault) const = 0;
  /// It ends (its recover_after_s has passed).
  virtual void end(FleetState& state, std::uint32_t fault) const = 0;
};

/// Every kind of fault, in the order `wsfleet list` shows them.
const std::vector<const FaultType*>& fault_types();
/// The kind of fault of a configured target.
const FaultType& fault_type(FaultTarget target);
/// The kind named `name` ([[faults]] type), or null.
const FaultType* find_fault_type(std::string_view name);
/// The kind whose outcome names `outcome_target`, or null (an out-of-memory kill is of no kind:
/// the run raises it).
const FaultType* fault_type_of_outcome(std::string_view outcome_target);

// The kinds (each defined in its own file).
const FaultType& server_crash_fault();
const FaultType& balancer_crash_fault();
const FaultType& site_crash_fault();
const FaultType& broker_outage_fault();
const FaultType& websocket_block_fault();
const FaultType& slow_server_fault();
const FaultType& handshake_blackhole_fault();
const FaultType& health_flap_fault();
const FaultType& link_degrade_fault();
const FaultType& site_partition_fault();
const FaultType& dropped_messages_fault();
const FaultType& link_loss_fault();
const FaultType& link_down_fault();

/// prepare() of the fault kinds aimed at a site (`f.site`): records the site, its index in
/// outcome.server; an unknown site is an error.
inline void prepare_site_target(const FleetState& state, const CrashFault& f, std::string_view target, FaultOutcome& outcome) {
  std::uint32_t site = 0;
  while (site < state.topo.sites() && state.topo.site_name(site) != f.site) ++site;
  if (site == state.topo.sites()) throw std::invalid_argument("faults: unknown site '" + f.site + "'");
  outcome.target = target;
  outcome.site = f.site;
  outcome.server = site;
}

/// A crash that cut no connection has nothing to reconnect: its recovery time is 0.
inline void note_nothing_to_reconnect(FaultState& f) {
  if (f.outstanding == 0) f.outcome.reconnected_within_s = 0.0;
}

}  // namespace wsfleet::models
