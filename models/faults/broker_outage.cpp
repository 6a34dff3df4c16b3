// type = "broker_outage": the pub/sub broker is down; publishing fails and what it held is lost.
#include <stdexcept>

#include "models/faults/fault_type.hpp"
#include "models/pubsub/pubsub.hpp"

namespace wsfleet::models {
namespace {

class BrokerOutage final : public FaultType {
 public:
  std::string_view name() const override { return "broker_outage"; }
  std::string_view description() const override {
    return "the pub/sub broker is down: publishing fails and what it held is lost (needs [pubsub])";
  }
  std::string_view target_key() const override { return ""; }
  FaultTarget target() const override { return FaultTarget::Broker; }
  std::string_view outcome_target() const override { return "broker"; }
  void prepare(const FleetState& state, const CrashFault&, FaultOutcome& outcome) const override {
    if (state.parts.pubsub == nullptr) throw std::invalid_argument("faults: a broker_outage needs [pubsub]");
    outcome.target = outcome_target();
  }
  void start(FleetState& state, std::uint32_t) const override { state.parts.pubsub->broker().go_down(state.sim.now()); }
  void end(FleetState& state, std::uint32_t) const override { state.parts.pubsub->broker().come_up(); }
};

}  // namespace

const FaultType& broker_outage_fault() {
  static const BrokerOutage type;
  return type;
}

}  // namespace wsfleet::models
