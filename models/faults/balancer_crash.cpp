// type = "balancer_crash": one balancer dies; every connection proxied through it drops, and DNS
// stops handing out its address balancer.failover_s later.
#include <stdexcept>

#include "models/faults/fault_type.hpp"
#include "models/fleet/balancer_tier.hpp"

namespace wsfleet::models {
namespace {

class BalancerCrash final : public FaultType {
 public:
  std::string_view name() const override { return "balancer_crash"; }
  std::string_view description() const override {
    return "a balancer crashes: its connections drop; DNS withdraws it after balancer.failover_s";
  }
  std::string_view target_key() const override { return "balancer"; }
  FaultTarget target() const override { return FaultTarget::Balancer; }
  std::string_view outcome_target() const override { return "balancer"; }
  void prepare(const FleetState& state, const CrashFault& f, FaultOutcome& outcome) const override {
    if (f.balancer >= state.parts.balancers->size()) throw std::invalid_argument("faults: balancer index out of range");
    outcome.target = outcome_target();
    outcome.server = f.balancer;
  }
  void start(FleetState& state, std::uint32_t fault) const override {
    FaultState& f = state.faults[fault];
    if (!state.parts.balancers->nodes()[f.outcome.server].up) return;  // already down
    state.parts.balancers->crash_balancer(f.outcome.server, fault);
    note_nothing_to_reconnect(f);
  }
  void end(FleetState& state, std::uint32_t fault) const override {
    state.parts.balancers->recover_balancer(state.faults[fault].outcome.server);
  }
};

}  // namespace

const FaultType& balancer_crash_fault() {
  static const BalancerCrash type;
  return type;
}

}  // namespace wsfleet::models
