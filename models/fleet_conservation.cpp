// The end-of-run conservation checks of a fleet run: every connection attempt, connection, close,
// message, heartbeat, slot, client and poll is accounted for; pub/sub adds its own.
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "models/fleet.hpp"
#include "models/pubsub/pubsub.hpp"
#include "models/transport/fallback_transports.hpp"

namespace wsfleet::models {

void Fleet::check_conservation(RunSummary& summary) const {
  auto check = [&](std::string name, std::string eq, std::uint64_t lhs, const std::vector<std::uint64_t>& rhs) {
    add_conservation_check(summary, std::move(name), std::move(eq), lhs, rhs);
  };
  const auto& k = summary.connections;
  check("attempts", "attempted = established + rejected + failed + pending_at_end", k.attempted,
        {k.established, k.rejected, k.failed, k.pending_at_end});
  check("connections", "established = active_at_end + closed", k.established, {k.active_at_end, k.closed});
  check("closes",
        "closed = ended + dropped + drained + vanished + idle_cut + idle_closed + rebalanced + slow_consumer + session_unknown + poll_failed",
        k.closed,
        {k.ended, k.dropped, k.drained, k.vanished, k.idle_cut, k.idle_closed, k.rebalanced, k.slow_consumer, k.session_unknown,
         k.poll_failed});
  check("rejections", "rejected = rejected_server_full + no_backend + rejected_rate_limited + rejected_shed", k.rejected,
        {k.rejected_server_full, k.no_backend, k.rejected_rate_limited, k.rejected_shed});
  check("failures",
        "failed = failed_timeout + failed_backend_down + failed_source_ports + failed_balancer_down + failed_crash",
        k.failed, {k.failed_timeout, k.failed_backend_down, k.failed_source_ports, k.failed_balancer_down, k.failed_crash});
  std::uint64_t slots = 0, server_connected = 0, tracked = 0, ghosts = 0;
  for (const auto& srv : st_.servers) {
    slots += srv.members.size() + srv.ghosts;
    server_connected += srv.connected;
    tracked += srv.cpu.tracked_pending();
    ghosts += srv.ghosts;
  }
  check("messages", "sent = delivered + dropped + in_flight_at_end", summary.messages.sent,
        {summary.messages.delivered, summary.messages.dropped, summary.messages.in_flight_at_end});
  check("heartbeats", "sent = delivered + dropped + in_flight_at_end", summary.heartbeats.sent,
        {summary.heartbeats.delivered, summary.heartbeats.dropped, summary.heartbeats.in_flight_at_end});
  check("queued work", "jobs in server queues = messages in flight + heartbeats in flight", tracked,
        {summary.messages.in_flight_at_end, summary.heartbeats.in_flight_at_end});
  check("server slots", "slots held on servers = active_at_end + pending_at_end + half_open_at_end", slots,
        {k.active_at_end, k.pending_at_end, ghosts});
  check("server connections", "connections counted by servers = active_at_end", server_connected, {k.active_at_end});
  std::uint64_t census[6] = {0, 0, 0, 0, 0, 0};
  for (const auto& c : st_.clients) ++census[static_cast<int>(c.state)];
  check("clients", "clients = not_arrived + connecting + connected + waiting + left + gave_up", st_.clients.size(),
        {census[0], census[1], census[2], census[3], census[4], census[5]});
  check("waiting", "clients in backoff = waiting_at_end", census[3], {k.waiting_at_end});
  std::uint64_t lb_conns = 0;
  for (const auto& node : balancers_->nodes()) {
    for (const auto& b : node.lb->backends()) lb_conns += static_cast<std::uint64_t>(b.active_connections);
  }
  check("balancer", "connections the balancers count = active_at_end + pending_at_end + half_open_at_end", lb_conns,
        {k.active_at_end, k.pending_at_end, ghosts});
  const TransportOutcome& tr = summary.transport;
  check("transports", "active_at_end = websocket + long_polling + sse (at end)", k.active_at_end,
        {tr.at_end.websocket, tr.at_end.long_polling, tr.at_end.sse});
  check("polls", "polls sent = answered_with_data + timed_out + failed + in_flight_at_end", tr.polls.sent,
        {tr.polls.answered_with_data, tr.polls.timed_out, tr.polls.failed, tr.polls.in_flight_at_end});
  check("poll failures", "failed = session_unknown + backend_down + no_backend + balancer_down + session_closed",
        tr.polls.failed,
        {tr.polls.failed_session_unknown, tr.polls.failed_backend_down, tr.polls.failed_no_backend,
         tr.polls.failed_balancer_down, tr.polls.failed_session_closed});
  check("held polls", "polls held by servers = in_flight_at_end", transports_ ? transports_->held_polls() : 0,
        {tr.polls.in_flight_at_end});
  if (pubsub_) pubsub_->conservation(summary);
  std::ostringstream broken;
  for (const auto& c : summary.conservation) {
    if (!c.ok) broken << "\n  " << c.name << ": " << c.equation << " does not hold: " << c.values;
  }
  if (!broken.str().empty()) throw ConservationError("conservation check failed (a bug in wsfleet):" + broken.str());
}

}  // namespace wsfleet::models
