#include "models/fleet/connection_checks.hpp"

#include <string>
#include <utility>
#include <vector>

#include "models/fleet/summary_helpers.hpp"

namespace wsfleet::models {

void add_connection_checks(RunSummary& summary, const FleetState& st, std::uint64_t held_off_servers) {
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
  if (st.parts.opening) {
    check("failures",
          "failed = failed_timeout + failed_backend_down + failed_source_ports + failed_balancer_down + failed_crash + "
          "failed_session_unknown",
          k.failed,
          {k.failed_timeout, k.failed_backend_down, k.failed_source_ports, k.failed_balancer_down, k.failed_crash,
           k.failed_session_unknown});
  } else {
    check("failures",
          "failed = failed_timeout + failed_backend_down + failed_source_ports + failed_balancer_down + failed_crash",
          k.failed, {k.failed_timeout, k.failed_backend_down, k.failed_source_ports, k.failed_balancer_down, k.failed_crash});
  }
  std::uint64_t slots = held_off_servers, server_connected = 0, ghosts = 0;
  for (const auto& srv : st.servers) {
    slots += srv.members.size() + srv.ghosts;
    server_connected += srv.connected;
    ghosts += srv.ghosts;
  }
  check("server slots", "slots held on servers = active_at_end + pending_at_end + half_open_at_end", slots,
        {k.active_at_end, k.pending_at_end, ghosts});
  check("server connections", "connections counted by servers = active_at_end", server_connected, {k.active_at_end});
  std::uint64_t census[6] = {0, 0, 0, 0, 0, 0};
  for (const auto& c : st.clients) ++census[static_cast<int>(c.state)];
  check("clients", "clients = not_arrived + connecting + connected + waiting + left + gave_up", st.clients.size(),
        {census[0], census[1], census[2], census[3], census[4], census[5]});
  check("waiting", "clients in backoff = waiting_at_end", census[3], {k.waiting_at_end});
}

}  // namespace wsfleet::models
