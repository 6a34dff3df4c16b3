// type = "link_degrade": a gray failure of the network. Every client region's path to one site
// gets latency_ms slower (a congested or rerouted link): handshakes take longer (and time out when
// the round trip passes clients.connect_timeout_s), messages arrive later. Nothing is cut.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "models/faults/fault_type.hpp"

namespace wsfleet::models {
namespace {

std::uint32_t site_index(const FleetState& state, const std::string& name) {
  std::uint32_t site = 0;
  while (site < state.topo.sites() && state.topo.site_name(site) != name) ++site;
  if (site == state.topo.sites()) throw std::invalid_argument("faults: unknown site '" + name + "'");
  return site;
}

void shift(FleetState& state, std::uint32_t fault, double sign) {
  const std::uint32_t site = state.faults[fault].outcome.server;
  const double extra = sign * state.cfg.faults[fault].latency_ms * 1e6;  // ms -> ns
  for (std::uint32_t r = 0; r < state.topo.regions(); ++r) {
    double& l = state.latency_ns[static_cast<std::size_t>(r) * state.topo.sites() + site];
    l = std::max(0.0, l + extra);
  }
}

class LinkDegrade final : public FaultType {
 public:
  std::string_view name() const override { return "link_degrade"; }
  std::string_view description() const override {
    return "every region's path to a site is latency_ms slower (one way) until recover_after_s";
  }
  std::string_view target_key() const override { return "site"; }
  FaultTarget target() const override { return FaultTarget::LinkDegrade; }
  std::string_view outcome_target() const override { return "link_degrade"; }
  void prepare(const FleetState& state, const CrashFault& f, FaultOutcome& outcome) const override {
    if (!(f.latency_ms > 0.0)) throw std::invalid_argument("faults: link_degrade latency_ms must be > 0");
    outcome.target = outcome_target();
    outcome.site = f.site;
    outcome.server = site_index(state, f.site);
  }
  void start(FleetState& state, std::uint32_t fault) const override {
    shift(state, fault, 1.0);
    note_nothing_to_reconnect(state.faults[fault]);
  }
  void end(FleetState& state, std::uint32_t fault) const override { shift(state, fault, -1.0); }
};

}  // namespace

const FaultType& link_degrade_fault() {
  static const LinkDegrade type;
  return type;
}

}  // namespace wsfleet::models
