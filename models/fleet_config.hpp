#pragma once
// The complete, validated description of one fleet simulation. Plain data: the scenario loader
// (experiments/) fills it from TOML; the Fleet model (models/fleet.hpp) runs it. Units are in the
// names; times in seconds here and converted to ns by the model.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/policy_params.hpp"
#include "models/pubsub/pubsub_config.hpp"
#include "models/transport/transport_config.hpp"
#include "sim/distribution.hpp"

namespace wsfleet::models {

/// [run]
struct RunConfig {
  double duration_s = 600.0;          ///< simulated time, s (> 0)
  double sample_interval_s = 1.0;     ///< time-series step, s (> 0, <= duration)
  std::uint64_t seed = 1;             ///< master seed
  std::uint64_t replication = 0;      ///< replication index (independent streams per index)
  /// One event per heartbeat and per message timer of every connection (the reference model),
  /// instead of heartbeats as a periodic load and one message stream per server.
  bool per_connection_timers = false;
  /// The most events (experiments/resource_estimate: estimate_events) a run may be estimated to
  /// need; a scenario above it is refused before it starts. 1e10 is about 40 minutes of computing.
  double max_events = 1e10;
  /// Member-wise equality (exact for doubles).
  bool operator==(const RunConfig&) const = default;
};

/// How one operation's CPU time varies around its cost.
enum class ServiceTime { Deterministic, Exponential };

/// CPU cost of each operation on a server, in microseconds of one core.
struct CpuCosts {
  double handshake_us = 1000.0;        ///< WebSocket upgrade (HTTP + TLS resumption + auth)
  double inbound_message_us = 50.0;    ///< parse and handle one client message
  double outbound_message_us = 20.0;   ///< serialise and write one message to a client
  double heartbeat_us = 5.0;           ///< handle one ping and send its pong
  ServiceTime service_time = ServiceTime::Deterministic;  ///< each job takes exactly its cost, or Exp(mean = cost)
  /// Member-wise equality (exact for doubles).
  bool operator==(const CpuCosts&) const = default;
};

/// [fleet.admission]: what a server refuses at the door to protect itself (load shedding).
struct AdmissionSection {
  double max_handshakes_per_s = 0.0;    ///< per server, beyond it new connections are refused; 0 = unlimited
  double reject_above_backlog_ms = 0.0; ///< refuse new connections while the CPU queue is longer than this; 0 = never
  double reject_us = 20.0;              ///< CPU time to refuse one (no TLS, no auth: cheap), microseconds of one core
  double retry_after_s = 0.0;           ///< the refusal's Retry-After hint: clients that honour it (clients.honour_retry_after) wait at least this long; 0 = none
  /// Member-wise equality (exact for doubles).
  bool operator==(const AdmissionSection&) const = default;
};

/// [fleet.rebalance]: servers above their share close connections so that clients move (e.g. to
/// servers added by a scale-out); the idle ones first.
struct RebalanceSection {
  double interval_s = 0.0;              ///< how often servers compare themselves with the fleet; 0 = off
  double tolerance = 0.1;               ///< a server sheds what it holds above mean x (1 + tolerance)
  std::uint32_t max_per_interval = 100; ///< connections one server closes per interval at most
  /// Member-wise equality (exact for doubles).
  bool operator==(const RebalanceSection&) const = default;
};

/// [[fleet.classes]]: a kind of server (a machine size). The fleet's servers are assigned to the
/// classes in index order: the first class's `servers` are servers 0 .. n-1, and so on. A class's
/// keys default to the [fleet] keys of the same name.
struct ServerClass {
  std::string name;                           ///< unique, for results and keys (fleet.classes.NAME.servers)
  std::uint32_t servers = 1;                  ///< servers of this class at the start (>= 1)
  std::uint32_t max_connections = 20000;      ///< hard limit per server
  std::uint32_t cpu_cores = 1;                ///< cores per server
  double base_memory_mib = 256.0;             ///< memory of an idle server process, MiB
  double memory_per_connection_kib = 64.0;    ///< resident memory per open connection, KiB
  double weight = 1.0;                        ///< balancer weight of each server (> 0)
  double cost_per_hour = 0.0;                 ///< price of one server per hour (any currency; for plans and reports)
  double memory_limit_mib = 0.0;              ///< a server above this memory is killed (out of memory); 0 = no limit
  /// Member-wise equality (exact for doubles).
  bool operator==(const ServerClass&) const = default;
};

/// [fleet]: servers behind one balancer: identical, or of several [[fleet.classes]].
struct FleetSection {
  std::uint32_t servers = 10;                 ///< number of servers (>= 1)
  std::uint32_t max_connections = 20000;      ///< hard limit per server; attempts beyond it are rejected
  std::uint32_t cpu_cores = 1;                ///< cores per server; the CPU queue is served by this many cores
  double memory_per_connection_kib = 64.0;    ///< resident memory per open connection, KiB
  double base_memory_mib = 256.0;             ///< memory of an idle server process, MiB
  std::vector<double> weights;                ///< per-server balancer weight; empty = all 1 (not with classes)
  double cost_per_hour = 0.0;                 ///< price of one server per hour (the default of the classes' cost_per_hour)
  std::vector<ServerClass> classes;           ///< [[fleet.classes]]; empty = one class of identical servers.
                                              ///< With classes, `servers` is the sum of their servers.
  CpuCosts cpu;                               ///< [fleet.cpu]
  double idle_close_s = 0.0;                  ///< servers close connections without a data message (either way) for this long; pings do not count; 0 = never
  AdmissionSection admission;                 ///< [fleet.admission]
  RebalanceSection rebalance;                 ///< [fleet.rebalance]
  double memory_limit_mib = 0.0;              ///< a server whose memory exceeds this is killed (out of memory); 0 = no limit (the default of the classes' memory_limit_mib)
  double restart_s = 10.0;                    ///< a server killed for memory is back this long after, s
  /// Member-wise equality (exact for doubles).
  bool operator==(const FleetSection&) const = default;
};

/// What a client does when its session ends normally.
enum class SessionEnd { Leave, Reconnect };

/// clients.upgrade_from_polling: does a session open on HTTP long polling and upgrade to WebSocket
/// (Engine.IO's default transports ["polling", "websocket", "webtransport"])?
enum class UpgradeFromPolling {
  Preset,  ///< as the backoff preset's library does: yes for socketio, no otherwise
  On,      ///< every attempt opens on polling and upgrades (transports ["polling", "websocket"])
  Off,     ///< straight to WebSocket (socket.io-client with transports: ["websocket"])
};

/// clients.pusher_fallback: does an attempt race pusher-js's HTTP fallback transport against its
/// WebSocket (models/transport/pusher_fallback.hpp)?
enum class PusherFallback {
  Preset,  ///< as the backoff preset's library does in a browser: yes for pusher, no otherwise
  On,      ///< every attempt races the fallback (with the backoff policy's own attempt timeouts)
  Off,     ///< WebSocket only (pusher-js with enabledTransports: ["ws"], or outside a browser)
};

/// clients.honour_retry_after: does a client refused by a shedding server ([fleet.admission]) wait for
/// its Retry-After (retry_after_s) before its next attempt?
enum class HonourRetryAfter {
  Preset,  ///< as the backoff preset's library does (ClientPresetInfo::honours_retry_after); yes for the generic policies
  On,      ///< every client waits at least retry_after_s (or its backoff, if longer)
  Off,     ///< no client reads the hint: its backoff alone decides
};

/// clients.pusher_fallback_transport: the HTTP transport pusher-js falls back to.
enum class PusherFallbackTransport {
  XhrStreaming,  ///< xhr_streaming (a held HTTP response stream, messages as POSTs): the project's SSE transport
  XhrPolling,    ///< xhr_polling (long polling): the project's long-polling transport
};

/// clients.signalr_transport: the transports a SignalR client allows (its `transport` option, a mask
/// of HttpTransportType flags WebSockets = 1, ServerSentEvents = 2, LongPolling = 4): the value's
/// index + 1 is the mask (models/transport/signalr_fallback.hpp).
enum class SignalRTransport : std::uint8_t {
  WebSockets,                   ///< 1
  ServerSentEvents,             ///< 2
  WebSocketsServerSentEvents,   ///< 1 | 2
  LongPolling,                  ///< 4
  WebSocketsLongPolling,        ///< 1 | 4
  ServerSentEventsLongPolling,  ///< 2 | 4
  All,                          ///< 1 | 2 | 4: the option left unset (every transport the server offers)
};

/// clients.signalr_transport's values, by SignalRTransport: the scenario key's choices and the
/// summary's signalr_fallback.transports.
inline const std::vector<std::string>& signalr_transport_names() {
  static const std::vector<std::string> names = {"websockets",
                                                 "server_sent_events",
                                                 "websockets|server_sent_events",
                                                 "long_polling",
                                                 "websockets|long_polling",
                                                 "server_sent_events|long_polling",
                                                 "websockets|server_sent_events|long_polling"};
  return names;
}

/// The connect timeout of a client whose backoff policy brings none and whose scenario gives none, s.
inline constexpr double kDefaultConnectTimeoutS = 10.0;

/// [clients]
struct ClientsSection {
  std::uint64_t count = 100000;                          ///< clients in the population
  double ramp_s = 60.0;                                  ///< first connection times: Poisson process, all within [0, ramp_s]
  sim::Distribution session_s = sim::Distribution::never();  ///< session length, s
  SessionEnd on_session_end = SessionEnd::Leave;         ///< leave the population, or open a new session at once
  double messages_per_minute = 1.0;                      ///< inbound messages per client (Poisson), 0 = none
  double replies_per_message = 1.0;                      ///< outbound messages the server sends per inbound one
  double message_bytes = 256.0;                          ///< mean size of one message on the wire, bytes
  double heartbeat_interval_s = 25.0;                    ///< ping interval per connection, 0 = off ([heartbeat] has the rest)
  double vanish_share = 0.0;                             ///< of sessions that end, those that end silently (the network
                                                         ///< drops): the server keeps a half-open connection until it notices
  /// A handshake not done within this fails, s. No value (the key left out): the backoff preset's
  /// own per-attempt timeout (models/backoff/presets/connect_timeout.hpp), else kDefaultConnectTimeoutS.
  std::optional<double> connect_timeout_s;
  double offline_mean_s = 0.0;                           ///< a client whose session ended silently (vanish_share) stays offline
                                                         ///< for an exponential time with this mean before it reconnects
                                                         ///< (on_session_end = "reconnect"), s; 0 = at once
  double wave_share = 0.0;                               ///< share of the clients whose first connection comes in a wave
                                                         ///< (a push notification) instead of the ramp, 0 = none
  double wave_at_s = 0.0;                                ///< when the wave starts, s
  double wave_window_s = 10.0;                           ///< the wave's clients arrive uniformly within this, s
  /// Whether each attempt first opens an Engine.IO session on HTTP long polling and then upgrades
  /// (models/transport/session_opening.hpp).
  UpgradeFromPolling upgrade_from_polling = UpgradeFromPolling::Preset;
  bool skip_negotiation = false;                         ///< SignalR (backoff.policy = signalr): no POST /negotiate
                                                         ///< before the WebSocket (skipNegotiation, WebSockets only)
  /// SignalR (backoff.policy = signalr): the transports the client tries, in the server's order
  /// WebSockets, ServerSentEvents, LongPolling, each after the previous one failed to start.
  SignalRTransport signalr_transport = SignalRTransport::All;
  bool remember_upgrade = false;                         ///< socket.io (engine.io-client rememberUpgrade): after a successful
                                                         ///< upgrade, the next connection goes straight to WebSocket
  PusherFallback pusher_fallback = PusherFallback::Preset;  ///< race pusher-js's HTTP fallback against the WebSocket
  double pusher_fallback_delay_s = 2.0;                  ///< the fallback starts this long after the attempt (useTLS: 2 s; non-TLS 5 s)
  PusherFallbackTransport pusher_fallback_transport = PusherFallbackTransport::XhrStreaming;
  double pusher_transport_cache_ttl_s = 1800.0;          ///< how long the transport that connected last is tried first; 0 = no cache
  HonourRetryAfter honour_retry_after = HonourRetryAfter::Preset;  ///< wait for a shedding server's Retry-After
  /// Member-wise equality (exact for doubles).
  bool operator==(const ClientsSection&) const = default;
};

/// How a balancer learns that a backend is down or back.
enum class HealthCheckMode {
  Active,   ///< periodic probes: `fall` consecutive failures mark it down, `rise` successes mark it up
  Instant,  ///< an oracle: the balancer knows at once (for theory checks and best-case baselines)
  None,     ///< no probes: only passive failure detection (open-source NGINX)
};

/// [balancer.health_check]: active health checks (HAProxy `check inter fall rise`, ALB target groups).
struct HealthCheckSection {
  HealthCheckMode mode = HealthCheckMode::Active;
  double interval_s = 2.0;   ///< between probes of one backend, s (HAProxy `inter` 2000ms)
  double timeout_s = 2.0;    ///< a probe not answered within this fails, s (HAProxy: `inter` when `timeout check` is unset)
  std::uint32_t fall = 3;    ///< consecutive failed probes that mark a backend down
  std::uint32_t rise = 2;    ///< consecutive passed probes that mark it up again
  /// Member-wise equality (exact for doubles).
  bool operator==(const HealthCheckSection&) const = default;
};

/// [balancer.passive]: failures seen on real connection attempts (NGINX `max_fails`/`fail_timeout`).
struct PassiveSection {
  std::uint32_t max_fails = 0;     ///< failed tries within fail_timeout_s that take a backend out, 0 = off
  double fail_timeout_s = 10.0;    ///< the window that counts failures, and how long the backend stays out, s
  /// Member-wise equality (exact for doubles).
  bool operator==(const PassiveSection&) const = default;
};

/// How a (re)joining backend's weight ramps up.
enum class SlowStartCurve {
  Linear,  ///< HAProxy `slowstart`: from 1/16 of the weight to all of it over the window, 1 s steps
  Power,   ///< Envoy: max((t / window)^(1 / aggression), min_weight_percent / 100)
};

/// [balancer.slow_start]
struct SlowStartSection {
  double window_s = 0.0;                        ///< ramp length, s; 0 = off
  SlowStartCurve curve = SlowStartCurve::Linear;
  double aggression = 1.0;                      ///< Power curve only (> 0)
  double min_weight_percent = 10.0;             ///< Power curve only: the floor of the ramp, % of the weight
  /// Member-wise equality (exact for doubles).
  bool operator==(const SlowStartSection&) const = default;
};

/// Session affinity.
enum class Stickiness {
  None,      ///< every connection is balanced afresh
  Cookie,    ///< the client remembers its server (a cookie) and goes back to it while the balancer thinks it is up
  SourceIp,  ///< each balancer remembers the server per client address (a stick table); lost if the balancer fails
};

/// Which side sends the pings.
enum class HeartbeatSender { Client, Server };
/// When pings are sent.
enum class HeartbeatMode {
  Periodic,  ///< every interval, whatever else flows (Socket.IO, Phoenix, Centrifugo, SignalR, Ably)
  WhenIdle,  ///< only after `interval` without any frame (pusher-js activityTimeout, uWebSockets auto ping)
};

/// [heartbeat]: ping/pong and dead-peer detection (the interval is clients.heartbeat_interval_s).
struct HeartbeatSection {
  std::string preset;                            ///< the library whose defaults these are ("" = none)
  HeartbeatSender sender = HeartbeatSender::Client;
  HeartbeatMode mode = HeartbeatMode::Periodic;
  double timeout_s = 20.0;       ///< the sender closes a connection whose pong has not come back within this, s
  double peer_timeout_s = 0.0;   ///< the receiver closes a connection that sent no ping for this long, s; 0 = never
  double frame_bytes = 132.0;    ///< a ping and its pong on the wire (two minimal frames with TCP/IP headers), bytes
  /// Member-wise equality (exact for doubles).
  bool operator==(const HeartbeatSection&) const = default;
};

/// [balancer]: one or more identical balancers side by side (a tier); clients reach one of them by
/// DNS round robin.
struct BalancerSection {
  std::string policy = "round_robin";   ///< a registered balancing policy
  Params params;                        ///< its parameters (validated)
  std::uint32_t count = 1;              ///< balancers in the tier (>= 1)
  std::uint32_t tries = 1;              ///< backends tried per connection when a try fails (NGINX proxy_next_upstream_tries); 0 = all
  std::uint32_t max_connections_per_backend = 0;  ///< per balancer (NGINX max_conns, HAProxy maxconn); 0 = unlimited
  double max_new_connections_per_s = 0.0;         ///< per balancer, beyond it new connections are refused; 0 = unlimited
  std::uint32_t source_ports = 28232;   ///< usable source ports per (balancer address, backend): Linux 32768-60999; 0 = unlimited
  std::uint32_t source_addresses = 1;   ///< source IP addresses each balancer connects from
  double metrics_interval_s = 5.0;      ///< how often load reports (CPU, response time, traffic) reach the balancer, s
  Stickiness sticky = Stickiness::None;
  double failover_s = 30.0;             ///< after a balancer fails, clients keep resolving to it this long (DNS TTL), s
  double idle_timeout_s = 0.0;          ///< the balancer cuts a connection with no frame for this long (ALB 60 s, NGINX proxy_read_timeout); 0 = never
  /// The balancer's own connect to a server that does not answer (a site_partition) fails after this
  /// and the balancer tries the next backend (tries) or answers the client with an error: NGINX
  /// proxy_connect_timeout 60 s, Envoy connect_timeout 5 s, ALB 10 s, generic 5 s (HAProxy presets:
  /// their timeout_connect_s). 0 = an L4 forwarder (IPVS): the client's SYN goes on to the server and
  /// only the client's own connect timeout ends the attempt. s.
  double connect_timeout_s = 5.0;
  HealthCheckSection health_check;
  PassiveSection passive;
  SlowStartSection slow_start;
  /// Member-wise equality (exact for doubles).
  bool operator==(const BalancerSection&) const = default;
};

/// [backoff]
struct BackoffSection {
  std::string policy = "full_jitter";   ///< a registered backoff policy
  Params params;                        ///< its parameters (validated)
  /// Member-wise equality (exact for doubles).
  bool operator==(const BackoffSection&) const = default;
};

/// What a fault takes down.
enum class FaultTarget { Server, Balancer, Site, Broker, WebSocketBlock, SlowServer, HandshakeBlackhole, HealthFlap, LinkDegrade,
                         SitePartition, DroppedMessages, LinkLoss, LinkDown };

/// [[faults]]: one crash of a server (type "crash"), a balancer (type "balancer_crash"), every
/// server of a site (type "site_crash"), the pub/sub broker (type "broker_outage"), or an incident
/// that breaks WebSocket for a share of the clients (type "websocket_block": they fall back to long
/// polling, docs/transports.md).
struct CrashFault {
  std::uint32_t server = 0;                   ///< 0-based server index (target Server)
  double at_s = 0.0;                          ///< when it crashes, s
  std::optional<double> recover_after_s;      ///< it comes back this long after the crash (empty = never)
  FaultTarget target = FaultTarget::Server;
  std::uint32_t balancer = 0;                 ///< 0-based balancer index (target Balancer)
  std::string site;                           ///< site name (target Site): every server there crashes
  double share = 1.0;                         ///< target WebSocketBlock: the share of the clients whose WebSocket breaks (0, 1]
  double factor = 2.0;                        ///< target SlowServer: the server does 1/factor of its work per second (> 1)
  double period_s = 20.0;                     ///< target HealthFlap: its health fails the first half of every period, s
  double latency_ms = 100.0;                  ///< target LinkDegrade: latency added to every region's path to the site, ms
  double loss = 0.1;                          ///< target DroppedMessages: share of inbound frames dropped; LinkLoss: packet loss probability
  std::string region;                         ///< target LinkDown: the region cut off from the site ("" = every region)
  /// A crash of one server.
  static CrashFault of_server(std::uint32_t server, double at_s, std::optional<double> recover_after_s = std::nullopt) {
    CrashFault f;
    f.server = server;
    f.at_s = at_s;
    f.recover_after_s = recover_after_s;
    return f;
  }
  /// Member-wise equality (exact for doubles).
  bool operator==(const CrashFault&) const = default;
};

/// [[scaling]]: servers join or leave at a given time.
struct ScalingEvent {
  double at_s = 0.0;                 ///< when, s
  std::uint32_t add = 0;             ///< new servers that join (beyond fleet.servers and earlier additions)
  std::uint32_t remove = 0;          ///< running servers drained and removed, the highest-numbered first
  double drain_timeout_s = 30.0;     ///< removed servers close their remaining connections after this, s
  double weight = 1.0;               ///< balancer weight of the added servers
  std::string server_class;          ///< [[fleet.classes]] name of the added servers ("" = the last class)
  // Under [autoscaler] an entry is a scheduled action instead (AWS scheduled scaling): new bounds for
  // the autoscaler from at_s on; add and remove are refused there (an HPA overrides a manual scale).
  std::optional<double> min_replicas;  ///< the autoscaler's new minimum (count)
  std::optional<double> max_replicas;  ///< the autoscaler's new maximum (count)
  std::string site;                  ///< with [[topology.sites]]: the site whose autoscaler it bounds ("" = every site)
  bool is_scheduled_action() const { return min_replicas.has_value() || max_replicas.has_value(); }
  /// Member-wise equality (exact for doubles).
  bool operator==(const ScalingEvent&) const = default;
};

/// How a [[deploys]] entry replaces the servers.
enum class DeployStrategy : std::uint8_t {
  Rolling,    ///< Kubernetes RollingUpdate: max_surge / max_unavailable
  BlueGreen,  ///< a whole new set is started; the balancers switch to it once every new server is available
  Canary,     ///< a rolling update that stops at `canary` new servers for canary_hold_s, then completes
};

/// What a terminating server does when SIGTERM arrives (after its preStop hook).
enum class SigtermAction : std::uint8_t {
  Close,   ///< closes every connection at once (WebSocket close 1001) and exits
  Spread,  ///< closes its connections evenly over the rest of the grace period, then exits
  Ignore,  ///< keeps serving; SIGKILL at the end of the grace period cuts what is left
};

/// [[deploys]]: a new version of the servers rolled out during the run, as the Kubernetes Deployment
/// controller does it (pkg/controller/deployment/rolling.go), with the pods' termination lifecycle
/// (preStop hook, SIGTERM, terminationGracePeriodSeconds, SIGKILL).
struct DeployEvent {
  double at_s = 0.0;                          ///< when the rollout starts, s
  DeployStrategy strategy = DeployStrategy::Rolling;
  double max_surge = 25.0;                    ///< extra servers above the replicas (a count, or a percent when max_surge_percent)
  bool max_surge_percent = true;
  double max_unavailable = 25.0;              ///< servers below the replicas allowed unavailable (count, or percent)
  bool max_unavailable_percent = true;
  double ready_after_s = 10.0;                ///< a new server's boot, image pull and readiness probe, s
  double ready_jitter_s = 0.0;                ///< plus a uniform draw in [0, this), per server, s
  double min_ready_s = 0.0;                   ///< minReadySeconds: ready this long before it counts as available, s
  double prestop_s = 0.0;                     ///< the preStop hook (e.g. sleep), s; capped by grace_s
  double grace_s = 30.0;                      ///< terminationGracePeriodSeconds, from the deletion, s
  SigtermAction on_sigterm = SigtermAction::Close;
  double canary = 10.0;                       ///< strategy "canary": new servers before the hold (count or percent)
  bool canary_percent = true;
  double canary_hold_s = 60.0;                ///< strategy "canary": how long the canary runs before the rest, s
  /// One Deployment per topology site, each with its own maxSurge/maxUnavailable rounding (true), or
  /// one spread over the sites (false); empty ("auto"): per site when each site has its own autoscaler.
  std::optional<bool> per_site;
  /// Member-wise equality (exact for doubles).
  bool operator==(const DeployEvent&) const = default;
};

/// A count given as an absolute number or a percent of `total`, as Kubernetes' IntOrString with
/// GetScaledValueFromIntOrPercent: a percent rounds up or down as asked.
inline std::uint32_t scaled_count(double value, bool percent, std::uint32_t total, bool round_up) {
  if (!percent) return static_cast<std::uint32_t>(value);
  const double v = value * static_cast<double>(total) / 100.0;
  // A tiny tolerance keeps e.g. 10 % of 30 at exactly 3 (floating point gives 3.0000000000000004).
  const double r = round_up ? std::ceil(v - 1e-9) : std::floor(v + 1e-9);
  return static_cast<std::uint32_t>(std::max(0.0, r));
}

/// What an [autoscaler] observes of each server: its metric and the capacity a utilization target
/// divides it by.
enum class AutoscalerMetric : std::uint8_t {
  Cpu,            ///< cores busy over the sync period; capacity: the server's cores
  Connections,    ///< open connections; capacity: its connection limit
  Memory,         ///< MiB (process, connections, send buffers); capacity: its memory limit, else its memory when full
  BufferedBytes,  ///< bytes in its send buffers ([pubsub]); capacity: 1 (use an average-value target)
  P99Latency,     ///< 99th percentile of its message latency over the sync period, ms; capacity: 1 (an average-value target)
};

/// [[autoscaler.sites]]: one site's own bounds (with [[topology.sites]], each site has its own autoscaler).
struct AutoscalerSite {
  std::string site;                    ///< a [[topology.sites]] name
  std::optional<double> min_replicas;  ///< its minimum (count); unset: the [autoscaler] setting
  std::optional<double> max_replicas;  ///< its maximum (count); unset: the [autoscaler] setting
  /// Member-wise equality (exact for doubles).
  bool operator==(const AutoscalerSite&) const = default;
};

/// [autoscaler]: a controller of models/autoscaling adds and removes servers of one class from what it
/// observes. Off unless `policy` is set. With [[topology.sites]] every site has its own controller of
/// the same policy, over the site's own servers (one HPA per cluster), bounded by its own min and max.
struct AutoscalerSection {
  std::string policy;                     ///< a registered autoscaling policy; "" = no autoscaler
  Params params;                          ///< its parameters (validated)
  AutoscalerMetric metric = AutoscalerMetric::Cpu;
  std::string server_class;               ///< [[fleet.classes]] name of the servers it adds ("" = the last class)
  sim::Distribution provisioning_s = sim::Distribution::constant(60.0);  ///< boot and image pull, s
  double readiness_delay_s = 10.0;        ///< from its container start to its readiness probe passing, s
  double drain_timeout_s = 30.0;          ///< a removed server closes what it still holds after this, s
  std::vector<AutoscalerSite> sites;      ///< per-site bounds (only with [[topology.sites]])
  bool enabled() const { return !policy.empty(); }
  /// The policy's name of its minimum (KEDA: min_replica_count).
  std::string min_key() const { return policy == "keda" ? "min_replica_count" : "min_replicas"; }
  /// The parameters of the controller of site `site` ("" = the whole fleet): the section's, with the
  /// site's [[autoscaler.sites]] bounds.
  Params site_params(const std::string& site) const {
    Params p = params;
    for (const AutoscalerSite& s : sites) {
      if (s.site != site) continue;
      if (s.min_replicas) p[min_key()] = *s.min_replicas;
      if (s.max_replicas) p["max_replicas"] = *s.max_replicas;
    }
    return p;
  }
  // Its server slots: FleetConfig::autoscaler_slots (twice the largest max_replicas: servers draining
  // still hold theirs).
  /// Member-wise equality (exact for doubles).
  bool operator==(const AutoscalerSection&) const = default;
};

/// [[topology.links]]: a network link between two named places, with its one-way latency.
struct TopologyLink {
  std::string a, b;            ///< node names (regions, points of presence, sites)
  double latency_ms = 0.0;     ///< one-way latency, ms (>= 0)
  /// Member-wise equality (exact for doubles).
  bool operator==(const TopologyLink&) const = default;
};

/// [[topology.sites]]: a data centre holding the next `servers` servers (in index order) and its
/// own balancer tier. Either every site gives `servers`, or every site gives a `share` of the fleet
/// (then the counts follow fleet.servers: see models::site_server_counts).
struct TopologySite {
  std::string name;            ///< a node of the graph
  std::uint32_t servers = 0;   ///< how many servers it holds (>= 1), when share is 0
  double share = 0.0;          ///< fraction of every server that exists (0, 1]; 0 = `servers` gives the count
  /// Member-wise equality (exact for doubles).
  bool operator==(const TopologySite&) const = default;
};

/// [[topology.regions]]: where a share of the clients are.
struct TopologyRegion {
  std::string name;            ///< a node of the graph
  double share = 0.0;          ///< fraction of the clients (the shares add up to 1)
  /// Member-wise equality (exact for doubles).
  bool operator==(const TopologyRegion&) const = default;
};

/// [topology]: regions, points of presence and sites as a graph with link latencies. Clients go
/// to the nearest site (by shortest path) that has a server its balancers consider up. Empty =
/// one site holding every server, clients at zero distance.
struct TopologySection {
  std::vector<TopologyLink> links;
  std::vector<TopologySite> sites;
  std::vector<TopologyRegion> regions;
  bool enabled() const { return !sites.empty(); }
  /// Member-wise equality (exact for doubles).
  bool operator==(const TopologySection&) const = default;
};

/// [alerts]: Prometheus rules files evaluated on the run's series by `wsfleet alerts` and the
/// report (python/wsfleet/alerts.py). Not used by the engine; carried so that the run directory's
/// scenario.toml names them.
struct AlertsSection {
  std::string rules;  ///< rules file, absolute (the loader resolves it against the scenario's folder); "" = none
  bool operator==(const AlertsSection&) const = default;
};

/// A whole scenario.
struct FleetConfig {
  std::string name = "scenario";        ///< [scenario] name, for reports
  std::string description;              ///< [scenario] description, for reports
  RunConfig run;
  FleetSection fleet;
  ClientsSection clients;
  BalancerSection balancer;
  BackoffSection backoff;
  HeartbeatSection heartbeat;
  std::vector<CrashFault> faults;
  std::vector<ScalingEvent> scaling;
  std::vector<DeployEvent> deploys;
  TopologySection topology;
  PubSubSection pubsub;
  TransportSection transport;
  AlertsSection alerts;
  AutoscalerSection autoscaler;
  /// Servers before any deploy: fleet.servers plus every [[scaling]] add.
  std::uint32_t base_servers() const {
    std::uint64_t n = fleet.servers;
    for (const auto& e : scaling) n += e.add;
    return static_cast<std::uint32_t>(n);
  }
  /// The server slots the [autoscaler]'s controller of site `site` ("" = the whole fleet) reserves:
  /// twice the largest maximum it may have (its own, or a [[scaling]] scheduled action's).
  std::uint32_t autoscaler_slots_of(const std::string& site) const {
    const Params p = autoscaler.site_params(site);
    const auto it = p.find("max_replicas");
    double most = it == p.end() ? 0.0 : it->second;
    for (const ScalingEvent& e : scaling) {
      if (e.max_replicas && (site.empty() || e.site.empty() || e.site == site)) most = std::max(most, *e.max_replicas);
    }
    return 2u * static_cast<std::uint32_t>(most);
  }
  /// The [autoscaler]'s server slots per [[topology.sites]] site; empty without an autoscaler or sites.
  std::vector<std::uint32_t> autoscaler_site_slots() const {
    std::vector<std::uint32_t> out;
    if (!autoscaler.enabled() || !topology.enabled()) return out;
    for (const TopologySite& s : topology.sites) out.push_back(autoscaler_slots_of(s.name));
    return out;
  }
  /// Every server slot the [autoscaler] reserves.
  std::uint32_t autoscaler_slots() const {
    if (!autoscaler.enabled()) return 0;
    if (!topology.enabled()) return autoscaler_slots_of("");
    std::uint64_t n = 0;
    for (std::uint32_t k : autoscaler_site_slots()) n += k;
    return static_cast<std::uint32_t>(n);
  }
  /// Servers that ever exist: the base servers, plus a new set of them per [[deploys]] entry (each
  /// deploy starts new servers, as a Deployment starts new pods: server indices are never reused),
  /// then the [autoscaler]'s slots (with sites: each site's slots follow its own servers).
  /// With [[topology.sites]] a deploy needs an [autoscaler] (one per site) and its new servers take
  /// the sites' autoscaler slots: no new set is reserved.
  std::uint32_t total_servers() const {
    return static_cast<std::uint32_t>(static_cast<std::uint64_t>(base_servers()) * (1 + deploy_sets()) + autoscaler_slots());
  }
  /// The sets of new servers reserved for [[deploys]] (one per entry; none with sites: see total_servers).
  std::size_t deploy_sets() const { return topology.enabled() ? 0 : deploys.size(); }
  /// Member-wise equality (exact for doubles).
  bool operator==(const FleetConfig&) const = default;
};

}  // namespace wsfleet::models
