// type = "link_down": a partition of the network between a region (or every region) and one site.
// The site's balancers and servers run on and keep passing their health checks; nothing from the
// cut-off clients crosses. New attempts through the link never complete (the client's connect
// timeout runs out, then it retries through its backoff, to the same nearest site: DNS does not
// know). Established connections stall, nothing closes them at once: their pings are lost, and
// heartbeat.timeout_s after the first lost ping the sender gives up on the connection (counted as
// dropped by this fault). A connection whose timeout runs out after the link came back survives
// (TCP's retransmission got through). Messages sent across the link while it is down are lost.
#include <stdexcept>

#include "models/faults/fault_type.hpp"
#include "models/fleet/gray_failures.hpp"

namespace wsfleet::models {
namespace {

class LinkDown final : public FaultType {
 public:
  std::string_view name() const override { return "link_down"; }
  std::string_view description() const override {
    return "the link from `region` (every region if left out) to a site is down: attempts time out, connections stall until their heartbeat timeout, until recover_after_s";
  }
  std::string_view target_key() const override { return "site"; }
  FaultTarget target() const override { return FaultTarget::LinkDown; }
  std::string_view outcome_target() const override { return "link_down"; }
  void prepare(const FleetState& state, const CrashFault& f, FaultOutcome& outcome) const override {
    prepare_site_target(state, f, outcome_target(), outcome);
    if (f.region.empty()) return;
    for (std::uint32_t r = 0; r < state.topo.regions(); ++r) {
      if (state.topo.region_name(r) == f.region) return;
    }
    throw std::invalid_argument("faults: unknown region '" + f.region + "'");
  }
  void start(FleetState& state, std::uint32_t fault) const override {
    state.parts.gray->frames_start(fault);
    note_nothing_to_reconnect(state.faults[fault]);
  }
  void end(FleetState& state, std::uint32_t fault) const override { state.parts.gray->frames_end(fault); }
};

}  // namespace

const FaultType& link_down_fault() {
  static const LinkDown type;
  return type;
}

}  // namespace wsfleet::models
