// type = "health_flap": a gray failure. One server's health endpoint fails the first half of every
// period_s while the server itself serves on: the balancers' active probes take it out after `fall`
// failures and back in after `rise` passes (or never notice, when the failing half is shorter than
// fall x interval). Without active health checks nothing sees it.
#include <stdexcept>
#include <string>

#include "models/faults/fault_type.hpp"
#include "models/fleet/gray_failures.hpp"

namespace wsfleet::models {
namespace {

class HealthFlap final : public FaultType {
 public:
  std::string_view name() const override { return "health_flap"; }
  std::string_view description() const override {
    return "a server's health endpoint fails half of every period_s while it serves on, until recover_after_s";
  }
  std::string_view target_key() const override { return "server"; }
  FaultTarget target() const override { return FaultTarget::HealthFlap; }
  std::string_view outcome_target() const override { return "health_flap"; }
  void prepare(const FleetState& state, const CrashFault& f, FaultOutcome& outcome) const override {
    if (f.server >= state.servers.size()) throw std::invalid_argument("faults: server index out of range");
    if (!(f.period_s > 0.0)) throw std::invalid_argument("faults: health_flap period_s must be > 0 (got " + std::to_string(f.period_s) + ")");
    outcome.target = outcome_target();
    outcome.server = f.server;
  }
  void start(FleetState& state, std::uint32_t fault) const override {
    state.parts.gray->flap_start(fault);
    note_nothing_to_reconnect(state.faults[fault]);
  }
  void end(FleetState& state, std::uint32_t fault) const override { state.parts.gray->flap_end(fault); }
};

}  // namespace

const FaultType& health_flap_fault() {
  static const HealthFlap type;
  return type;
}

}  // namespace wsfleet::models
