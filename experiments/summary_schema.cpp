#include "experiments/summary_schema.hpp"

#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace wsfleet::experiments::summary {

namespace {

using nlohmann::ordered_json;

constexpr Type I = Type::Integer, N = Type::Number, S = Type::String, B = Type::Boolean, O = Type::Object,
               A = Type::Array, M = Type::Map;

/// Builds the table; the helpers declare the shapes several sections share.
class Table {
 public:
  void add(std::string path, Type type, std::string unit, std::string doc, bool optional = false) {
    rows_.push_back({std::move(path), type, std::move(unit), std::move(doc), optional});
  }
  /// A latency distribution's percentiles (models::LatencyStats; stats_of in summary_helpers).
  void latency(const std::string& at, const std::string& unit, const std::string& doc, bool full = true) {
    add(at, O, "", doc);
    add(at + ".count", I, "samples", "samples in the distribution");
    add(at + ".mean", N, unit, "mean (null without samples)");
    add(at + ".p50", N, unit, "median (null without samples)");
    if (full) add(at + ".p90", N, unit, "90th percentile (null without samples)");
    add(at + ".p99", N, unit, "99th percentile (null without samples)");
    if (full) add(at + ".p999", N, unit, "99.9th percentile (null without samples)");
    add(at + ".max", N, unit, "largest sample (null without samples)");
  }
  /// Messages of one kind (models::MessageCounts).
  void messages(const std::string& at, const std::string& unit, const std::string& doc) {
    add(at, O, "", doc);
    add(at + ".sent", I, unit, "submitted to a server's CPU");
    add(at + ".delivered", I, unit, "processed by the end of the run");
    add(at + ".dropped", I, unit, "lost in a crashed server's queue");
    add(at + ".in_flight_at_end", I, unit, "still queued at the end");
  }
  std::vector<Field> rows_;
};

std::vector<Field> build() {
  Table t;
  t.add("wsfleet_version", S, "", "version of the wsfleet that wrote it");
  t.add("scenario", O, "", "the scenario's identity");
  t.add("scenario.name", S, "", "scenario.name");
  t.add("scenario.description", S, "", "scenario.description");
  t.add("seed", I, "", "run.seed");
  t.add("replication", I, "", "run.replication");
  t.add("simulated_seconds", N, "s", "simulated time at the end of the run");
  t.add("wall_seconds", N, "s", "host time the run took (differs between identical runs)");
  t.add("events_processed", I, "events", "events the simulator processed");
  t.add("events_per_second", N, "events/s", "events_processed / wall_seconds (differs between identical runs)");

  t.add("fleet", O, "", "the servers");
  t.add("fleet.servers", I, "servers", "servers at the start");
  t.add("fleet.total_servers", I, "servers", "server slots that ever existed ([[scaling]] additions, deploys' and the autoscaler's slots)");
  t.add("fleet.max_connections_per_server", I, "connections", "the largest of the classes' connection limits");
  t.add("fleet.balancer", S, "", "balancer.policy");
  t.add("fleet.backoff", S, "", "backoff.policy");
  t.add("fleet.cost_per_hour", N, "currency/h", "cost of the servers at the start per hour");
  t.add("fleet.connection_capacity", I, "connections", "the servers at the start x their class's connection limit");
  t.add("fleet.cpu_cores", I, "cores", "cores of the servers at the start");
  t.add("fleet.classes", A, "", "the server classes (one \"default\" class without [[fleet.classes]])");
  t.add("fleet.classes[]", O, "", "one server class");
  t.add("fleet.classes[].name", S, "", "the class's name");
  t.add("fleet.classes[].servers", I, "servers", "its servers at the start");
  t.add("fleet.classes[].total_servers", I, "servers", "its server slots that ever existed");
  t.add("fleet.classes[].max_connections", I, "connections", "connection limit of one server");
  t.add("fleet.classes[].cpu_cores", I, "cores", "cores of one server");
  t.add("fleet.classes[].base_memory_mib", N, "MiB", "memory of an idle server process");
  t.add("fleet.classes[].memory_per_connection_kib", N, "KiB", "resident memory per open connection");
  t.add("fleet.classes[].weight", N, "", "balancer weight of each server");
  t.add("fleet.classes[].cost_per_hour", N, "currency/h", "price of one server per hour");
  t.add("fleet.classes[].memory_limit_mib", N, "MiB", "a server above this memory is killed; 0 = no limit");
  t.add("fleet.classes[].cpu_capacity_us_per_s", N, "us/s", "CPU work one server does per second at full load, in [fleet.cpu]'s microseconds (cores x 1e6)");
  t.add("fleet.classes[].connection_capacity", I, "connections", "its servers at the start x max_connections");
  t.add("fleet.server_class", A, "", "per server slot (index = server number): its class's name");
  t.add("fleet.server_class[]", S, "", "a class's name");

  t.add("clients", O, "", "the client population");
  t.add("clients.count", I, "clients", "clients.count");

  t.add("connections", O, "", "connection attempts and connections over the whole run");
  t.add("connections.attempted", I, "attempts", "connection attempts made (first tries and retries)");
  t.add("connections.established", I, "connections", "handshakes completed");
  t.add("connections.rejected", I, "attempts", "refused at once (the sum of rejected_by)");
  t.add("connections.failed", I, "attempts", "failed (the sum of failed_by)");
  t.add("connections.pending_at_end", I, "attempts", "handshakes still in progress at the end");
  t.add("connections.closed", I, "connections", "established connections that ended");
  t.add("connections.ended", I, "connections", "of closed, sessions the client ended");
  t.add("connections.dropped", I, "connections", "of closed, cut by a server or balancer crash");
  t.add("connections.drained", I, "connections", "of closed, closed by a draining server at its deadline");
  t.add("connections.vanished", I, "connections", "of closed, whose network dropped silently (half-open on the server)");
  t.add("connections.idle_cut", I, "connections", "of closed, cut by the balancer's idle timeout");
  t.add("connections.idle_closed", I, "connections", "of closed, closed by the server's idle policy (fleet.idle_close_s)");
  t.add("connections.rebalanced", I, "connections", "of closed, closed by a server shedding its excess ([fleet.rebalance])");
  t.add("connections.slow_consumer", I, "connections", "of closed, closed because the client read too slowly ([pubsub.buffer])");
  t.add("connections.session_unknown", I, "connections", "of closed, fallback sessions that reached a server without the session");
  t.add("connections.poll_failed", I, "connections", "of closed, fallback sessions whose poll or POST failed otherwise");
  t.add("connections.active_at_end", I, "connections", "established connections open at the end");
  t.add("connections.retries", I, "attempts", "of attempted, made after a drop, rejection or failure");
  t.add("connections.gave_up", I, "clients", "clients that exhausted their retries");
  t.add("connections.waiting_at_end", I, "clients", "clients sitting in backoff at the end");
  t.add("connections.peak", I, "connections", "most open connections fleet-wide at a sample time");
  t.add("connections.peak_per_server", I, "connections", "most open connections on one server at a sample time");
  t.add("connections.rejected_by", O, "", "why attempts were refused at once");
  t.add("connections.rejected_by.server_full", I, "attempts", "by a server at its connection limit");
  t.add("connections.rejected_by.no_backend", I, "attempts", "no eligible backend at all (NGINX \"no live upstreams\")");
  t.add("connections.rejected_by.rate_limited", I, "attempts", "by a balancer over its new-connection rate");
  t.add("connections.rejected_by.shed", I, "attempts", "by a server's admission control ([fleet.admission])");
  t.add("connections.failed_by", O, "", "why attempts failed");
  t.add("connections.failed_by.timeout", I, "attempts", "handshake not done within clients.connect_timeout_s");
  t.add("connections.failed_by.backend_down", I, "attempts", "every try went to a backend that was down");
  t.add("connections.failed_by.source_ports", I, "attempts", "the balancer had no free source port");
  t.add("connections.failed_by.balancer_down", I, "attempts", "the client's balancer was down");
  t.add("connections.failed_by.crash", I, "attempts", "cut by a crash or a drain deadline");
  t.add("connections.failed_by.session_unknown", I, "attempts",
        "a request before the WebSocket, or its upgrade, reached a server without the session (with session_opening only)", true);

  t.messages("messages", "messages", "data messages");
  t.latency("messages.latency_ms", "ms", "message latency: queueing and CPU on the server");
  t.messages("heartbeats", "exchanges", "heartbeat (ping/pong) exchanges");
  t.add("heartbeats.per_message", N, "exchanges/message", "heartbeat exchanges per data message (null without messages)");
  t.add("heartbeats.bytes", N, "bytes", "heartbeat traffic (exchanges x heartbeat.frame_bytes)");
  t.add("heartbeats.half_open_detected", I, "connections", "half-open connections the servers found and closed");
  t.add("heartbeats.half_open_at_end", I, "connections", "half-open connections still holding a slot at the end");
  t.latency("heartbeats.detection_s", "s", "from a silent drop to the server closing the connection", false);

  t.add("transport", O, "", "clients per transport, polls and POSTs ([transport])");
  for (const char* which : {"clients_at_end", "peak_clients"}) {
    const std::string at = std::string("transport.") + which;
    t.add(at, O, "", std::string(which) == "clients_at_end" ? "connected clients per transport at the end"
                                                            : "most connected clients per transport at a sample time");
    t.add(at + ".websocket", I, "clients", "on WebSocket");
    t.add(at + ".long_polling", I, "clients", "on HTTP long polling");
    t.add(at + ".sse", I, "clients", "on Server-Sent Events");
  }
  t.add("transport.fallback_share_at_end", N, "share", "of connected clients, those on a fallback transport at the end (null with none)");
  t.add("transport.peak_fallback_share", N, "share", "highest share on a fallback transport at a sample time (null with none)");
  t.add("transport.polls", O, "", "long-polling requests");
  t.add("transport.polls.sent", I, "polls", "polls sent");
  t.add("transport.polls.answered_with_data", I, "polls", "answered with messages");
  t.add("transport.polls.timed_out", I, "polls", "answered empty at the poll timeout");
  t.add("transport.polls.failed", I, "polls", "failed (the sum of failed_by)");
  t.add("transport.polls.in_flight_at_end", I, "polls", "outstanding at the end");
  t.add("transport.polls.failed_by", O, "", "why polls failed");
  t.add("transport.polls.failed_by.session_unknown", I, "polls", "reached a server without the session (\"Session ID unknown\")");
  t.add("transport.polls.failed_by.backend_down", I, "polls", "the backend was down");
  t.add("transport.polls.failed_by.no_backend", I, "polls", "no eligible backend");
  t.add("transport.polls.failed_by.balancer_down", I, "polls", "the balancer was down");
  t.add("transport.polls.failed_by.session_closed", I, "polls", "the session was closed");
  t.add("transport.posts", O, "", "messages long-polling clients sent as POSTs");
  t.add("transport.posts.sent", I, "requests", "POSTs sent");
  t.add("transport.posts.failed", I, "requests", "POSTs that failed");
  t.add("transport.http_bytes", N, "bytes", "HTTP overhead of the fallback transports");
  t.add("session_opening", O, "",
        "HTTP requests the client library sends before each WebSocket (socketio: polling then upgrade; signalr: negotiate)", true);
  t.add("session_opening.library", S, "", "\"engine.io\" (handshake GET, CONNECT POST, two polls, then the upgrade) or \"signalr\" (POST /negotiate)");
  t.add("session_opening.requests_per_open", I, "requests", "HTTP requests before the WebSocket handshake of an attempt whose requests all succeed");
  t.add("session_opening.opens", I, "attempts", "attempts that started the sequence");
  t.add("session_opening.straight_to_websocket", I, "attempts",
        "attempts with no request before the WebSocket (clients.remember_upgrade after a connection that upgraded)");
  t.add("session_opening.sequences", O, "", "how the sequences ended (opens = completed + failed + timed_out + in_flight_at_end)");
  t.add("session_opening.sequences.completed", I, "attempts", "every request answered: the WebSocket followed the last reply");
  t.add("session_opening.sequences.failed", I, "attempts", "ended by a failed request");
  t.add("session_opening.sequences.timed_out", I, "attempts", "still running at the attempt's timeout");
  t.add("session_opening.sequences.in_flight_at_end", I, "attempts", "still running at the end");
  t.add("session_opening.requests", O, "", "the HTTP requests before the WebSocket");
  t.add("session_opening.requests.sent", I, "requests", "reached a balancer (= answered + failed)");
  t.add("session_opening.requests.answered", I, "requests", "answered by the server holding (or opening) the session");
  t.add("session_opening.requests.failed", I, "requests", "failed (the sum of failed_by); each ends its attempt");
  t.add("session_opening.requests.failed_by", O, "", "why requests failed");
  t.add("session_opening.requests.failed_by.session_unknown", I, "requests", "reached a server without the session (HTTP 400 \"Session ID unknown\")");
  t.add("session_opening.requests.failed_by.backend_down", I, "requests", "routed to a server that was down");
  t.add("session_opening.requests.failed_by.no_backend", I, "requests", "no eligible backend");
  t.add("session_opening.requests.failed_by.balancer_down", I, "requests", "the client's balancer was down");
  t.add("session_opening.upgrades", O, "", "WebSocket handshakes after a complete sequence");
  t.add("session_opening.upgrades.reached_a_server", I, "requests", "routed to a server");
  t.add("session_opening.upgrades.session_unknown", I, "requests", "of those, on a server without the session (engine.io 400, SignalR 404)");
  t.add("session_opening.cpu_seconds", N, "core-s", "CPU the requests and the failed upgrades cost (transport.long_polling.request_us each)");
  t.add("session_opening.http_bytes", N, "bytes", "HTTP overhead of the requests (transport.long_polling.request_bytes each)");
  t.add("pusher_fallback", O, "",
        "pusher-js's HTTP fallback raced against the WebSocket, and its transport cache (clients.pusher_fallback)", true);
  t.add("pusher_fallback.transport", S, "", "the fallback: \"xhr_streaming\" (run as SSE) or \"xhr_polling\" (long polling)");
  t.add("pusher_fallback.won_by", O, "", "connections established, by the transport that connected first (= connections.established)");
  t.add("pusher_fallback.won_by.websocket", I, "connections", "over the WebSocket");
  t.add("pusher_fallback.won_by.fallback", I, "connections", "over the fallback transport");
  t.add("pusher_fallback.fallback", O, "", "fallback connects (started = refused + too_slow + lost + took_over)");
  t.add("pusher_fallback.fallback.started", I, "attempts", "started after the delay with the client not connected, or first from the cache");
  t.add("pusher_fallback.fallback.refused", I, "attempts", "the balancer gave it no server");
  t.add("pusher_fallback.fallback.too_slow", I, "attempts", "would not be done before the attempt's timeout");
  t.add("pusher_fallback.fallback.lost", I, "attempts", "the WebSocket connected first: the fallback was closed");
  t.add("pusher_fallback.fallback.took_over", I, "attempts",
        "connected first (= won_by.fallback + failed_after_takeover + connecting_at_end)");
  t.add("pusher_fallback.fallback.failed_after_takeover", I, "attempts", "its handshake was cut after it took over (a crash, a drain)");
  t.add("pusher_fallback.fallback.connecting_at_end", I, "attempts", "its handshake still running at the end");
  t.add("pusher_fallback.losers_closed", O, "", "connects the client closed because the other transport won");
  t.add("pusher_fallback.losers_closed.websocket", I, "attempts", "WebSocket handshakes still in flight when the fallback won");
  t.add("pusher_fallback.losers_closed.fallback", I, "attempts", "fallback connects (= fallback.lost)");
  t.add("pusher_fallback.cache", O, "", "the transport cache (localStorage, clients.pusher_transport_cache_ttl_s)");
  t.add("pusher_fallback.cache.tried_websocket", I, "attempts", "attempts that tried the cached WebSocket first");
  t.add("pusher_fallback.cache.tried_fallback", I, "attempts", "attempts that tried the cached fallback first");
  t.add("pusher_fallback.cache.flushed", I, "attempts", "cached transports that failed their fail-fast try");
  t.add("pusher_fallback.not_raced_held", I, "attempts", "fallbacks not started because the WebSocket waited at its balancer");
  t.add("signalr_fallback", O, "",
        "SignalR's transport fallback: after a transport fails to start, a new negotiate and the next allowed transport "
        "(backoff.policy = \"signalr\" unless clients.skip_negotiation or clients.signalr_transport = \"websockets\")", true);
  t.add("signalr_fallback.transports", S, "", "clients.signalr_transport: the transports the client allows, joined by |");
  t.add("signalr_fallback.starts", O, "",
        "transport connects started after their negotiate was answered (all = connections + fallbacks + exhausted + starting_at_end)");
  t.add("signalr_fallback.connections", O, "", "connections established, by transport (all = connections.established)");
  for (const char* k : {"starts", "connections"}) {
    const std::string at = std::string("signalr_fallback.") + k;
    t.add(at + ".websocket", I, "attempts", "WebSocket");
    t.add(at + ".long_polling", I, "attempts", "HTTP long polling");
    t.add(at + ".sse", I, "attempts", "Server-Sent Events");
  }
  t.add("signalr_fallback.fallbacks", I, "attempts",
        "starts that failed with a transport left: the client negotiated again and started the next (= sum of fallbacks_by = "
        "sum of fallbacks_from; session_opening.opens = connections.attempted + fallbacks)");
  t.add("signalr_fallback.fallbacks_from", O, "", "the transport that failed");
  t.add("signalr_fallback.fallbacks_from.websocket", I, "attempts", "the WebSocket");
  t.add("signalr_fallback.fallbacks_from.sse", I, "attempts", "Server-Sent Events");
  t.add("signalr_fallback.fallbacks_by", O, "", "why it failed");
  t.add("signalr_fallback.fallbacks_by.blocked", I, "attempts", "the WebSocket was blocked for the client (websocket_block)");
  t.add("signalr_fallback.fallbacks_by.refused", I, "attempts",
        "refused or failed at the balancer or the server, or its handshake cut by a crash or a drain");
  t.add("signalr_fallback.fallbacks_by.timed_out", I, "attempts", "not connected within the timeout");
  t.add("signalr_fallback.fallbacks_by.session_unknown", I, "attempts",
        "reached a server without the negotiated connection (404; counted in session_opening.upgrades.session_unknown)");
  t.add("signalr_fallback.exhausted", I, "attempts", "starts of the last allowed transport that failed: start() failed (the attempt failed)");
  t.add("signalr_fallback.starting_at_end", I, "attempts", "starts still connecting at the end");
  t.latency("handshake_latency_ms", "ms", "from a connection attempt to the handshake done");

  const bool opt = true;
  t.add("pubsub", O, "", "pub/sub ([pubsub] only)", opt);
  t.add("pubsub.publications", O, "", "publications (one per message published on a channel)");
  t.add("pubsub.publications.published", I, "publications", "accepted by the broker");
  t.add("pubsub.publications.from_feeds", I, "publications", "of published, by server-side feeds");
  t.add("pubsub.publications.from_clients", I, "publications", "of published, by clients");
  t.add("pubsub.publications.publish_failed", I, "publications", "refused because the broker was down");
  t.add("pubsub.publications.arrived", I, "publications", "of published, reached the servers");
  t.add("pubsub.publications.lost_in_broker", I, "publications", "of published, queued in the broker when it went down");
  t.add("pubsub.publications.in_broker_at_end", I, "publications", "of published, still on the way at the end");
  t.add("pubsub.fanouts", O, "", "server fan-outs (one per publication per receiving server)");
  t.add("pubsub.fanouts.dispatched", I, "fan-outs", "dispatched");
  t.add("pubsub.fanouts.done", I, "fan-outs", "processed");
  t.add("pubsub.fanouts.lost", I, "fan-outs", "in the queue of a server that crashed");
  t.add("pubsub.fanouts.pending_at_end", I, "fan-outs", "queued at the end");
  t.add("pubsub.copies", O, "", "copies (one per fan-out per subscribed connection)");
  t.add("pubsub.copies.created", I, "copies", "created");
  t.add("pubsub.copies.delivered", I, "copies", "written to the client");
  t.add("pubsub.copies.dropped_full", I, "copies", "dropped by the buffer limit (drop_newest, uws)");
  t.add("pubsub.copies.dropped_oldest", I, "copies", "dropped from the buffer to make room (drop_oldest)");
  t.add("pubsub.copies.dropped_volatile", I, "copies", "volatile messages dropped while the connection was busy");
  t.add("pubsub.copies.conflated", I, "copies", "replaced in the buffer by a newer message on the channel");
  t.add("pubsub.copies.discarded", I, "copies", "unsent when the connection closed");
  t.add("pubsub.copies.buffered_at_end", I, "copies", "still in send buffers at the end");
  t.add("pubsub.copies.bytes_delivered", N, "bytes", "bytes written to clients");
  t.latency("pubsub.latency_ms", "ms", "publish to written to the client (broker, server queue, buffer, network)");
  t.add("pubsub.slow_consumers", O, "", "what slow readers cost");
  t.add("pubsub.slow_consumers.closed", I, "connections", "closed because the client read too slowly");
  t.add("pubsub.slow_consumers.memory_crashes", I, "servers", "servers killed for memory (fleet.memory_limit_mib)");
  t.add("pubsub.slow_consumers.peak_server_buffered_mib", N, "MiB", "the most one server held in send buffers at a sample time");
  t.add("pubsub.slow_consumers.dropped", I, "copies", "dropped, conflated or discarded copies");
  t.add("pubsub.continuity", O, "", "each client's position on each of its channels");
  t.add("pubsub.continuity.expected", I, "messages", "publications on clients' channels during their sessions");
  t.add("pubsub.continuity.in_order", I, "messages", "delivered live, the first time, in order");
  t.add("pubsub.continuity.recovered_resume", I, "messages", "recovered by resume after a reconnect");
  t.add("pubsub.continuity.recovered_history", I, "messages", "fetched from history after a reconnect");
  t.add("pubsub.continuity.lost", I, "messages", "never delivered");
  t.add("pubsub.continuity.pending_at_end", I, "messages", "published, not yet with the client at the end");
  t.add("pubsub.continuity.duplicated", I, "messages", "delivered again although the client had it");
  t.add("pubsub.continuity.out_of_order", I, "messages", "delivered after a newer message of the channel");
  t.add("pubsub.continuity.exactly_once", B, "", "nothing lost and nothing duplicated");
  t.add("pubsub.resume", O, "", "reconnections with resume on");
  t.add("pubsub.resume.attempts", I, "reconnections", "reconnections after a lost connection, with resume on");
  t.add("pubsub.resume.resumed", I, "reconnections", "of attempts, every missed message recovered");
  t.add("pubsub.resume.too_late", I, "reconnections", "of attempts, away longer than the window");
  t.add("pubsub.resume.evicted", I, "reconnections", "of attempts, missed messages no longer cached");
  t.add("pubsub.resume.success_rate", N, "share", "resumed / attempts (null without attempts)");
  t.add("pubsub.resume.history_fetches", I, "requests", "history fetches");
  t.add("pubsub.channel_joins", O, "", "channel joins the client library sends on every connection (backoff.policy = phoenix only)", opt);
  t.add("pubsub.channel_joins.attempted", I, "joins", "join messages sent");
  t.add("pubsub.channel_joins.on_open", I, "joins", "of attempted, sent when the connection opened");
  t.add("pubsub.channel_joins.retried", I, "joins", "of attempted, sent again by the rejoin timer after a failed join");
  t.add("pubsub.channel_joins.succeeded", I, "joins", "of attempted, answered ok within the timeout");
  t.add("pubsub.channel_joins.timed_out", I, "joins", "of attempted, no reply within the timeout (a leave was sent)");
  t.add("pubsub.channel_joins.refused", I, "joins", "of attempted, refused by a server shedding load ([fleet.admission])");
  t.add("pubsub.channel_joins.cancelled", I, "joins", "of attempted, in flight when the connection closed");
  t.add("pubsub.channel_joins.in_flight_at_end", I, "joins", "of attempted, without a reply at the end");
  t.add("pubsub.channel_joins.leaves", I, "messages", "leave messages sent after a timed-out join");
  t.add("pubsub.channel_joins.joined_at_end", I, "channels", "channels of connected clients joined at the end");
  t.add("pubsub.channel_joins.waiting_at_end", I, "channels", "channels waiting for their rejoin timer at the end");

  t.add("autoscaler", O, "", "the autoscaler's decisions, servers and cost ([autoscaler] only)", opt);
  t.add("autoscaler.policy", S, "", "autoscaler.policy");
  t.add("autoscaler.sync_period_s", N, "s", "time between its decisions");
  t.add("autoscaler.decisions", O, "", "its syncs");
  t.add("autoscaler.decisions.total", I, "decisions", "syncs");
  t.add("autoscaler.decisions.scale_up", I, "decisions", "that raised the replica count");
  t.add("autoscaler.decisions.scale_down", I, "decisions", "that lowered it");
  t.add("autoscaler.decisions.no_change", I, "decisions", "that kept it");
  t.add("autoscaler.decisions.limited", I, "decisions", "a rate limit, cooldown, disabled direction or min/max changed");
  t.add("autoscaler.decisions.without_metrics", I, "decisions", "without a usable metric (kept the count)");
  t.add("autoscaler.decisions.held_during_rollouts", I, "syncs", "with [[deploys]]: syncs that held while a rollout replaced the replicas (not decisions)", opt);
  t.add("autoscaler.servers", O, "", "the servers it launched and removed");
  t.add("autoscaler.servers.initial", I, "servers", "in service at the start");
  t.add("autoscaler.servers.launched", I, "servers", "servers it asked for");
  t.add("autoscaler.servers.became_ready", I, "servers", "of launched, that joined the balancers");
  t.add("autoscaler.servers.cancelled", I, "servers", "of launched, removed by a scale-in before they were ready");
  t.add("autoscaler.servers.drains_started", I, "servers", "servers in service it removed (drained)");
  t.add("autoscaler.servers.drains_done", I, "servers", "of those, gone by the end");
  t.add("autoscaler.servers.not_launched_no_slot", I, "servers", "asked beyond the reserved server slots (2 x max_replicas)");
  t.add("autoscaler.servers.booting_at_end", I, "servers", "booting at the end");
  t.add("autoscaler.servers.starting_at_end", I, "servers", "booted, not yet ready at the end");
  t.add("autoscaler.servers.in_service_at_end", I, "servers", "in service at the end");
  t.add("autoscaler.servers.draining_at_end", I, "servers", "draining at the end");
  t.add("autoscaler.servers.adopted_from_rollouts", I, "servers", "with [[deploys]]: rollouts' new servers taken into service", opt);
  t.add("autoscaler.servers.released_to_rollouts", I, "servers", "with [[deploys]]: servers in service that rollouts terminated", opt);
  t.add("autoscaler.replicas", O, "", "the replica count it asked for");
  t.add("autoscaler.replicas.at_end", I, "servers", "at the end");
  t.add("autoscaler.replicas.peak", I, "servers", "most after a decision");
  t.add("autoscaler.replicas.lowest", I, "servers", "fewest after a decision");
  t.add("autoscaler.connections_closed_by_scale_in", I, "connections", "open connections the drained servers closed at their deadline");
  t.add("autoscaler.mean_launch_to_ready_s", N, "s", "decision to ready (null when none became ready)");
  t.add("autoscaler.first_scale_up_s", N, "s", "time of the first scale-up decision (null when none)");
  t.add("autoscaler.server_hours", N, "h", "billed servers (booting to removed) x hours");
  t.add("autoscaler.cost", N, "currency", "sum of their cost_per_hour x hours");
  t.add("autoscaler.scheduled_actions", O, "", "with [[scaling]]: the scheduled actions (new bounds) it applied", opt);
  t.add("autoscaler.scheduled_actions.applied", I, "actions", "bound changes applied (one per controller an entry bounds)");
  t.add("autoscaler.scheduled_actions.launched", I, "servers", "of servers.launched, by a raised minimum");
  t.add("autoscaler.scheduled_actions.removed", I, "servers", "of servers.drains_started and cancelled, by a lowered maximum");
  t.add("autoscaler.sites", A, "", "with [[topology.sites]]: one controller per site, in site order", opt);
  t.add("autoscaler.sites[]", O, "", "one site's controller");
  t.add("autoscaler.sites[].site", S, "", "its site");
  t.add("autoscaler.sites[].min_replicas", I, "servers", "its minimum at the end");
  t.add("autoscaler.sites[].max_replicas", I, "servers", "its maximum at the end");
  t.add("autoscaler.sites[].decisions", I, "decisions", "its syncs");
  t.add("autoscaler.sites[].scale_up", I, "decisions", "that raised its replica count");
  t.add("autoscaler.sites[].scale_down", I, "decisions", "that lowered it");
  t.add("autoscaler.sites[].no_change", I, "decisions", "that kept it");
  t.add("autoscaler.sites[].launched", I, "servers", "servers it asked for");
  t.add("autoscaler.sites[].drains_started", I, "servers", "servers in service it removed");
  t.add("autoscaler.sites[].replicas_at_end", I, "servers", "booting, starting and in service at the end");
  t.add("autoscaler.sites[].in_service_at_end", I, "servers", "in service at the end");
  t.add("autoscaler.sites[].peak_replicas", I, "servers", "most after a decision");
  t.add("autoscaler.sites[].lowest_replicas", I, "servers", "fewest after a decision");

  t.add("cpu", O, "", "the servers' CPU");
  t.add("cpu.mean_utilisation", N, "share", "busy core-time over capacity_core_seconds");
  t.add("cpu.peak_utilisation", N, "share", "highest busy fraction of one server in one sample interval");
  t.add("cpu.capacity_core_seconds", N, "core-s", "each server's cores x the time it was part of the fleet (slots not yet launched or already removed do not count)");
  t.add("memory", O, "", "the servers' memory");
  t.add("memory.peak_server_mib", N, "MiB", "highest memory of one server at a sample time");

  t.add("faults", A, "", "one per [[faults]] entry, then one per out-of-memory kill");
  t.add("faults[]", O, "", "what one fault did");
  t.add("faults[].type", S, "", "its kind (wsfleet list), or \"out_of_memory\"");
  t.add("faults[].server", I, "", "the server it hit (kinds that hit a server; out-of-memory kills)", opt);
  t.add("faults[].balancer", I, "", "the balancer it hit (balancer_crash)", opt);
  t.add("faults[].site", S, "", "the site it hit (site kinds)", opt);
  t.add("faults[].share", N, "share", "the share of the clients it targets (websocket_block)", opt);
  t.add("faults[].broker", I, "", "the broker (broker_outage)", opt);
  t.add("faults[].at_s", N, "s", "when it started");
  t.add("faults[].recover_after_s", N, "s", "how long it lasted (null: until the end)");
  t.add("faults[].connections_dropped", I, "connections", "established connections cut");
  t.add("faults[].handshakes_failed", I, "attempts", "handshakes in progress that were lost");
  t.add("faults[].reconnected_within_s", N, "s", "from the start until every dropped client was connected again (null: not by the end)");
  t.add("faults[].detected_within_s", N, "s", "server crash: until every running balancer stopped sending it new connections");
  t.add("faults[].tries_while_undetected", I, "attempts", "server crash: tries balancers sent to it while it was down");
  t.add("faults[].clients_blocked", I, "clients", "clients whose WebSocket it breaks (websocket_block)", opt);
  t.add("faults[].messages_lost", I, "messages", "inbound messages it lost (dropped_messages, link_loss, link_down)", opt);
  t.add("faults[].heartbeats_lost", I, "exchanges", "heartbeat exchanges it lost or delayed past heartbeat.timeout_s (dropped_messages, link_loss, link_down)", opt);
  t.add("faults[].heartbeat_timeouts", I, "connections", "of heartbeats_lost, connections the heartbeat timeout then closed (= connections_dropped)", opt);
  t.add("faults[].retransmissions", I, "packets", "TCP retransmissions of handshake packets and frames (link_loss)", opt);
  t.add("faults[].handshakes_delayed", I, "attempts", "handshakes that needed a retransmission (link_loss)", opt);
  t.add("faults[].attempts_blocked", I, "attempts", "attempts whose SYN the link swallowed: the balancer took nothing (link_down)", opt);
  t.add("faults[].syn_retransmissions", I, "packets", "their SYN retransmissions (1, 2, 4, ... s apart) (link_down)", opt);
  t.add("faults[].syn_timeouts", I, "attempts", "of attempts_blocked, ended by the connect timeout (link_down)", opt);
  t.add("faults[].attempts_through_after_link_back", I, "attempts", "of attempts_blocked, a retransmitted SYN got through once the link was back (link_down)", opt);
  t.add("faults[].messages_delayed", I, "messages", "messages that needed a retransmission (link_loss)", opt);
  t.add("faults[].message_delay_s", N, "s", "their retransmission delays summed: in their latency (link_loss)", opt);

  t.add("deploys", A, "", "one per [[deploys]] entry ([[deploys]] only)", opt);
  t.add("deploys[]", O, "", "what one rollout did");
  t.add("deploys[].strategy", S, "", "\"rolling\", \"blue_green\" or \"canary\"");
  t.add("deploys[].at_s", N, "s", "when it was due");
  t.add("deploys[].started_s", N, "s", "when it started (null: never)");
  t.add("deploys[].duration_s", N, "s", "from its start until the rollout was complete (null: not by the end)");
  t.add("deploys[].finished_s", N, "s", "from its start until the last old server was gone (null: not by the end)");
  t.add("deploys[].all_reconnected_s", N, "s", "from its start until the last client it disconnected was back (null: not by the end)");
  t.add("deploys[].replicas", I, "servers", "servers it replaced");
  t.add("deploys[].max_surge", I, "servers", "resolved maxSurge (a percent rounds up)");
  t.add("deploys[].max_unavailable", I, "servers", "resolved maxUnavailable (a percent rounds down)");
  t.add("deploys[].servers_started", I, "servers", "new servers it started");
  t.add("deploys[].servers_terminated", I, "servers", "old servers it terminated");
  t.add("deploys[].peak_servers", I, "servers", "most servers at once (old, new and terminating)");
  t.add("deploys[].min_available", I, "servers", "fewest available servers at once while it ran");
  t.add("deploys[].connections_closed", I, "connections", "established connections its terminating servers closed");
  t.add("deploys[].closed_at_sigterm", I, "connections", "of those, closed at once at SIGTERM");
  t.add("deploys[].closed_spread", I, "connections", "of those, closed one by one over the grace period");
  t.add("deploys[].closed_at_kill", I, "connections", "of those, cut by SIGKILL at the end of the grace period");
  t.add("deploys[].handshakes_cut", I, "attempts", "handshakes in progress on a server when it closed");
  t.add("deploys[].reconnected", I, "connections", "closed connections whose client connected again");
  t.add("deploys[].gave_up", I, "connections", "closed connections whose client gave up");
  t.add("deploys[].not_reconnected_at_end", I, "connections", "closed connections whose client was still away at the end");
  t.add("deploys[].peak_disconnected", I, "clients", "most of its clients away at once");
  t.add("deploys[].peak_retries_per_s", N, "attempts/s", "highest fleet-wide reconnection attempts in one second");
  t.latency("deploys[].reconnect_s", "s", "from a close to the client connected again (0.1 s resolution)");
  t.add("deploys[].per_site", B, "",
        "one Deployment per topology site, each rolled with its own rounding, all at once (deploys[].per_site); then "
        "replicas, max_surge and max_unavailable are the sites' sums");
  t.add("deploys[].sites", A, "", "per site, its own Deployment (only when per_site)", opt);
  t.add("deploys[].sites[]", O, "", "one site's Deployment");
  t.add("deploys[].sites[].site", S, "", "the site's name");
  t.add("deploys[].sites[].replicas", I, "servers", "the site's servers it replaced");
  t.add("deploys[].sites[].max_surge", I, "servers", "maxSurge resolved from the site's replicas (a percent rounds up)");
  t.add("deploys[].sites[].max_unavailable", I, "servers", "maxUnavailable resolved from the site's replicas (a percent rounds down)");

  t.add("balancers", A, "", "one per balancer");
  t.add("balancers[]", O, "", "what one balancer did");
  t.add("balancers[].index", I, "", "its number");
  t.add("balancers[].routed", I, "connections", "connections handed to a backend");
  t.add("balancers[].rate_limited", I, "attempts", "new connections refused over its rate limit");
  t.add("balancers[].port_exhausted", I, "attempts", "tries with no free source port");
  t.add("balancers[].failed_tries", I, "attempts", "tries to a backend that was down");
  t.add("balancers[].marked_down", I, "", "times it took a backend out (health checks or passive; with NGINX workers, per worker)");
  t.add("balancers[].peak_ports_per_backend", I, "ports", "most source ports it used towards one backend");
  t.add("balancers[].connect_timeouts", I, "attempts",
        "its connects to a server that never answered (a site_partition) that ended at its connect timeout "
        "(balancer.connect_timeout_s; only with a site_partition fault)",
        opt);
  t.add("balancers[].connect_completions", I, "attempts",
        "its connects to a server behind a site_partition that a SYN retransmission got through once the partition "
        "healed, before its connect timeout (Linux: +1, 3, 7, 15, 31, 63 s after the first SYN; only with a "
        "site_partition fault)",
        opt);
  t.add("balancers[].haproxy", O, "", "its maxconn queue and connect retries (haproxy_* presets only)", opt);
  t.add("balancers[].haproxy.queued", I, "connections", "connections that waited in its queue (every server at maxconn)");
  t.add("balancers[].haproxy.dequeued", I, "connections", "of queued, the ones a freed slot took");
  t.add("balancers[].haproxy.queue_timeouts", I, "connections", "of queued, the ones `timeout queue` answered with a 503");
  t.add("balancers[].haproxy.queue_abandoned", I, "connections", "of queued, the ones whose client timed out first");
  t.add("balancers[].haproxy.queue_cut", I, "connections", "of queued, the ones lost when the balancer crashed");
  t.add("balancers[].haproxy.retry_waits", I, "tries", "connect retries that waited the turn-around (min(timeout connect, 1 s))");
  t.add("balancers[].haproxy.retry_resumed", I, "tries", "of retry_waits, the ones whose wait ended with the retry");
  t.add("balancers[].haproxy.retry_abandoned", I, "tries", "of retry_waits, the ones whose client timed out first");
  t.add("balancers[].haproxy.retry_cut", I, "tries", "of retry_waits, the ones lost when the balancer crashed");
  t.add("balancers[].haproxy.redispatches", I, "tries", "retries sent to another server (option redispatch)");
  t.add("balancers[].outlier", O, "", "its outlier detection (envoy_* presets with consecutive_5xx set only)", opt);
  t.add("balancers[].outlier.ejections", I, "", "hosts it ejected");
  t.add("balancers[].outlier.ejections_overflow", I, "", "ejections max_ejection_percent prevented");
  t.add("balancers[].outlier.unejections", I, "", "ejected hosts back in the rotation");
  t.add("balancers[].outlier.panic_picks", I, "picks", "picks among every host, below the healthy panic threshold");

  t.add("topology", O, "", "sites and client regions ([topology] only)", opt);
  t.add("topology.sites", A, "", "one per site");
  t.add("topology.sites[]", O, "", "one site at the end of the run");
  t.add("topology.sites[].name", S, "", "its name");
  t.add("topology.sites[].servers", I, "servers", "servers it holds (including ones added later)");
  t.add("topology.sites[].active_at_end", I, "connections", "connections open on its servers at the end");
  t.add("topology.regions", A, "", "one per client region");
  t.add("topology.regions[]", O, "", "one client region");
  t.add("topology.regions[].name", S, "", "its name");
  t.add("topology.regions[].clients", I, "clients", "clients placed there");
  t.add("topology.regions[].nearest_site", S, "", "where its clients go while that site is up");
  t.add("topology.regions[].latency_ms", N, "ms", "one-way latency to the nearest site");

  t.add("conservation", O, "", "the invariants checked at the end of the run");
  t.add("conservation.ok", B, "", "every check holds");
  t.add("conservation.checks", M, "", "by name (e.g. \"attempts\")");
  t.add("conservation.checks.*", O, "", "one check");
  t.add("conservation.checks.*.equation", S, "", "e.g. \"attempted = established + rejected + failed + pending_at_end\"");
  t.add("conservation.checks.*.values", S, "", "the numbers, e.g. \"1000 = 990 + 5 + 3 + 2\"");
  t.add("conservation.checks.*.ok", B, "", "the equation holds");
  return t.rows_;
}

// --- the tree the rows describe -------------------------------------------------------------

std::string parent_of(const std::string& path) {
  if (path.size() > 2 && path.compare(path.size() - 2, 2, "[]") == 0) return path.substr(0, path.size() - 2);
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(0, dot);
}

std::string last_key(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

std::string description(const Field& f) { return f.unit.empty() ? f.doc : f.doc + " [" + f.unit + "]"; }

ordered_json node_of(const Field& f) {
  ordered_json j = ordered_json::object();
  switch (f.type) {
    case Type::Integer: j["type"] = "integer"; break;
    case Type::Number: j["type"] = ordered_json::array({"number", "null"}); break;
    case Type::String: j["type"] = "string"; break;
    case Type::Boolean: j["type"] = "boolean"; break;
    case Type::Object:
      j["type"] = "object";
      j["properties"] = ordered_json::object();
      j["additionalProperties"] = false;
      break;
    case Type::Array: j["type"] = "array"; break;
    case Type::Map: j["type"] = "object"; break;
  }
  j["description"] = description(f);
  if (!f.unit.empty()) j["x-unit"] = f.unit;
  return j;
}

/// The JSON Schema node of `path` and below (the rows under it attached).
ordered_json schema_of(const std::string& path, const Field& self, const std::multimap<std::string, const Field*>& children) {
  ordered_json j = node_of(self);
  auto [lo, hi] = children.equal_range(path);
  for (auto it = lo; it != hi; ++it) {
    const Field& c = *it->second;
    ordered_json sub = schema_of(c.path, c, children);
    if (self.type == Type::Array) {
      j["items"] = sub;
    } else if (self.type == Type::Map) {
      j["additionalProperties"] = sub;
    } else {
      j["properties"][last_key(c.path)] = sub;
      if (!c.optional) j["required"].push_back(last_key(c.path));
    }
  }
  return j;
}

/// The table indexed: each path's row, and each object's rows beneath it.
struct Index {
  std::map<std::string, const Field*> by_path;
  std::multimap<std::string, const Field*> children;
};

const Index& index() {
  static const Field root{"", Type::Object, "", "", false};
  static const Index idx = [] {
    Index i;
    i.by_path[""] = &root;
    for (const Field& f : fields()) {
      i.by_path[f.path] = &f;
      i.children.emplace(parent_of(f.path), &f);
    }
    return i;
  }();
  return idx;
}

void check_value(const ordered_json& v, const std::string& path, const Index& idx, std::vector<std::string>& bad) {
  const auto& by_path = idx.by_path;
  const auto it = by_path.find(path);
  if (it == by_path.end()) {
    bad.push_back(path + " (not declared)");
    return;
  }
  const Field& f = *it->second;
  bool ok = false;
  switch (f.type) {
    case Type::Integer: ok = v.is_number_integer(); break;
    case Type::Number: ok = v.is_number() || v.is_null(); break;
    case Type::String: ok = v.is_string(); break;
    case Type::Boolean: ok = v.is_boolean(); break;
    case Type::Object:
    case Type::Map: ok = v.is_object(); break;
    case Type::Array: ok = v.is_array(); break;
  }
  if (!ok) {
    bad.push_back(path + " (not of its declared type)");
    return;
  }
  if (f.type == Type::Object) {
    for (const auto& [key, sub] : v.items()) check_value(sub, path.empty() ? key : path + "." + key, idx, bad);
    auto [lo, hi] = idx.children.equal_range(path);
    for (auto c = lo; c != hi; ++c) {
      if (!c->second->optional && !v.contains(last_key(c->second->path))) bad.push_back(c->second->path + " (missing)");
    }
  } else if (f.type == Type::Map) {
    for (const auto& [key, sub] : v.items()) check_value(sub, path + ".*", idx, bad);
  } else if (f.type == Type::Array) {
    for (const auto& sub : v) check_value(sub, path + "[]", idx, bad);
  }
}

}  // namespace

const std::vector<Field>& fields() {
  static const std::vector<Field> table = [] {
    std::vector<Field> rows = build();
    // Parents before children, each path once: a table that breaks this is a bug found at start.
    std::map<std::string, Type> seen;
    for (const Field& f : rows) {
      const std::string parent = parent_of(f.path);
      if (!seen.emplace(f.path, f.type).second) throw std::logic_error("summary schema: " + f.path + " declared twice");
      if (!parent.empty()) {
        const auto p = seen.find(parent);
        if (p == seen.end() || (p->second != Type::Object && p->second != Type::Array && p->second != Type::Map)) {
          throw std::logic_error("summary schema: " + f.path + " comes before its parent " + parent);
        }
      }
    }
    return rows;
  }();
  return table;
}

std::string json_schema() {
  std::multimap<std::string, const Field*> children;
  for (const Field& f : fields()) children.emplace(parent_of(f.path), &f);
  const Field root{"", Type::Object, "", "summary.json: the headline numbers of one wsfleet run", false};
  ordered_json body = schema_of("", root, children);
  ordered_json j;
  j["$schema"] = "http://json-schema.org/draft-07/schema#";
  j["$id"] = "https://wsfleet.invalid/summary.schema.json";
  j["title"] = "wsfleet summary.json";
  for (auto& [key, value] : body.items()) j[key] = value;
  return j.dump(2) + "\n";
}

std::vector<std::string> undeclared(const ordered_json& summary) {
  std::vector<std::string> bad;
  check_value(summary, "", index(), bad);
  return bad;
}

}  // namespace wsfleet::experiments::summary
