// type = "handshake_blackhole": a gray failure. One server accepts TCP connections (its listen
// socket and health checks answer) but never completes a WebSocket handshake (a wedged worker, an
// auth backend that never answers): every client sent to it waits for its connect timeout and
// retries; its established connections carry on.
#include <stdexcept>

#include "models/faults/fault_type.hpp"

namespace wsfleet::models {
namespace {

class HandshakeBlackhole final : public FaultType {
 public:
  std::string_view name() const override { return "handshake_blackhole"; }
  std::string_view description() const override {
    return "a server accepts connections but never completes a handshake (clients time out) until recover_after_s";
  }
  std::string_view target_key() const override { return "server"; }
  FaultTarget target() const override { return FaultTarget::HandshakeBlackhole; }
  std::string_view outcome_target() const override { return "handshake_blackhole"; }
  void prepare(const FleetState& state, const CrashFault& f, FaultOutcome& outcome) const override {
    if (f.server >= state.servers.size()) throw std::invalid_argument("faults: server index out of range");
    outcome.target = outcome_target();
    outcome.server = f.server;
  }
  void start(FleetState& state, std::uint32_t fault) const override {
    state.servers[state.faults[fault].outcome.server].blackhole = true;
    note_nothing_to_reconnect(state.faults[fault]);
  }
  void end(FleetState& state, std::uint32_t fault) const override {
    state.servers[state.faults[fault].outcome.server].blackhole = false;
  }
};

}  // namespace

const FaultType& handshake_blackhole_fault() {
  static const HandshakeBlackhole type;
  return type;
}

}  // namespace wsfleet::models
