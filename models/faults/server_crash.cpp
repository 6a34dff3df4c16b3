// type = "crash": one server's process dies; its connections drop, its clients reconnect elsewhere.
#include <stdexcept>

#include "models/faults/fault_type.hpp"
#include "models/fleet/server_pool.hpp"

namespace wsfleet::models {
namespace {

class ServerCrash final : public FaultType {
 public:
  std::string_view name() const override { return "crash"; }
  std::string_view description() const override { return "a server crashes: its connections drop; it restarts after recover_after_s"; }
  std::string_view target_key() const override { return "server"; }
  FaultTarget target() const override { return FaultTarget::Server; }
  std::string_view outcome_target() const override { return "server"; }
  void prepare(const FleetState& state, const CrashFault& f, FaultOutcome& outcome) const override {
    if (f.server >= state.servers.size()) throw std::invalid_argument("faults: server index out of range");
    outcome.target = outcome_target();
    outcome.server = f.server;
  }
  void start(FleetState& state, std::uint32_t fault) const override {
    FaultState& f = state.faults[fault];
    state.parts.servers->crash(f.outcome.server, fault);
    note_nothing_to_reconnect(f);
  }
  void end(FleetState& state, std::uint32_t fault) const override {
    state.parts.servers->restart(state.faults[fault].outcome.server, fault);
  }
};

}  // namespace

const FaultType& server_crash_fault() {
  static const ServerCrash type;
  return type;
}

}  // namespace wsfleet::models
