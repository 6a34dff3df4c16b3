#pragma once
// What one fleet run produces: headline numbers and tidy time series.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/transport/transport_outcome.hpp"
#include "models/fleet_config.hpp"
#include "sim/time_series.hpp"

namespace wsfleet::models {

/// Percentiles of a latency distribution, ms (NaN when there were no samples).
struct LatencyStats {
  std::uint64_t count = 0;
  double mean_ms, p50_ms, p90_ms, p99_ms, p999_ms, max_ms;
};

/// Connection attempts and connections, counted over the whole run.
struct ConnectionCounts {
  std::uint64_t attempted = 0;      ///< connection attempts made (first tries and retries)
  std::uint64_t established = 0;    ///< handshakes completed
  std::uint64_t rejected = 0;       ///< refused at once: rejected_server_full + no_backend + rejected_rate_limited + rejected_shed
  std::uint64_t failed = 0;         ///< failed_timeout + failed_backend_down + failed_source_ports + failed_balancer_down + failed_crash
  std::uint64_t pending_at_end = 0; ///< handshakes still in progress at the end
  std::uint64_t closed = 0;         ///< established connections that ended (normally or by a crash)
  std::uint64_t ended = 0;          ///< of `closed`, sessions the client ended
  std::uint64_t dropped = 0;        ///< of `closed`, those cut by a server or balancer crash
  std::uint64_t drained = 0;        ///< of `closed`, those a draining server closed at its deadline
  std::uint64_t vanished = 0;       ///< of `closed`, sessions whose network dropped silently (half-open on the server)
  std::uint64_t idle_cut = 0;       ///< of `closed`, cut by the balancer's idle timeout
  std::uint64_t idle_closed = 0;    ///< of `closed`, closed by the server's idle policy (fleet.idle_close_s)
  std::uint64_t rebalanced = 0;     ///< of `closed`, closed by a server shedding its excess ([fleet.rebalance])
  std::uint64_t slow_consumer = 0;  ///< of `closed`, closed by the server because the client read too slowly ([pubsub.buffer])
  std::uint64_t session_unknown = 0;  ///< of `closed`, fallback sessions whose poll or POST reached a server without the session (non-sticky balancing)
  std::uint64_t poll_failed = 0;    ///< of `closed`, fallback sessions whose poll or POST failed otherwise (balancer or backend down, no backend)
  std::uint64_t active_at_end = 0;  ///< established connections open at the end
  std::uint64_t retries = 0;        ///< of `attempted`, those made after a drop, rejection or failure
  std::uint64_t gave_up = 0;        ///< clients that exhausted their retries
  std::uint64_t waiting_at_end = 0; ///< clients sitting in backoff at the end
  std::uint64_t no_backend = 0;     ///< of `rejected`, those with no eligible backend at all (NGINX "no live upstreams")
  std::uint64_t rejected_server_full = 0;   ///< of `rejected`, refused by a server at its connection limit
  std::uint64_t rejected_rate_limited = 0;  ///< of `rejected`, refused by a balancer over its new-connection rate
  std::uint64_t rejected_shed = 0;          ///< of `rejected`, refused by a server's admission control ([fleet.admission])
  std::uint64_t failed_timeout = 0;         ///< of `failed`, handshakes not done within clients.connect_timeout_s
  std::uint64_t failed_backend_down = 0;    ///< of `failed`, every try went to a backend that was down (refused)
  std::uint64_t failed_source_ports = 0;    ///< of `failed`, the balancer had no free source port (EADDRNOTAVAIL)
  std::uint64_t failed_balancer_down = 0;   ///< of `failed`, the client's balancer was down
  std::uint64_t failed_crash = 0;           ///< of `failed`, handshakes cut by a crash or a drain deadline
  std::uint64_t failed_session_unknown = 0; ///< of `failed`, a request before or the upgrade itself reached a server
                                            ///< without the session (only with a session opening: summary.session_opening)
};

/// Messages of one kind (data messages or heartbeats).
struct MessageCounts {
  std::uint64_t sent = 0;              ///< submitted to a server's CPU
  std::uint64_t delivered = 0;         ///< processed by the end of the run
  std::uint64_t dropped = 0;           ///< lost in a crashed server's queue
  std::uint64_t in_flight_at_end = 0;  ///< still queued at the end
};

/// What one crash fault did.
struct FaultOutcome {
  std::string target = "server";                  ///< "server", "balancer", "site" or "websocket_block"
  std::uint32_t server = 0;                       ///< the index of the server, balancer or site
  std::string site;                               ///< the site's name (target "site")
  std::optional<double> detected_within_s;        ///< server crash: until every running balancer stopped sending it new connections
  std::uint64_t tries_while_undetected = 0;       ///< server crash: connection tries balancers sent to it while it was down
  double at_s = 0.0;
  std::optional<double> recover_after_s;
  std::uint64_t connections_dropped = 0;          ///< established connections cut
  double share = 0.0;                             ///< websocket_block: the share of the clients it targets
  std::uint64_t clients_blocked = 0;              ///< websocket_block: clients whose WebSocket it breaks
  std::uint64_t handshakes_failed = 0;            ///< handshakes in progress that were lost
  std::optional<double> reconnected_within_s;     ///< from the crash until every dropped client was connected again
  // Frame-level gray failures (dropped_messages, link_loss, link_down):
  std::uint64_t messages_lost = 0;                ///< inbound data messages it dropped (never reached the server's CPU)
  std::uint64_t heartbeats_lost = 0;              ///< heartbeat exchanges it lost (each starts its connection's heartbeat timeout)
  std::uint64_t heartbeat_timeouts = 0;           ///< of heartbeats_lost: connections the heartbeat timeout then closed
  std::uint64_t retransmissions = 0;              ///< link_loss: TCP retransmissions of handshake packets and frames
  std::uint64_t handshakes_delayed = 0;           ///< link_loss: handshakes that needed at least one retransmission
  std::uint64_t messages_delayed = 0;             ///< link_loss: messages that needed at least one retransmission
  double message_delay_s = 0.0;                   ///< link_loss: their retransmission delays, summed, s
  std::uint64_t attempts_blocked = 0;             ///< link_down: attempts whose SYN it swallowed (the balancer saw nothing)
  std::uint64_t syn_retransmissions = 0;          ///< link_down: their SYN retransmissions
  std::uint64_t syn_timeouts = 0;                 ///< link_down: of attempts_blocked, ended by the connect timeout (or ETIMEDOUT)
  std::uint64_t attempts_through_after_link_back = 0;  ///< link_down: of attempts_blocked, a retransmitted SYN got through
};

/// What one [[deploys]] entry did.
/// One site's Deployment of a deploy rolled per site (deploys[].per_site).
struct DeploySiteOutcome {
  std::string site;
  std::uint32_t replicas = 0, max_surge = 0, max_unavailable = 0;  ///< its own, resolved from its own replicas
};

struct DeployOutcome {
  std::string strategy = "rolling";               ///< "rolling", "blue_green" or "canary"
  double at_s = 0.0;                              ///< when it was due
  std::optional<double> started_s;                ///< when it started (later than at_s when an earlier deploy was still running)
  std::optional<double> duration_s;               ///< from its start until the rollout was complete (every new server available, no old one left in service)
  std::optional<double> finished_s;               ///< from its start until the last old server was gone (its grace period over)
  std::optional<double> all_reconnected_s;        ///< from its start until the last client it disconnected was connected again
  std::uint32_t replicas = 0;                     ///< servers it replaced
  std::uint32_t max_surge = 0;                    ///< resolved (a percent rounds up)
  std::uint32_t max_unavailable = 0;              ///< resolved (a percent rounds down; 1 when both resolve to 0)
  bool per_site = false;                          ///< one Deployment per site (max_surge, max_unavailable: their sums)
  std::vector<DeploySiteOutcome> sites;           ///< per site when per_site
  std::uint32_t servers_started = 0;              ///< new servers it started
  std::uint32_t servers_terminated = 0;           ///< old servers it terminated
  std::uint32_t peak_servers = 0;                 ///< most servers at once (old, new and terminating)
  std::uint32_t min_available = 0;                ///< fewest available servers at once while it ran
  std::uint64_t connections_closed = 0;           ///< established connections its terminating servers closed
  std::uint64_t closed_at_sigterm = 0;            ///< of those, closed at once when SIGTERM came
  std::uint64_t closed_spread = 0;                ///< of those, closed one by one over the grace period
  std::uint64_t closed_at_kill = 0;               ///< of those, cut by SIGKILL at the end of the grace period
  std::uint64_t handshakes_cut = 0;               ///< handshakes in progress on a server when it closed
  std::uint64_t reconnected = 0;                  ///< closed connections whose client connected again
  std::uint64_t gave_up = 0;                      ///< closed connections whose client gave up
  std::uint64_t not_reconnected_at_end = 0;       ///< closed connections whose client was still away at the end
  std::uint64_t peak_disconnected = 0;            ///< most of its clients away at once
  double peak_retries_per_s = 0.0;                ///< highest fleet-wide reconnection attempts in one second while it ran or its clients were away
  LatencyStats reconnect_s{};                     ///< from a close to the client connected again, s (in the _ms fields' places; 0.1 s resolution)
};

/// An HAProxy balancer's queue and retries (haproxy_* presets).
struct HaproxyOutcome {
  std::uint64_t queued = 0;            ///< connections that waited in its queue (every server at maxconn)
  std::uint64_t dequeued = 0;          ///< of those, the ones a freed slot took
  std::uint64_t queue_timeouts = 0;    ///< of those, the ones `timeout queue` answered with a 503
  std::uint64_t queue_abandoned = 0;   ///< of those, the ones whose client timed out first
  std::uint64_t queue_cut = 0;         ///< of those, the ones lost when the balancer crashed
  std::uint64_t retry_waits = 0;       ///< retries that waited the turn-around
  std::uint64_t retry_resumed = 0;     ///< of those, the ones whose wait ended with the retry
  std::uint64_t retry_abandoned = 0;   ///< of those, the ones whose client timed out first
  std::uint64_t retry_cut = 0;         ///< of those, the ones lost when the balancer crashed
  std::uint64_t redispatches = 0;      ///< retries sent to another server (option redispatch)
};

/// An Envoy balancer's outlier detection (envoy_* presets with consecutive_5xx set).
struct OutlierOutcome {
  std::uint64_t ejections = 0;           ///< hosts it ejected
  std::uint64_t ejections_overflow = 0;  ///< ejections max_ejection_percent prevented
  std::uint64_t unejections = 0;         ///< ejected hosts back in the rotation
  std::uint64_t panic_picks = 0;         ///< picks among every host (below the healthy panic threshold)
};

/// What one balancer of the tier did.
struct BalancerOutcome {
  std::uint32_t index = 0;
  std::uint64_t routed = 0;            ///< connections handed to a backend
  std::uint64_t rate_limited = 0;      ///< new connections refused over its rate limit
  std::uint64_t port_exhausted = 0;    ///< tries with no free source port
  std::uint64_t failed_tries = 0;      ///< tries to a backend that was down
  std::uint64_t marked_down = 0;       ///< times it took a backend out (health checks or passive; with NGINX workers, per worker)
  std::uint64_t peak_ports = 0;        ///< most source ports it used towards one backend
  std::optional<std::uint64_t> connect_timeouts;  ///< its connects to unreachable servers that timed out (with a site_partition)
  std::optional<std::uint64_t> connect_completions;  ///< its connects to unreachable servers answered after the partition healed
  std::optional<HaproxyOutcome> haproxy;  ///< HAProxy presets only
  std::optional<OutlierOutcome> outlier;  ///< Envoy outlier detection only
};

/// One site of a [topology] at the end of a run.
struct SiteOutcome {
  std::string name;
  std::uint32_t servers = 0;            ///< servers it holds (including ones added later)
  std::uint64_t active_at_end = 0;      ///< connections open on its servers at the end
};

/// One client region of a [topology].
struct RegionOutcome {
  std::string name;
  std::uint64_t clients = 0;            ///< clients placed there
  std::string nearest_site;             ///< where its clients go while that site is up
  double latency_ms = 0.0;              ///< one-way latency to the nearest site, ms
};

/// Heartbeats and dead peers over a run.
struct HeartbeatOutcome {
  double frames_per_message = 0.0;      ///< heartbeat exchanges per data message (NaN without messages)
  double bytes = 0.0;                   ///< heartbeat traffic, bytes (exchanges x frame_bytes)
  std::uint64_t ghosts_detected = 0;    ///< half-open connections the server found and closed
  std::uint64_t ghosts_at_end = 0;      ///< half-open connections still holding a slot at the end
  LatencyStats detection_s{};           ///< time from the silent drop to the server closing it, s (in the _ms fields' places)
};

/// Channel joins of a client library that sends one per channel on every connection and retries a
/// failed one on its own schedule (the phoenix preset; models/pubsub/channel_joins.hpp).
struct ChannelJoinOutcome {
  bool enabled = false;
  std::uint64_t attempted = 0;          ///< join messages sent
  std::uint64_t on_open = 0;            ///< of attempted, sent when the socket opened
  std::uint64_t retried = 0;            ///< of attempted, sent again by the rejoin timer after a failure
  std::uint64_t succeeded = 0;          ///< of attempted, answered "ok" within the timeout
  std::uint64_t timed_out = 0;          ///< of attempted, no reply within the timeout (a leave is sent)
  std::uint64_t refused = 0;            ///< of attempted, answered "error": the server was shedding load
  std::uint64_t cancelled = 0;          ///< of attempted, in flight when the connection closed
  std::uint64_t in_flight_at_end = 0;   ///< of attempted, without an answer at the end
  std::uint64_t leaves = 0;             ///< leave messages sent after a timed-out join
  std::uint64_t joined_at_end = 0;      ///< channels joined at the end
  std::uint64_t waiting_at_end = 0;     ///< channels waiting for their rejoin timer at the end
};

/// Pub/sub over a run ([pubsub]): publications, their copies to subscribers, and continuity as the
/// clients see it.
struct PubSubOutcome {
  bool enabled = false;
  ChannelJoinOutcome joins{};           ///< channel joins (joins.enabled: the client library sends them)
  // Publications (one per message published on a channel).
  std::uint64_t published = 0;          ///< accepted by the broker (each got a sequence number)
  std::uint64_t from_feeds = 0;         ///< of `published`, by server-side feeds
  std::uint64_t from_clients = 0;       ///< of `published`, by clients
  std::uint64_t publish_failed = 0;     ///< refused because the broker was down (no sequence number)
  std::uint64_t arrived = 0;            ///< of `published`, reached the servers
  std::uint64_t lost_in_broker = 0;     ///< of `published`, queued in the broker when it went down
  std::uint64_t in_broker_at_end = 0;   ///< of `published`, still on the way at the end
  // Server fan-outs (one per publication per receiving server).
  std::uint64_t fanouts = 0;
  std::uint64_t fanouts_done = 0;
  std::uint64_t fanouts_lost = 0;       ///< in the queue of a server that crashed
  std::uint64_t fanouts_pending_at_end = 0;
  // Copies (one per fan-out per subscribed connection).
  std::uint64_t copies = 0;
  std::uint64_t delivered = 0;          ///< written to the client
  std::uint64_t dropped_full = 0;       ///< dropped by the buffer limit (drop_newest, uws)
  std::uint64_t dropped_oldest = 0;     ///< dropped from the buffer to make room (drop_oldest)
  std::uint64_t dropped_volatile = 0;   ///< volatile messages dropped while the connection was busy
  std::uint64_t conflated = 0;          ///< replaced in the buffer by a newer message on the channel
  std::uint64_t discarded = 0;          ///< unsent when the connection closed
  std::uint64_t buffered_at_end = 0;    ///< still in send buffers at the end
  double bytes_delivered = 0.0;
  std::uint64_t memory_crashes = 0;     ///< servers that ran out of memory (fleet.memory_limit_mib)
  double peak_server_buffered_mib = 0.0;  ///< the most one server held in send buffers at a sample time
  LatencyStats latency{};               ///< publish to written to the client (broker, server queue, buffer, network), ms
  // Continuity: each client's position on each of its channels.
  std::uint64_t expected = 0;           ///< publications on clients' channels during their sessions
  std::uint64_t in_order = 0;           ///< delivered live, the first time, in order
  std::uint64_t recovered_resume = 0;   ///< recovered by resume after a reconnect
  std::uint64_t recovered_history = 0;  ///< fetched from history after a reconnect
  std::uint64_t lost = 0;               ///< never delivered (dropped, conflated, missed and not recovered)
  std::uint64_t pending_at_end = 0;     ///< published, not yet with the client at the end
  std::uint64_t duplicated = 0;         ///< delivered again although the client had it
  std::uint64_t out_of_order = 0;       ///< delivered after a newer message of the channel
  std::uint64_t resume_attempts = 0;    ///< reconnections after a lost connection, with resume on
  std::uint64_t resumed = 0;            ///< of those, every missed message recovered
  std::uint64_t resume_too_late = 0;    ///< of those, away longer than the window
  std::uint64_t resume_evicted = 0;     ///< of those, missed messages no longer cached
  std::uint64_t history_fetches = 0;
};

/// The [autoscaler] over a run: its decisions, the servers it launched and removed, and the cost.
/// One site's autoscaler (with [[topology.sites]]: one controller per site).
struct AutoscalerSiteOutcome {
  std::string site;
  std::int64_t min_replicas = 0, max_replicas = 0;  ///< its bounds at the end
  std::uint64_t decisions = 0, scale_ups = 0, scale_downs = 0, no_changes = 0;
  std::uint64_t launched = 0, drains_started = 0;
  std::uint64_t replicas_at_end = 0, in_service_at_end = 0, peak_replicas = 0, lowest_replicas = 0;
};

struct AutoscalerOutcome {
  bool enabled = false;
  std::vector<AutoscalerSiteOutcome> sites;  ///< one per [[topology.sites]] site (empty without sites)
  std::optional<std::uint64_t> scheduled_actions = std::nullopt;  ///< with [[scaling]]: bound changes applied (per controller)
  std::optional<std::uint64_t> scheduled_launched = std::nullopt;  ///< of launched, by a raised minimum
  std::optional<std::uint64_t> scheduled_drains = std::nullopt;    ///< of drains_started and cancelled, by a lowered maximum
  std::string policy;
  double sync_period_s = 0.0;
  std::uint64_t decisions = 0;          ///< syncs
  std::uint64_t scale_ups = 0;          ///< of `decisions`, that raised the replica count
  std::uint64_t scale_downs = 0;        ///< of `decisions`, that lowered it
  std::uint64_t no_changes = 0;         ///< of `decisions`, that kept it
  std::uint64_t limited = 0;            ///< decisions a rate limit, cooldown, disabled direction or min/max changed
  std::uint64_t without_metrics = 0;    ///< decisions without a usable metric (kept the count)
  std::optional<std::uint64_t> held = std::nullopt;  ///< with [[deploys]]: syncs that held while a rollout replaced the replicas
  std::optional<std::uint64_t> adopted = std::nullopt;   ///< with [[deploys]]: rollouts' new servers it took into service
  std::optional<std::uint64_t> released = std::nullopt;  ///< with [[deploys]]: servers rollouts terminated
  std::uint64_t initial_servers = 0;    ///< in service at the start
  std::uint64_t launched = 0;           ///< servers it asked for
  std::uint64_t became_ready = 0;       ///< of `launched`, that joined the balancers
  std::uint64_t cancelled = 0;          ///< of `launched`, removed by a scale-in before they were ready
  std::uint64_t drains_started = 0;     ///< servers in service it removed (drained)
  std::uint64_t drains_done = 0;        ///< of those, gone by the end
  std::uint64_t not_launched_no_slot = 0;  ///< asked beyond the reserved server slots (2 x max_replicas)
  std::uint64_t booting_at_end = 0, starting_at_end = 0, in_service_at_end = 0, draining_at_end = 0;
  std::uint64_t replicas_at_end = 0;
  std::uint64_t peak_replicas = 0;      ///< most replicas asked for after a decision
  std::uint64_t lowest_replicas = 0;    ///< fewest replicas asked for after a decision
  std::uint64_t connections_closed_by_scale_in = 0;  ///< open connections the drained servers closed at their deadline
  double server_hours = 0.0;            ///< billed servers (booting to removed) x hours
  double cost = 0.0;                    ///< sum of their cost_per_hour x hours
  double mean_launch_to_ready_s = 0.0;  ///< decision to ready, s (NaN when none became ready)
  double first_scale_up_s = 0.0;        ///< time of the first scale-up decision, s (NaN when none)
};

/// One invariant checked at the end of a run.
struct ConservationCheck {
  std::string name;       ///< e.g. "attempts"
  std::string equation;   ///< e.g. "attempted = established + rejected + failed + pending_at_end"
  std::string values;     ///< the numbers, e.g. "1000 = 990 + 5 + 3 + 2"
  bool ok = false;
};

/// Headline numbers of a run.
struct RunSummary {
  std::string scenario_name;
  std::string scenario_description;
  std::uint64_t seed = 0;
  std::uint64_t replication = 0;
  double simulated_seconds = 0.0;
  double wall_seconds = 0.0;               ///< host time; the only field that varies between identical runs
  std::uint64_t events_processed = 0;
  std::uint32_t servers = 0;               ///< servers at the start
  std::uint32_t total_servers = 0;         ///< servers that ever existed (with [[scaling]] additions)
  std::uint32_t max_connections_per_server = 0;  ///< the largest of the classes' limits
  std::vector<ServerClass> classes;        ///< the server classes ("default" without [[fleet.classes]])
  std::vector<std::uint32_t> server_class; ///< per server that ever existed: its index in `classes`
  std::string balancer;
  std::string backoff;
  std::uint64_t clients = 0;
  ConnectionCounts connections;
  MessageCounts messages;
  MessageCounts heartbeats;
  LatencyStats message_latency;
  LatencyStats handshake_latency;
  double cpu_mean_utilisation = 0.0;       ///< busy core-time over cpu_capacity_core_seconds
  double cpu_capacity_core_seconds = 0.0;  ///< cores x time each server was part of the fleet, s
  double cpu_peak_utilisation = 0.0;       ///< highest busy fraction of one server in one sample interval
  double peak_server_memory_mib = 0.0;     ///< highest memory of one server at a sample time
  std::uint64_t peak_connections = 0;      ///< highest fleet-wide open connections at a sample time
  std::uint64_t peak_server_connections = 0;  ///< highest open connections on one server at a sample time
  std::vector<FaultOutcome> faults;
  std::vector<DeployOutcome> deploys;       ///< one per [[deploys]] entry
  std::vector<BalancerOutcome> balancers;
  HeartbeatOutcome heartbeat;
  PubSubOutcome pubsub;
  AutoscalerOutcome autoscaler;            ///< enabled only with [autoscaler]
  TransportOutcome transport;              ///< clients per transport, polls, POSTs
  PusherFallbackOutcome pusher_fallback;   ///< pusher-js's HTTP fallback raced against the WebSocket
  SessionOpeningOutcome session_opening;   ///< the HTTP requests before each WebSocket (socketio polling, signalr negotiate)
  SignalRFallbackOutcome signalr_fallback;  ///< SignalR's fallback to Server-Sent Events and long polling
  std::vector<SiteOutcome> sites;          ///< empty without a [topology]
  std::vector<RegionOutcome> regions;      ///< empty without a [topology]
  std::vector<ConservationCheck> conservation;
};

/// A run's full result.
struct RunResult {
  RunSummary summary;
  /// One row per sample time: fleet totals.
  sim::TimeSeries fleet;
  /// One row per sample time per server.
  sim::TimeSeries servers;
  /// One row per sample time per balancer: source ports in use, refusals by cause.
  sim::TimeSeries balancers;
  /// With two or more sites, one row per sample time per site: its servers up, ready, draining and
  /// its connections (no columns otherwise).
  sim::TimeSeries sites;
  /// With two or more [[fleet.classes]], one row per sample time per class: its servers up and ready,
  /// their connections, mean and highest CPU utilisation, and the attempts they refused.
  sim::TimeSeries classes;
};

}  // namespace wsfleet::models
