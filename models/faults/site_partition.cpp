// type = "site_partition": a network partition between a site's balancers and its servers. The
// balancers still answer (clients resolve and reach them), the servers are unreachable: every
// established connection through the site dies (its clients reconnect), a new connection sent there
// waits for the balancer's own connect to the server, which gets no answer: the balancer frees its
// slot at its connect timeout and tries the next server or answers the client with an error
// (BalancerTier, balancer.connect_timeout_s; an L4 forwarder: the client's own connect timeout),
// and the balancers' health probes fail, so after
// `fall` probes they take the servers out and the site has nothing to offer: its clients go to the
// next nearest site (docs/balancer.md). The servers themselves keep running; when the partition
// heals, the probes pass again and the site takes connections once more.
#include <stdexcept>
#include <vector>

#include "models/faults/fault_type.hpp"
#include "models/fleet/connections.hpp"

namespace wsfleet::models {
namespace {

class SitePartition final : public FaultType {
 public:
  std::string_view name() const override { return "site_partition"; }
  std::string_view description() const override {
    return "a site's servers become unreachable behind its answering balancers (connections die, handshakes hang) until recover_after_s";
  }
  std::string_view target_key() const override { return "site"; }
  FaultTarget target() const override { return FaultTarget::SitePartition; }
  std::string_view outcome_target() const override { return "site_partition"; }
  void prepare(const FleetState& state, const CrashFault& f, FaultOutcome& outcome) const override {
    prepare_site_target(state, f, outcome_target(), outcome);
  }
  void start(FleetState& state, std::uint32_t fault) const override {
    FaultState& f = state.faults[fault];
    const std::uint32_t site = f.outcome.server;
    for (std::uint32_t b = state.topo.first_server(site); b < state.topo.first_server(site + 1); ++b) {
      Server& s = state.servers[b];
      s.unreachable = true;      // the balancers' connects get no answer
      s.health_failing = true;   // probes from the balancers do not get through
      // Established connections and handshakes through the partition die; their clients reconnect.
      const std::vector<std::uint32_t> members = s.members;
      for (std::uint32_t c : members) state.parts.connections->cut_connection(c, fault, true);
    }
    note_nothing_to_reconnect(f);
  }
  void end(FleetState& state, std::uint32_t fault) const override {
    const std::uint32_t site = state.faults[fault].outcome.server;
    for (std::uint32_t b = state.topo.first_server(site); b < state.topo.first_server(site + 1); ++b) {
      state.servers[b].unreachable = false;
      state.servers[b].health_failing = false;
    }
  }
};

}  // namespace

const FaultType& site_partition_fault() {
  static const SitePartition type;
  return type;
}

}  // namespace wsfleet::models
