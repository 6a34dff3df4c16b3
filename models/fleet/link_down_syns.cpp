#include "models/fleet/link_down_syns.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>

#include "models/fleet/balancer_tier.hpp"
#include "models/fleet/connections.hpp"
#include "models/fleet/gray_failures.hpp"
#include "models/fleet/summary_helpers.hpp"
#include "models/fleet/syn_retransmissions.hpp"

namespace wsfleet::models {

LinkDownSyns::LinkDownSyns(FleetState& state) : st_(state) { self_ = st_.sim.add_handler(this); }

void LinkDownSyns::schedule(sim::SimTime t, Tag tag, std::uint32_t c) {
  if (t > st_.end) return;  // would never fire inside the run
  st_.sim.schedule_at(t, self_, tag, FleetState::pack(c, st_.gens[c]));
}

void LinkDownSyns::handle(const sim::Event& e) {
  const auto c = static_cast<std::uint32_t>(e.data & 0xFFFFFFFFu);
  if (st_.gens[c] != static_cast<std::uint32_t>(e.data >> 32)) return;  // the attempt ended meanwhile
  switch (e.tag) {
    case kRetry: return retry(c);
    case kGiveUp: return give_up(c);
    default: throw std::logic_error("LinkDownSyns: unknown event tag");
  }
}

void LinkDownSyns::blocked(std::uint32_t c, const Route& route, bool first) {
  if (fault_.empty()) {
    fault_.assign(st_.clients.size(), 0);
    sent_.assign(st_.clients.size(), 0);
    site_.assign(st_.clients.size(), 0);
  }
  if (first) sent_[c] = 0;
  Client& cl = st_.clients[c];
  const std::int32_t fault = st_.parts.gray->down_fault(cl.region, route.site);
  if (fault < 0) throw std::logic_error("LinkDownSyns: a SYN blocked on a link that is up");
  cl.balancer = static_cast<std::uint8_t>(route.balancer);
  st_.parts.connections->hold(c, kSynPending, -1);  // its own retransmissions and give-up time it
  ++pending_;
  fault_[c] = static_cast<std::uint32_t>(fault);
  site_[c] = route.site;
  ++st_.faults[static_cast<std::size_t>(fault)].outcome.attempts_blocked;
  schedule_next(c);
}

void LinkDownSyns::schedule_next(std::uint32_t c) {
  const Client& cl = st_.clients[c];
  const std::uint8_t sent = ++sent_[c];
  const sim::SimTime give_up = std::min(st_.parts.connections->deadline(c), cl.attempt_at + kSynGiveUpAfter);
  if (const std::optional<sim::SimTime> next = next_syn_retransmission(cl.attempt_at, sent, give_up)) {
    schedule(*next, kRetry, c);
  } else {
    schedule(give_up, kGiveUp, c);
  }
}

void LinkDownSyns::retry(std::uint32_t c) {
  const Client& cl = st_.clients[c];
  const std::uint32_t fault = fault_[c];
  ++st_.faults[fault].outcome.syn_retransmissions;
  if (st_.parts.gray->down_fault(cl.region, site_[c]) >= 0) return schedule_next(c);  // lost again
  // The link is back: this SYN reaches the balancer, which routes it now (within the same attempt).
  ++st_.faults[fault].outcome.attempts_through_after_link_back;
  --pending_;
  Connections& connections = *st_.parts.connections;
  connections.unhold(c);
  const Route route = st_.parts.balancers->connect(c);
  connections.routed(c, route, connections.deadline(c));
}

void LinkDownSyns::give_up(std::uint32_t c) {
  // The connect timeout (or ETIMEDOUT) ends the attempt: nothing was held anywhere.
  ++st_.faults[fault_[c]].outcome.handshakes_failed;
  ++st_.faults[fault_[c]].outcome.syn_timeouts;
  --pending_;
  st_.parts.connections->unhold(c);
  st_.parts.connections->refuse(c, Refusal::Timeout);
}

void LinkDownSyns::conservation(RunSummary& summary) const {
  if (fault_.empty()) return;
  // Every attempt a link_down swallowed timed out, got through once the link was back, or still waits.
  std::vector<std::uint64_t> pending(st_.faults.size(), 0);
  for (std::uint32_t c = 0; c < st_.clients.size(); ++c) {
    const Client& cl = st_.clients[c];
    if (cl.state == ClientState::Connecting && cl.server == kSynPending) ++pending[fault_[c]];
  }
  for (std::size_t f = 0; f < st_.faults.size(); ++f) {
    const FaultOutcome& o = st_.faults[f].outcome;
    if (o.attempts_blocked == 0) continue;
    add_conservation_check(summary, "link_down_syn_" + std::to_string(f),
                           "attempts_blocked = syn_timeouts + attempts_through_after_link_back + blocked_at_end", o.attempts_blocked,
                           {o.syn_timeouts, o.attempts_through_after_link_back, pending[f]});
  }
}

}  // namespace wsfleet::models
