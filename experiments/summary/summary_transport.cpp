// Clients per transport, long polls and POSTs ([transport]); the HTTP requests a client library
// sends before its WebSocket (session_opening); pusher-js's raced fallback (pusher_fallback);
// SignalR's transport fallback (signalr_fallback).
#include "experiments/summary/summary_rows.hpp"

namespace wsfleet::experiments::summary {

namespace {

using R = models::RunSummary;

void transport(Rows<R>& t) {
  using T = models::TransportOutcome;
  using K = models::TransportClients;
  using P = models::PollCounts;
  auto tr = t.of(&R::transport);
  t.object("transport", "clients per transport, polls and POSTs ([transport])");
  for (const bool at_end : {true, false}) {
    const std::string at = at_end ? "transport.clients_at_end" : "transport.peak_clients";
    auto k = tr.of(at_end ? &T::at_end : &T::peak);
    t.object(at, at_end ? "connected clients per transport at the end" : "most connected clients per transport at a sample time");
    k.integer(at + ".websocket", &K::websocket, "clients", "on WebSocket");
    k.integer(at + ".long_polling", &K::long_polling, "clients", "on HTTP long polling");
    k.integer(at + ".sse", &K::sse, "clients", "on Server-Sent Events");
  }
  tr.number("transport.fallback_share_at_end", &T::fallback_share_at_end, "share", "of connected clients, those on a fallback transport at the end (null with none)");
  tr.number("transport.peak_fallback_share", &T::peak_fallback_share, "share", "highest share on a fallback transport at a sample time (null with none)");
  auto p = tr.of(&T::polls);
  t.object("transport.polls", "long-polling requests");
  p.integer("transport.polls.sent", &P::sent, "polls", "polls sent");
  p.integer("transport.polls.answered_with_data", &P::answered_with_data, "polls", "answered with messages");
  p.integer("transport.polls.timed_out", &P::timed_out, "polls", "answered empty at the poll timeout");
  p.integer("transport.polls.failed", &P::failed, "polls", "failed (the sum of failed_by)");
  p.integer("transport.polls.in_flight_at_end", &P::in_flight_at_end, "polls", "outstanding at the end");
  t.object("transport.polls.failed_by", "why polls failed");
  p.integer("transport.polls.failed_by.session_unknown", &P::failed_session_unknown, "polls", "reached a server without the session (\"Session ID unknown\")");
  p.integer("transport.polls.failed_by.backend_down", &P::failed_backend_down, "polls", "the backend was down");
  p.integer("transport.polls.failed_by.no_backend", &P::failed_no_backend, "polls", "no eligible backend");
  p.integer("transport.polls.failed_by.balancer_down", &P::failed_balancer_down, "polls", "the balancer was down");
  p.integer("transport.polls.failed_by.session_closed", &P::failed_session_closed, "polls", "the session was closed");
  t.object("transport.posts", "messages long-polling clients sent as POSTs");
  tr.integer("transport.posts.sent", &T::posts_sent, "requests", "POSTs sent");
  tr.integer("transport.posts.failed", &T::posts_failed, "requests", "POSTs that failed");
  tr.number("transport.http_bytes", &T::http_bytes, "bytes", "HTTP overhead of the fallback transports");
}

void session_opening(Rows<R>& t) {
  using O = models::SessionOpeningOutcome;
  auto o = t.of(&R::session_opening);
  t.object("session_opening",
           "HTTP requests the client library sends before each WebSocket (socketio: polling then upgrade; signalr: negotiate)",
           [](const R& s) { return s.session_opening.enabled; });
  o.text("session_opening.library", &O::library, "\"engine.io\" (handshake GET, CONNECT POST, two polls, then the upgrade) or \"signalr\" (POST /negotiate)");
  o.integer("session_opening.requests_per_open", &O::requests_per_open, "requests", "HTTP requests before the WebSocket handshake of an attempt whose requests all succeed");
  o.integer("session_opening.opens", &O::opens, "attempts", "attempts that started the sequence");
  o.integer("session_opening.straight_to_websocket", &O::straight_to_websocket, "attempts",
            "attempts with no request before the WebSocket (clients.remember_upgrade after a connection that upgraded)");
  t.object("session_opening.sequences", "how the sequences ended (opens = completed + failed + timed_out + in_flight_at_end)");
  o.integer("session_opening.sequences.completed", &O::sequences_completed, "attempts", "every request answered: the WebSocket followed the last reply");
  o.integer("session_opening.sequences.failed", &O::sequences_failed, "attempts", "ended by a failed request");
  o.integer("session_opening.sequences.timed_out", &O::sequences_timed_out, "attempts", "still running at the attempt's timeout");
  o.integer("session_opening.sequences.in_flight_at_end", &O::sequences_in_flight_at_end, "attempts", "still running at the end");
  t.object("session_opening.requests", "the HTTP requests before the WebSocket");
  o.integer("session_opening.requests.sent", &O::requests_sent, "requests", "reached a balancer (= answered + failed)");
  o.integer("session_opening.requests.answered", &O::requests_answered, "requests", "answered by the server holding (or opening) the session");
  o.integer("session_opening.requests.failed", &O::requests_failed, "requests", "failed (the sum of failed_by); each ends its attempt");
  t.object("session_opening.requests.failed_by", "why requests failed");
  o.integer("session_opening.requests.failed_by.session_unknown", &O::failed_session_unknown, "requests", "reached a server without the session (HTTP 400 \"Session ID unknown\")");
  o.integer("session_opening.requests.failed_by.backend_down", &O::failed_backend_down, "requests", "routed to a server that was down");
  o.integer("session_opening.requests.failed_by.no_backend", &O::failed_no_backend, "requests", "no eligible backend");
  o.integer("session_opening.requests.failed_by.balancer_down", &O::failed_balancer_down, "requests", "the client's balancer was down");
  t.object("session_opening.upgrades", "WebSocket handshakes after a complete sequence");
  o.integer("session_opening.upgrades.reached_a_server", &O::upgrades, "requests", "routed to a server");
  o.integer("session_opening.upgrades.session_unknown", &O::upgrades_session_unknown, "requests", "of those, on a server without the session (engine.io 400, SignalR 404)");
  o.number("session_opening.cpu_seconds", &O::cpu_seconds, "core-s", "CPU the requests and the failed upgrades cost (transport.long_polling.request_us each)");
  o.number("session_opening.http_bytes", &O::http_bytes, "bytes", "HTTP overhead of the requests (transport.long_polling.request_bytes each)");
}

void pusher_fallback(Rows<R>& t) {
  using O = models::PusherFallbackOutcome;
  auto o = t.of(&R::pusher_fallback);
  t.object("pusher_fallback", "pusher-js's HTTP fallback raced against the WebSocket, and its transport cache (clients.pusher_fallback)",
           [](const R& s) { return s.pusher_fallback.enabled; });
  o.text("pusher_fallback.transport", &O::transport, "the fallback: \"xhr_streaming\" (run as SSE) or \"xhr_polling\" (long polling)");
  t.object("pusher_fallback.won_by", "connections established, by the transport that connected first (= connections.established)");
  o.integer("pusher_fallback.won_by.websocket", &O::won_by_websocket, "connections", "over the WebSocket");
  o.integer("pusher_fallback.won_by.fallback", &O::won_by_fallback, "connections", "over the fallback transport");
  t.object("pusher_fallback.fallback", "fallback connects (started = refused + too_slow + lost + took_over)");
  o.integer("pusher_fallback.fallback.started", &O::fallback_started, "attempts", "started after the delay with the client not connected, or first from the cache");
  o.integer("pusher_fallback.fallback.refused", &O::fallback_refused, "attempts", "the balancer gave it no server");
  o.integer("pusher_fallback.fallback.too_slow", &O::fallback_too_slow, "attempts", "would not be done before the attempt's timeout");
  o.integer("pusher_fallback.fallback.lost", &O::fallback_lost, "attempts", "the WebSocket connected first: the fallback was closed");
  o.integer("pusher_fallback.fallback.took_over", &O::fallback_took_over, "attempts",
            "connected first (= won_by.fallback + failed_after_takeover + connecting_at_end)");
  o.integer("pusher_fallback.fallback.failed_after_takeover", &O::fallback_failed_after_takeover, "attempts", "its handshake was cut after it took over (a crash, a drain)");
  o.integer("pusher_fallback.fallback.connecting_at_end", &O::fallback_connecting_at_end, "attempts", "its handshake still running at the end");
  t.object("pusher_fallback.losers_closed", "connects the client closed because the other transport won");
  o.integer("pusher_fallback.losers_closed.websocket", &O::losers_closed_websocket, "attempts", "WebSocket handshakes still in flight when the fallback won");
  o.integer("pusher_fallback.losers_closed.fallback", &O::losers_closed_fallback, "attempts", "fallback connects (= fallback.lost)");
  t.object("pusher_fallback.cache", "the transport cache (localStorage, clients.pusher_transport_cache_ttl_s)");
  o.integer("pusher_fallback.cache.tried_websocket", &O::cached_websocket, "attempts", "attempts that tried the cached WebSocket first");
  o.integer("pusher_fallback.cache.tried_fallback", &O::cached_fallback, "attempts", "attempts that tried the cached fallback first");
  o.integer("pusher_fallback.cache.flushed", &O::cache_flushed, "attempts", "cached transports that failed their fail-fast try");
  o.integer("pusher_fallback.not_raced_held", &O::not_raced_held, "attempts", "fallbacks not started because the WebSocket waited at its balancer");
}

void signalr_fallback(Rows<R>& t) {
  using O = models::SignalRFallbackOutcome;
  using K = models::TransportClients;
  auto o = t.of(&R::signalr_fallback);
  t.object("signalr_fallback",
           "SignalR's transport fallback: after a transport fails to start, a new negotiate and the next allowed transport "
           "(backoff.policy = \"signalr\" unless clients.skip_negotiation or clients.signalr_transport = \"websockets\")",
           [](const R& s) { return s.signalr_fallback.enabled; });
  o.text("signalr_fallback.transports", &O::transports, "clients.signalr_transport: the transports the client allows, joined by |");
  t.object("signalr_fallback.starts",
           "transport connects started after their negotiate was answered (all = connections + fallbacks + exhausted + starting_at_end)");
  t.object("signalr_fallback.connections", "connections established, by transport (all = connections.established)");
  for (const bool starts : {true, false}) {
    const std::string at = starts ? "signalr_fallback.starts" : "signalr_fallback.connections";
    auto k = o.of(starts ? &O::starts : &O::connections);
    k.integer(at + ".websocket", &K::websocket, "attempts", "WebSocket");
    k.integer(at + ".long_polling", &K::long_polling, "attempts", "HTTP long polling");
    k.integer(at + ".sse", &K::sse, "attempts", "Server-Sent Events");
  }
  o.integer("signalr_fallback.fallbacks", &O::fallbacks, "attempts",
            "starts that failed with a transport left: the client negotiated again and started the next (= sum of fallbacks_by = "
            "sum of fallbacks_from; session_opening.opens = connections.attempted + fallbacks)");
  t.object("signalr_fallback.fallbacks_from", "the transport that failed");
  o.integer("signalr_fallback.fallbacks_from.websocket", &O::fallbacks_from_websocket, "attempts", "the WebSocket");
  o.integer("signalr_fallback.fallbacks_from.sse", &O::fallbacks_from_sse, "attempts", "Server-Sent Events");
  t.object("signalr_fallback.fallbacks_by", "why it failed");
  o.integer("signalr_fallback.fallbacks_by.blocked", &O::fallbacks_blocked, "attempts", "the WebSocket was blocked for the client (websocket_block)");
  o.integer("signalr_fallback.fallbacks_by.refused", &O::fallbacks_refused, "attempts",
            "refused or failed at the balancer or the server, or its handshake cut by a crash or a drain");
  o.integer("signalr_fallback.fallbacks_by.timed_out", &O::fallbacks_timed_out, "attempts", "not connected within the timeout");
  o.integer("signalr_fallback.fallbacks_by.session_unknown", &O::fallbacks_session_unknown, "attempts",
            "reached a server without the negotiated connection (404; counted in session_opening.upgrades.session_unknown)");
  o.integer("signalr_fallback.exhausted", &O::exhausted, "attempts", "starts of the last allowed transport that failed: start() failed (the attempt failed)");
  o.integer("signalr_fallback.starting_at_end", &O::starting_at_end, "attempts", "starts still connecting at the end");
}

}  // namespace

void transport_rows(std::vector<Field>& table) {
  auto t = summary_rows(table);
  transport(t);
  session_opening(t);
  pusher_fallback(t);
  signalr_fallback(t);
}

}  // namespace wsfleet::experiments::summary
