// type = "link_loss": a gray failure of the network. Every region's path to one site loses each
// packet with probability `loss`. TCP hides the loss behind retransmissions, as a real stack does
// (RFC 6298; Linux net/ipv4/tcp_input.c and tcp_timer.c): a lost SYN or SYN-ACK is sent again
// after the initial timeout of 1 s (TCP_TIMEOUT_INIT), a lost data packet after RTO = SRTT +
// max(200 ms, 4 RTTVAR) (tcp_rto_min), each timeout doubled for every further loss of the same
// packet (exponential backoff, capped at TCP_RTO_MAX = 120 s). A handshake (SYN, SYN-ACK, upgrade
// request, 101 response) takes that much longer and fails when it passes clients.connect_timeout_s;
// a heartbeat exchange (ping and pong) that takes past heartbeat.timeout_s closes its connection.
// Messages are not lost: the fault counts their retransmissions (GrayFailures::inbound).
#include <stdexcept>

#include "models/faults/fault_type.hpp"
#include "models/fleet/gray_failures.hpp"

namespace wsfleet::models {
namespace {

class LinkLoss final : public FaultType {
 public:
  std::string_view name() const override { return "link_loss"; }
  std::string_view description() const override {
    return "every region's path to a site loses packets with probability `loss` (TCP retransmits: slower handshakes, heartbeat timeouts) until recover_after_s";
  }
  std::string_view target_key() const override { return "site"; }
  FaultTarget target() const override { return FaultTarget::LinkLoss; }
  std::string_view outcome_target() const override { return "link_loss"; }
  void prepare(const FleetState& state, const CrashFault& f, FaultOutcome& outcome) const override {
    if (!(f.loss > 0.0 && f.loss < 1.0)) throw std::invalid_argument("faults: link_loss loss must be > 0 and < 1");
    prepare_site_target(state, f, outcome_target(), outcome);
  }
  void start(FleetState& state, std::uint32_t fault) const override {
    state.parts.gray->frames_start(fault);
    note_nothing_to_reconnect(state.faults[fault]);
  }
  void end(FleetState& state, std::uint32_t fault) const override { state.parts.gray->frames_end(fault); }
};

}  // namespace

const FaultType& link_loss_fault() {
  static const LinkLoss type;
  return type;
}

}  // namespace wsfleet::models
