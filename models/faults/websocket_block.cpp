// type = "websocket_block": WebSocket breaks for a share of the clients (a proxy or network that
// blocks the upgrade); they fall back to long polling until their next session after it ends.
#include <stdexcept>

#include "models/faults/fault_type.hpp"
#include "models/transport/fallback_transports.hpp"

namespace wsfleet::models {
namespace {

class WebSocketBlock final : public FaultType {
 public:
  std::string_view name() const override { return "websocket_block"; }
  std::string_view description() const override {
    return "WebSocket breaks for a share of the clients: they fall back to long polling";
  }
  std::string_view target_key() const override { return "share"; }
  FaultTarget target() const override { return FaultTarget::WebSocketBlock; }
  std::string_view outcome_target() const override { return "websocket_block"; }
  void prepare(const FleetState&, const CrashFault& f, FaultOutcome& outcome) const override {
    if (!(f.share > 0.0 && f.share <= 1.0)) throw std::invalid_argument("faults: websocket_block share must be in (0, 1]");
    outcome.target = outcome_target();
    outcome.share = f.share;
  }
  void start(FleetState& state, std::uint32_t fault) const override { state.parts.transports->block(fault); }
  void end(FleetState& state, std::uint32_t fault) const override { state.parts.transports->unblock(fault); }
};

}  // namespace

const FaultType& websocket_block_fault() {
  static const WebSocketBlock type;
  return type;
}

}  // namespace wsfleet::models
