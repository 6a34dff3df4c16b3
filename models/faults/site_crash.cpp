// type = "site_crash": every server of one site dies at once (a power or network loss of the site).
#include <stdexcept>

#include "models/faults/fault_type.hpp"
#include "models/fleet/server_pool.hpp"

namespace wsfleet::models {
namespace {

class SiteCrash final : public FaultType {
 public:
  std::string_view name() const override { return "site_crash"; }
  std::string_view description() const override { return "every server of a site crashes; they restart after recover_after_s"; }
  std::string_view target_key() const override { return "site"; }
  FaultTarget target() const override { return FaultTarget::Site; }
  std::string_view outcome_target() const override { return "site"; }
  void prepare(const FleetState& state, const CrashFault& f, FaultOutcome& outcome) const override {
    prepare_site_target(state, f, outcome_target(), outcome);
  }
  void start(FleetState& state, std::uint32_t fault) const override {
    FaultState& f = state.faults[fault];
    const std::uint32_t site = f.outcome.server;
    for (std::uint32_t b = state.topo.first_server(site); b < state.topo.first_server(site + 1); ++b) state.parts.servers->crash(b, fault);
    note_nothing_to_reconnect(f);
  }
  void end(FleetState& state, std::uint32_t fault) const override {
    const std::uint32_t site = state.faults[fault].outcome.server;
    for (std::uint32_t b = state.topo.first_server(site); b < state.topo.first_server(site + 1); ++b) state.parts.servers->restart(b, fault);
  }
};

}  // namespace

const FaultType& site_crash_fault() {
  static const SiteCrash type;
  return type;
}

}  // namespace wsfleet::models
