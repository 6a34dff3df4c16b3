#pragma once
// Connection attempts whose SYN a link that is down swallowed (a link_down fault between the client's
// region and its site): the balancer holds nothing. The client's kernel retransmits the SYN after
// TCP's initial timeout, doubling (Linux TCP_TIMEOUT_INIT 1 s, tcp_syn_retries 6: at +1, 3, 7, 15, 31
// and 63 s, ETIMEDOUT at +127 s; models/fleet/syn_retransmissions.hpp); the client's connect
// timeout ends it first when shorter. A retransmission after the link is back reaches the balancer,
// which routes it then, within the same attempt (Connections::routed). Its events (the
// retransmissions, the give-up) go to its own handler; no random stream.
#include <cstdint>
#include <vector>

#include "models/fleet/fleet_state.hpp"
#include "models/run_summary.hpp"
#include "sim/event_handler.hpp"
#include "sim/time.hpp"

namespace wsfleet::models {

struct Route;

/// The swallowed SYNs of one run.
class LinkDownSyns : public sim::EventHandler {
 public:
  /// Client::server while its SYN is swallowed by a link that is down.
  static constexpr std::int32_t kSynPending = -2;

  explicit LinkDownSyns(FleetState& state);

  void handle(const sim::Event& e) override;

  /// Client `c`'s SYN to the site `route` chose is swallowed by a link that is down: the attempt is
  /// held and its SYN retransmitted in time. `first`: the attempt's first SYN (its count starts
  /// again); else a retransmission that got through and was routed to a site whose link is down.
  void blocked(std::uint32_t c, const Route& route, bool first);
  /// Attempts pending whose SYN is swallowed now (they hold no balancer or server slot).
  std::uint64_t pending() const { return pending_; }
  /// Adds its conservation check per link_down fault: attempts_blocked = syn_timeouts +
  /// attempts_through_after_link_back + blocked_at_end.
  void conservation(RunSummary& summary) const;

 private:
  enum Tag : std::uint32_t { kRetry, kGiveUp };
  void schedule_next(std::uint32_t c);
  void retry(std::uint32_t c);
  void give_up(std::uint32_t c);
  void schedule(sim::SimTime t, Tag tag, std::uint32_t c);

  FleetState& st_;
  std::uint32_t self_ = 0;
  std::vector<std::uint32_t> fault_;  ///< per client (sized at the first swallowed SYN): that link_down fault
  std::vector<std::uint8_t> sent_;    ///< per client: SYNs sent in its attempt (the first, then retransmissions)
  std::vector<std::uint32_t> site_;   ///< per client: the site its SYN goes to
  std::uint64_t pending_ = 0;         ///< clients whose SYN is swallowed now
};

}  // namespace wsfleet::models
