#include "models/fleet/fault_injector.hpp"

#include <stdexcept>

#include "models/fleet/deployer.hpp"

namespace wsfleet::models {

FaultInjector::FaultInjector(FleetState& state) : st_(state) {
  for (const CrashFault& configured : st_.cfg.faults) {
    const FaultType& type = fault_type(configured.target);
    // A server number counts the scenario's servers; with per-site autoscalers each site's slots
    // follow its own servers, so the number is mapped into its site (the outcome names the run's index).
    CrashFault f = configured;
    if (type.target_key() == "server") f.server = st_.topo.scenario_server(f.server);
    FaultState st;
    type.prepare(st_, f, st.outcome);
    st.outcome.at_s = f.at_s;
    st.outcome.recover_after_s = f.recover_after_s;
    st_.faults.push_back(st);
    types_.push_back(&type);
  }
  if (st_.faults.size() >= 0xFFFF) throw std::invalid_argument("too many faults (at most 65534)");
  self_ = st_.sim.add_handler(this);
}

void FaultInjector::start() {
  for (std::uint32_t i = 0; i < types_.size(); ++i) {
    const CrashFault& f = st_.cfg.faults[i];
    const sim::SimTime at = sim::from_seconds(f.at_s);
    if (at <= st_.end) st_.sim.schedule_at(at, self_, kStart, i);
    if (f.recover_after_s) {
      const sim::SimTime back = at + st_.duration(*f.recover_after_s);
      if (back <= st_.end) st_.sim.schedule_at(back, self_, kEnd, i);
    }
  }
}

void FaultInjector::handle(const sim::Event& e) {
  const auto fault = static_cast<std::uint32_t>(e.data);
  switch (e.tag) {
    case kStart:
      // A fault that names a server hits the server in that slot now: the original, or the server a
      // rollout started in its place (Deployer::holder_of_slot). Its outcome names the one hit.
      if (types_[fault]->target_key() == "server" && st_.parts.deployer) {
        FaultOutcome& hit = st_.faults[fault].outcome;
        hit.server = st_.parts.deployer->holder_of_slot(hit.server);
      }
      types_[fault]->start(st_, fault);
      return;
    case kEnd: types_[fault]->end(st_, fault); return;
    default: throw std::logic_error("FaultInjector: unknown event tag");
  }
}

}  // namespace wsfleet::models
