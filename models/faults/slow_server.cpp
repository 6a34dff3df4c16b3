// type = "slow_server": a gray failure. One server keeps running and passing its health checks but
// does only 1/factor of its work per second (a noisy neighbour, CPU throttling, a failing disk
// stalling it): its handshakes, messages and probes wait, and it takes new connections all along.
#include <stdexcept>
#include <string>

#include "models/faults/fault_type.hpp"
#include "models/fleet/gray_failures.hpp"

namespace wsfleet::models {
namespace {

class SlowServer final : public FaultType {
 public:
  std::string_view name() const override { return "slow_server"; }
  std::string_view description() const override {
    return "a server runs at 1/factor of its CPU speed (still up, still taking connections) until recover_after_s";
  }
  std::string_view target_key() const override { return "server"; }
  FaultTarget target() const override { return FaultTarget::SlowServer; }
  std::string_view outcome_target() const override { return "slow_server"; }
  void prepare(const FleetState& state, const CrashFault& f, FaultOutcome& outcome) const override {
    if (f.server >= state.servers.size()) throw std::invalid_argument("faults: server index out of range");
    if (!(f.factor > 1.0)) throw std::invalid_argument("faults: slow_server factor must be > 1 (got " + std::to_string(f.factor) + ")");
    outcome.target = outcome_target();
    outcome.server = f.server;
  }
  void start(FleetState& state, std::uint32_t fault) const override {
    state.parts.gray->slow_start(fault);
    note_nothing_to_reconnect(state.faults[fault]);
  }
  void end(FleetState& state, std::uint32_t fault) const override { state.parts.gray->slow_end(fault); }
};

}  // namespace

const FaultType& slow_server_fault() {
  static const SlowServer type;
  return type;
}

}  // namespace wsfleet::models
