// Connection attempts and connections, data messages, heartbeats and the handshake latency.
#include "experiments/summary/summary_rows.hpp"

namespace wsfleet::experiments::summary {

namespace {
using R = models::RunSummary;
using C = models::ConnectionCounts;
}  // namespace

void connection_rows(std::vector<Field>& table) {
  auto t = summary_rows(table);
  auto c = t.of(&R::connections);
  t.object("connections", "connection attempts and connections over the whole run");
  c.integer("connections.attempted", &C::attempted, "attempts", "connection attempts made (first tries and retries)");
  c.integer("connections.established", &C::established, "connections", "handshakes completed");
  c.integer("connections.rejected", &C::rejected, "attempts", "refused at once (the sum of rejected_by)");
  c.integer("connections.failed", &C::failed, "attempts", "failed (the sum of failed_by)");
  c.integer("connections.pending_at_end", &C::pending_at_end, "attempts", "handshakes still in progress at the end");
  c.integer("connections.closed", &C::closed, "connections", "established connections that ended");
  c.integer("connections.ended", &C::ended, "connections", "of closed, sessions the client ended");
  c.integer("connections.dropped", &C::dropped, "connections", "of closed, cut by a server or balancer crash");
  c.integer("connections.drained", &C::drained, "connections", "of closed, closed by a draining server at its deadline");
  c.integer("connections.vanished", &C::vanished, "connections", "of closed, whose network dropped silently (half-open on the server)");
  c.integer("connections.idle_cut", &C::idle_cut, "connections", "of closed, cut by the balancer's idle timeout");
  c.integer("connections.idle_closed", &C::idle_closed, "connections", "of closed, closed by the server's idle policy (fleet.idle_close_s)");
  c.integer("connections.rebalanced", &C::rebalanced, "connections", "of closed, closed by a server shedding its excess ([fleet.rebalance])");
  c.integer("connections.slow_consumer", &C::slow_consumer, "connections", "of closed, closed because the client read too slowly ([pubsub.buffer])");
  c.integer("connections.session_unknown", &C::session_unknown, "connections", "of closed, fallback sessions that reached a server without the session");
  c.integer("connections.poll_failed", &C::poll_failed, "connections", "of closed, fallback sessions whose poll or POST failed otherwise");
  c.integer("connections.active_at_end", &C::active_at_end, "connections", "established connections open at the end");
  c.integer("connections.retries", &C::retries, "attempts", "of attempted, made after a drop, rejection or failure");
  c.integer("connections.gave_up", &C::gave_up, "clients", "clients that exhausted their retries");
  c.integer("connections.waiting_at_end", &C::waiting_at_end, "clients", "clients sitting in backoff at the end");
  t.integer("connections.peak", &R::peak_connections, "connections", "most open connections fleet-wide at a sample time");
  t.integer("connections.peak_per_server", &R::peak_server_connections, "connections", "most open connections on one server at a sample time");
  t.object("connections.rejected_by", "why attempts were refused at once");
  c.integer("connections.rejected_by.server_full", &C::rejected_server_full, "attempts", "by a server at its connection limit");
  c.integer("connections.rejected_by.no_backend", &C::no_backend, "attempts", "no eligible backend at all (NGINX \"no live upstreams\")");
  c.integer("connections.rejected_by.rate_limited", &C::rejected_rate_limited, "attempts", "by a balancer over its new-connection rate");
  c.integer("connections.rejected_by.shed", &C::rejected_shed, "attempts", "by a server's admission control ([fleet.admission])");
  t.object("connections.failed_by", "why attempts failed");
  c.integer("connections.failed_by.timeout", &C::failed_timeout, "attempts", "handshake not done within clients.connect_timeout_s");
  c.integer("connections.failed_by.backend_down", &C::failed_backend_down, "attempts", "every try went to a backend that was down");
  c.integer("connections.failed_by.source_ports", &C::failed_source_ports, "attempts", "the balancer had no free source port");
  c.integer("connections.failed_by.balancer_down", &C::failed_balancer_down, "attempts", "the client's balancer was down");
  c.integer("connections.failed_by.crash", &C::failed_crash, "attempts", "cut by a crash or a drain deadline");
  // Only with a client library that sends requests before its WebSocket: other runs' summaries stay as they were.
  t.integer("connections.failed_by.session_unknown", [](const R& s) { return s.connections.failed_session_unknown; }, "attempts",
            "a request before the WebSocket, or its upgrade, reached a server without the session (with session_opening only)",
            [](const R& s) { return s.session_opening.enabled; });

  t.messages("messages", &R::messages, "messages", "data messages");
  t.latency("messages.latency_ms", &R::message_latency, "ms", "message latency: queueing and CPU on the server");
  t.messages("heartbeats", &R::heartbeats, "exchanges", "heartbeat (ping/pong) exchanges");
  using H = models::HeartbeatOutcome;
  auto h = t.of(&R::heartbeat);
  h.number("heartbeats.per_message", &H::frames_per_message, "exchanges/message", "heartbeat exchanges per data message (null without messages)");
  h.number("heartbeats.bytes", &H::bytes, "bytes", "heartbeat traffic (exchanges x heartbeat.frame_bytes)");
  h.integer("heartbeats.half_open_detected", &H::ghosts_detected, "connections", "half-open connections the servers found and closed");
  h.integer("heartbeats.half_open_at_end", &H::ghosts_at_end, "connections", "half-open connections still holding a slot at the end");
  h.latency("heartbeats.detection_s", &H::detection_s, "s", "from a silent drop to the server closing the connection", false);
}

void handshake_rows(std::vector<Field>& table) {
  summary_rows(table).latency("handshake_latency_ms", &models::RunSummary::handshake_latency, "ms",
                              "from a connection attempt to the handshake done");
}

}  // namespace wsfleet::experiments::summary
