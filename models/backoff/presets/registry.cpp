// The client-library reconnect presets, registered explicitly (they join the generic policies in
// models/backoff/registry.cpp). Parameters are the libraries' options, in seconds; defaults are the
// libraries' own.
#include "models/backoff/backoff_entry.hpp"
#include "models/backoff/presets/ably_backoff.hpp"
#include "models/backoff/presets/aws_standard_backoff.hpp"
#include "models/backoff/presets/centrifuge_backoff.hpp"
#include "models/backoff/presets/grpc_backoff.hpp"
#include "models/backoff/presets/phoenix_backoff.hpp"
#include "models/backoff/presets/pusher_backoff.hpp"
#include "models/backoff/presets/reconnecting_websocket_backoff.hpp"
#include "models/backoff/presets/signalr_backoff.hpp"
#include "models/backoff/presets/socketio_backoff.hpp"

namespace wsfleet::models {

namespace {

constexpr double kMaxS = kMaxBackoffDelayS;
constexpr double kMinS = kMinBackoffDelayS;

/// A delay parameter in seconds: > 0 (or >= 0 with `zero_ok`) and at most a day.
ParamSpec seconds(const char* name, double value, const char* help, bool zero_ok = false) {
  return {name, value, zero_ok ? 0.0 : kMinS, kMaxS, false, help};
}
/// A whole count in [low, 1e6].
ParamSpec count(const char* name, double value, double low, const char* help) { return {name, value, low, 1e6, true, help}; }

sim::SimTime ns(const Params& p, const char* name) { return sim::from_seconds(p.at(name)); }
double ms(const Params& p, const char* name) { return p.at(name) * 1e3; }
std::uint32_t whole(const Params& p, const char* name) { return static_cast<std::uint32_t>(p.at(name)); }

std::vector<BackoffEntry> make_entries() {
  std::vector<BackoffEntry> entries;
  entries.push_back(
      {{"socketio",
        "socket.io-client 4.x: min(delay * 2^n with one random number setting the jitter's size and sign, max), whole ms",
        {seconds("reconnection_delay_s", 1.0, "reconnectionDelay: the first retry's delay before jitter (s)"),
         seconds("reconnection_delay_max_s", 5.0, "reconnectionDelayMax: largest delay (s)"),
         {"randomization_factor", 0.5, 0.0, 1.0, false, "randomizationFactor: jitter as a share of the delay, 0 = none"},
         ParamSpec{"max_retries", 0.0, 0.0, 1e6, true, "reconnectionAttempts: retries before giving up, 0 = unlimited (count)"}}},
       [](const Params& p) {
         return std::make_unique<SocketIoBackoff>(ms(p, "reconnection_delay_s"), ms(p, "reconnection_delay_max_s"),
                                                  p.at("randomization_factor"), max_retries_of(p));
       }});
  entries.push_back(
      {{"signalr",
        "SignalR JS DefaultReconnectPolicy: 0, 2, 10, 30 s after a lost connection, then gives up; a failed start is not retried",
        {{"retry_failed_start", 0.0, 0.0, 1.0, true,
          "1 = also retry a failed start() with the same delays (what applications add by hand), 0 = give up (flag)"}}},
       [](const Params& p) { return std::make_unique<SignalRBackoff>(p.at("retry_failed_start") != 0.0); }});
  entries.push_back(
      {{"ably",
        "ably-js: lost connection -> at once (at most 1/s); then 15 s * min((n+2)/3, 2) * (1 - 0.2 random); "
        "suspended after 120 s -> every 30 s",
        {seconds("disconnected_retry_timeout_s", 15.0, "disconnectedRetryTimeout: base of the disconnected retries (s)"),
         seconds("suspended_retry_timeout_s", 30.0, "suspendedRetryTimeout: retry interval once suspended, no jitter (s)"),
         seconds("connection_state_ttl_s", 120.0, "connectionStateTtl: time without a connection before suspended (s)")}},
       [](const Params& p) {
         return std::make_unique<AblyBackoff>(ns(p, "disconnected_retry_timeout_s"), ns(p, "suspended_retry_timeout_s"),
                                              ns(p, "connection_state_ttl_s"));
       }});
  entries.push_back(
      {{"phoenix",
        "Phoenix JS: 10, 50, 100, 150, 200, 250, 500, 1000, 2000 ms, then 5000 ms; no jitter; with [pubsub] each "
        "channel joins on every connection, a failed join again after 1, 2, 5, then 10 s",
        {{"rejoin_channels", 1.0, 0.0, 1.0, true,
          "1 = with [pubsub], each of a client's channels sends a join (pubsub.join_us of server CPU) when the socket "
          "opens and a failed join is sent again after rejoinAfterMs 1, 2, 5, then 10 s; 0 = no joins (flag)"},
         seconds("timeout_s", 10.0, "the socket's timeout (DEFAULT_TIMEOUT): a join without a reply by then has failed (s)")}},
       [](const Params& p) { return std::make_unique<PhoenixBackoff>(p.at("rejoin_channels") != 0.0, ns(p, "timeout_s")); }});
  entries.push_back(
      {{"reconnecting_websocket",
        "reconnecting-websocket 4.4: min * 1.3^(k-1) up to 10 s, min = 1 + 4 random s drawn once per client; "
        "count reset after 5 s up",
        {seconds("min_reconnection_delay_s", 1.0, "fixed part of minReconnectionDelay (s)"),
         {"min_reconnection_delay_spread_s", 4.0, 0.0, kMaxS, false,
          "random part of minReconnectionDelay, drawn once per client: min = fixed + random() * spread (s)"},
         seconds("max_reconnection_delay_s", 10.0, "maxReconnectionDelay: largest delay (s)"),
         {"reconnection_delay_grow_factor", 1.3, 1.0, 100.0, false, "reconnectionDelayGrowFactor: growth per retry"},
         seconds("min_uptime_s", 5.0, "minUptime: a connection open this long resets the retry count (s)", true),
         ParamSpec{"max_retries", 0.0, 0.0, 1e6, true, "maxRetries: retries before giving up, 0 = unlimited (count)"}}},
       [](const Params& p) {
         return std::make_unique<ReconnectingWebSocketBackoff>(
             ns(p, "min_reconnection_delay_s"), ns(p, "min_reconnection_delay_spread_s"), ns(p, "max_reconnection_delay_s"),
             p.at("reconnection_delay_grow_factor"), ns(p, "min_uptime_s"), max_retries_of(p));
       }});
  entries.push_back(
      {{"centrifuge", "centrifuge-js: min(max, min + randInt(0, min(max, min * 2^step))) ms, step capped at 31",
        {seconds("min_reconnect_delay_s", 0.5, "minReconnectDelay (s)"),
         seconds("max_reconnect_delay_s", 20.0, "maxReconnectDelay, >= min_reconnect_delay_s (s)")}},
       [](const Params& p) {
         require_not_below("centrifuge", p, "max_reconnect_delay_s", "min_reconnect_delay_s");
         return std::make_unique<CentrifugeBackoff>(ms(p, "min_reconnect_delay_s"), ms(p, "max_reconnect_delay_s"));
       }});
  entries.push_back(
      {{"pusher",
        "pusher-js: 1 s after a lost connection; a failed attempt waits for its timeout (15 s, doubling to 60 s) from its start",
        {seconds("closed_retry_s", 1.0, "delay before reconnecting after an established connection closed (s)", true),
         seconds("timeout_s", 15.0, "the first attempt's timeout; a failed attempt's successor starts then (s)"),
         seconds("timeout_limit_s", 60.0, "timeoutLimit: largest attempt timeout (s)")}},
       [](const Params& p) {
         return std::make_unique<PusherBackoff>(ns(p, "closed_retry_s"), ns(p, "timeout_s"), ns(p, "timeout_limit_s"));
       }});
  entries.push_back(
      {{"grpc",
        "gRPC connection backoff: from each attempt's start, 1 s (no jitter), then b = min(1.6 b, 120 s) +- 20 %",
        {seconds("initial_backoff_s", 1.0, "INITIAL_BACKOFF: the first attempt's backoff, no jitter (s)"),
         {"multiplier", 1.6, 1.0, 100.0, false, "MULTIPLIER: growth of the backoff per attempt"},
         {"jitter", 0.2, 0.0, 0.99, false, "JITTER: the backoff varies uniformly by +- this share"},
         seconds("max_backoff_s", 120.0, "MAX_BACKOFF: largest backoff before jitter, >= initial_backoff_s (s)"),
         {"jitter_first", 0.0, 0.0, 1.0, true,
          "1 = jitter the first backoff too (C-core, Java: 0.8-1.2 s), 0 = the protocol document and grpc-go (flag)"},
         {"from_attempt_start", 1.0, 0.0, 1.0, true,
          "1 = wait until the attempt's start + backoff (document, C-core, Java), 0 = backoff after the failure "
          "(grpc-go) (flag)"},
         seconds("min_connect_timeout_s", kGrpcMinConnectTimeoutS,
                 "MIN_CONNECT_TIMEOUT: an attempt's timeout is max(this, its backoff), when the scenario leaves "
                 "clients.connect_timeout_s out (s)")}},
       [](const Params& p) {
         require_not_below("grpc", p, "max_backoff_s", "initial_backoff_s");
         return std::make_unique<GrpcBackoff>(ns(p, "initial_backoff_s"), p.at("multiplier"), p.at("jitter"),
                                              ns(p, "max_backoff_s"), p.at("jitter_first") != 0.0,
                                              p.at("from_attempt_start") != 0.0, ns(p, "min_connect_timeout_s"));
       }});
  entries.push_back(
      {{"aws_standard",
        "AWS SDK JS v3 standard retry: floor(random * min(base * 2^i, 20 s)), 3 attempts, 500-token retry quota",
        {seconds("base_delay_s", 0.1, "base delay: 0.1 for transient errors, 0.5 for throttling errors (s)"),
         seconds("max_delay_s", 20.0, "MAXIMUM_RETRY_DELAY: cap of the exponential before the random factor (s)"),
         count("max_attempts", 3.0, 1.0, "maxAttempts: attempts per request, the first included (count)"),
         count("quota_tokens", 500.0, 0.0, "INITIAL_RETRY_TOKENS: the client's retry quota (tokens)"),
         count("retry_cost", 10.0, 0.0,
               "tokens a retry takes: 10 for transient errors (refused, reset, timeout, 5xx), 5 for throttling (tokens)"),
         count("success_increment", 1.0, 0.0, "NO_RETRY_INCREMENT: tokens a success without retry gives back (tokens)")}},
       [](const Params& p) {
         return std::make_unique<AwsStandardBackoff>(ms(p, "base_delay_s"), ms(p, "max_delay_s"), whole(p, "max_attempts"),
                                                     whole(p, "quota_tokens"), whole(p, "retry_cost"),
                                                     whole(p, "success_increment"));
       }});
  return entries;
}

}  // namespace

const std::vector<BackoffEntry>& client_preset_entries() {
  static const std::vector<BackoffEntry> entries = make_entries();
  return entries;
}

const std::vector<ClientPresetInfo>& backoff_client_presets() {
  // The last field: does the library wait for a shedding server's Retry-After (or its own equivalent
  // advice) after a refused connect? Read in each library's source (docs/client_presets.md).
  static const std::vector<ClientPresetInfo> infos = {
      // No: Manager.reconnect() (lib/manager.ts) waits backoff.duration() only; engine.io-client's
      // transports report a refused handshake as a bare error (a browser WebSocket shows no status).
      {"socketio", "socket.io-client 4.x", "socketio/socket.io-client lib/contrib/backo2.ts, lib/manager.ts", false},
      // No: HubConnection._reconnect() asks IRetryPolicy.nextRetryDelayInMilliseconds(retryContext), whose
      // context holds previousRetryCount, elapsedMilliseconds and retryReason; HttpError keeps the status only.
      {"signalr", "ASP.NET Core SignalR JavaScript client", "dotnet/aspnetcore DefaultReconnectPolicy.ts, HubConnection.ts",
       false},
      // No: a failed connect goes to the disconnected state and retries after
      // getRetryTime(disconnectedRetryTimeout, count) (connectionmanager.ts); no header is read.
      {"ably", "ably-js 2.x", "ably/ably-js src/common/lib/util/utils.ts, transport/connectionmanager.ts, util/defaults.ts",
       false},
      // No: reconnectTimer = new Timer(..., reconnectAfterMs) (socket.js); a browser WebSocket.
      {"phoenix", "Phoenix JS client", "phoenixframework/phoenix assets/js/phoenix/socket.js, timer.js", false},
      // No: _getNextDelay() (reconnecting-websocket.ts) from its options only; a browser WebSocket.
      {"reconnecting_websocket", "reconnecting-websocket 4.4", "pladaria/reconnecting-websocket reconnecting-websocket.ts",
       false},
      // No: _getReconnectDelay() is backoff(step, min, max) (src/centrifuge.ts, src/utils.ts); a server's
      // disconnect advice says whether to reconnect (by its code), never when.
      {"centrifuge", "centrifuge-js 5.x", "centrifugal/centrifuge-js src/utils.ts, src/centrifuge.ts", false},
      // No: its own advice is a close code (protocol.ts getCloseAction: 4100-4199 "backoff", 4200-4299
      // "retry"), on which connection_manager.ts waits a fixed retryIn(1000) or retryIn(0), not a
      // server-given time; a refused WebSocket handshake shows nothing.
      {"pusher", "pusher-js 8.x", "pusher/pusher-js connection_manager.ts, sequential_strategy.ts, default_strategy.ts",
       false},
      // No: connection backoff takes no input from the server (doc/connection-backoff.md); retry
      // pushback (grpc-retry-pushback-ms, gRFC A6) applies to the retries of an RPC, not to connecting.
      {"grpc", "gRPC connection backoff", "grpc/grpc doc/connection-backoff.md", false},
      // Yes: StandardRetryStrategy.refreshRetryTokenForRetry() waits max(retryAfterHint - now, its
      // backoff) (util-retry StandardRetryStrategy.ts); middleware-retry parseRetryAfterHeader.ts reads
      // Retry-After (seconds or a date) and x-amz-retry-after.
      {"aws_standard", "AWS SDK for JavaScript v3, standard retry mode",
       "smithy-lang/smithy-typescript util-retry StandardRetryStrategy.ts, DefaultRetryBackoffStrategy.ts, constants.ts",
       true},
  };
  return infos;
}

bool backoff_honours_retry_after(const std::string& name) {
  for (const ClientPresetInfo& p : backoff_client_presets()) {
    if (p.name == name) return p.honours_retry_after;
  }
  return kGenericHonoursRetryAfter;
}

}  // namespace wsfleet::models
