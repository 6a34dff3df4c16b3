// type = "dropped_messages": a gray failure. One server silently drops a share `loss` of the frames
// that reach it (data messages and heartbeat pings: an overloaded event loop that sheds reads, a
// buggy proxy sidecar, a full socket buffer dropped by a middlebox). Nothing is closed: a client
// sees no reply. A lost ping starts the sender's heartbeat timeout, which then closes the
// connection (counted as dropped by this fault); the client reconnects. Frames are decided in the
// server's time order from its own stream (GrayFailures::inbound).
#include <stdexcept>

#include "models/faults/fault_type.hpp"
#include "models/fleet/gray_failures.hpp"

namespace wsfleet::models {
namespace {

class DroppedMessages final : public FaultType {
 public:
  std::string_view name() const override { return "dropped_messages"; }
  std::string_view description() const override {
    return "a server silently drops a share `loss` of its inbound messages and heartbeats (clients time out) until recover_after_s";
  }
  std::string_view target_key() const override { return "server"; }
  FaultTarget target() const override { return FaultTarget::DroppedMessages; }
  std::string_view outcome_target() const override { return "dropped_messages"; }
  void prepare(const FleetState& state, const CrashFault& f, FaultOutcome& outcome) const override {
    if (f.server >= state.servers.size()) throw std::invalid_argument("faults: server index out of range");
    if (!(f.loss > 0.0 && f.loss <= 1.0)) throw std::invalid_argument("faults: dropped_messages loss must be > 0 and <= 1");
    outcome.target = outcome_target();
    outcome.server = f.server;
  }
  void start(FleetState& state, std::uint32_t fault) const override {
    state.parts.gray->frames_start(fault);
    note_nothing_to_reconnect(state.faults[fault]);
  }
  void end(FleetState& state, std::uint32_t fault) const override { state.parts.gray->frames_end(fault); }
};

}  // namespace

const FaultType& dropped_messages_fault() {
  static const DroppedMessages type;
  return type;
}

}  // namespace wsfleet::models
