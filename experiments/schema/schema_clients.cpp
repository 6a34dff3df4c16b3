// [clients] and [heartbeat].
#include "experiments/distribution_keys.hpp"
#include "experiments/schema/limits.hpp"
#include "experiments/schema/schema.hpp"
#include "models/fleet_config.hpp"
#include "models/heartbeat_presets.hpp"

namespace wsfleet::experiments::schema {

namespace {

// clients.session: "never" or {distribution = NAME, its parameters}.
std::string session_json() {
  std::string kinds;
  std::string params;
  for (const DistributionKeys& d : distribution_keys()) {
    if (d.kind == sim::Distribution::Kind::Never) continue;
    kinds += std::string(kinds.empty() ? "" : ", ") + "\"" + d.name + "\"";
    for (const std::string& p : d.keys) {
      if (params.find("\"" + p + "\"") == std::string::npos) params += ", \"" + p + "\": {\"type\": \"number\", \"minimum\": 0}";
    }
  }
  return R"({"oneOf": [{"const": "never"}, {"type": "object", "required": ["distribution"], "additionalProperties": false, )"
         R"("properties": {"distribution": {"enum": [)" + kinds + "]}" + params + "}}]}";
}

Section clients() {
  using C = models::ClientsSection;
  Key session = manual("session", KeyType::Special,
                       "session length: \"never\", or {distribution = \"exponential\", mean_s = 600}; also constant (value_s), "
                       "uniform (low_s, high_s), lognormal (mean_s, stddev_s), pareto (scale_s, shape)",
                       "\"never\"");
  session.unit = "s";
  session.json = session_json();
  return {"clients", false, "The client population and what each client does.",
          {integer("count", &C::count, 0, 1000000000, "clients in the population"),
           number("ramp_s", &C::ramp_s, at_least(0.0), "first connections arrive as a Poisson process within [0, ramp_s]"),
           session,
           choice("on_session_end", &C::on_session_end, {"leave", "reconnect"}, "leave the population, or open a new session at once"),
           number("messages_per_minute", &C::messages_per_minute, between(0.0, 1e6), "inbound messages per client (Poisson); 0 = none"),
           number("replies_per_message", &C::replies_per_message, between(0.0, 1e4), "outbound messages the server sends per inbound one"),
           number("message_bytes", &C::message_bytes, between(0.0, 1e9), "mean size of one message on the wire"),
           default_is(number("heartbeat_interval_s", &C::heartbeat_interval_s, zero_or_at_least(kMinTimerS),
                             "ping interval per connection; 0 = off ([heartbeat] has the rest)"),
                      "25.0, or the [heartbeat] preset's interval"),
           optional_number("connect_timeout_s", &C::connect_timeout_s, above(0.0),
                           "a handshake not done within this fails (every attempt); left out: the client preset's own",
                           "the [backoff] preset's (reconnecting_websocket 4, centrifuge 5, ably 10, socketio 20, grpc "
                           "max(20, the backoff), pusher 15 doubling to 60), else 10.0"),
           number("vanish_share", &C::vanish_share, between(0.0, 1.0),
                  "of sessions that end, those that end silently: the server keeps a half-open connection until it notices"),
           number("offline_mean_s", &C::offline_mean_s, between(0.0, kMaxDurationS),
                  "a client whose session ended silently stays offline an exponential time with this mean, then "
                  "reconnects (on_session_end = \"reconnect\"); 0 = at once"),
           number("wave_share", &C::wave_share, between(0.0, 1.0),
                  "share of the clients whose first connection comes in a wave (a push notification) instead of the ramp"),
           number("wave_at_s", &C::wave_at_s, between(0.0, kMaxDurationS), "when the wave starts"),
           number("wave_window_s", &C::wave_window_s, between(0.0, kMaxDurationS), "the wave's clients arrive uniformly within this"),
           choice("upgrade_from_polling", &C::upgrade_from_polling, {"preset", "on", "off"},
                  "each attempt opens an Engine.IO session on HTTP long polling (handshake GET, CONNECT POST, two polls) "
                  "and then upgrades to WebSocket: \"preset\" = as socket.io-client does with backoff.policy = \"socketio\" "
                  "(default transports), \"off\" = transports: [\"websocket\"]"),
           flag("skip_negotiation", &C::skip_negotiation,
                "backoff.policy = \"signalr\": connect the WebSocket without the POST /negotiate first (skipNegotiation, "
                "WebSockets only)"),
           choice("signalr_transport", &C::signalr_transport, models::signalr_transport_names(),
                  "backoff.policy = \"signalr\": the transports the client allows (its `transport` option, "
                  "HttpTransportType flags joined by |); it tries them in the server's order WebSockets, "
                  "ServerSentEvents, LongPolling, negotiating again before each one after a transport fails to start "
                  "(HttpConnection._createTransport); with skip_negotiation only \"websockets\""),
           flag("remember_upgrade", &C::remember_upgrade,
                "socket.io (engine.io-client rememberUpgrade, default false): after a connection that upgraded to "
                "WebSocket, the next attempt goes straight to WebSocket without the polling requests; an attempt that "
                "fails clears it (priorWebsocketSuccess)"),
           choice("pusher_fallback", &C::pusher_fallback, {"preset", "on", "off"},
                  "race pusher-js's HTTP fallback transport against the WebSocket: an attempt not connected after "
                  "pusher_fallback_delay_s opens the fallback too, the first to connect wins and the other is closed "
                  "(default_strategy.ts); \"preset\" = on with backoff.policy = \"pusher\" (a browser), \"off\" = "
                  "WebSocket only (enabledTransports: [\"ws\"], Node.js)"),
           number("pusher_fallback_delay_s", &C::pusher_fallback_delay_s, between(0.0, kMaxDurationS),
                  "when the fallback starts after the attempt (DelayedStrategy: 2 with useTLS, 5 without)"),
           choice("pusher_fallback_transport", &C::pusher_fallback_transport, {"xhr_streaming", "xhr_polling"},
                  "the fallback: xhr_streaming runs as an SSE connection, xhr_polling as long polling ([transport])"),
           number("pusher_transport_cache_ttl_s", &C::pusher_transport_cache_ttl_s, between(0.0, kMaxDurationS),
                  "the transport that connected last is tried first, fail-fast, for this long (CachedStrategy ttl "
                  "1800 s); 0 = no cache (no localStorage)"),
           choice("honour_retry_after", &C::honour_retry_after, {"preset", "on", "off"},
                  "a client refused by a shedding server waits for its Retry-After (fleet.admission.retry_after_s) "
                  "before its next attempt: \"preset\" = as the backoff preset's library does (only aws_standard "
                  "does; docs/client_presets.md), yes for the generic policies; \"on\" = every client; \"off\" = none")},
          false, ""};
}

Section heartbeat() {
  using H = models::HeartbeatSection;
  Names presets;
  for (const auto& p : models::heartbeat_presets()) presets.push_back(p.name);
  Key preset = manual("preset", KeyType::Choice, "a client library's heartbeat defaults (wsfleet list); the keys given override it");
  preset.choices = presets;
  preset.default_note = "none";
  return {"heartbeat", false, "Ping/pong and dead-peer detection; the ping interval is clients.heartbeat_interval_s.",
          {preset,
           choice("sender", &H::sender, {"client", "server"}, "which side sends the pings"),
           choice("mode", &H::mode, {"periodic", "when_idle"}, "every interval, or only after an interval without any frame"),
           number("timeout_s", &H::timeout_s, at_least(0.0), "the sender closes a connection whose pong has not come back within this"),
           number("peer_timeout_s", &H::peer_timeout_s, at_least(0.0),
                  "the receiver closes a connection that sent no ping for this long; 0 = never"),
           number("frame_bytes", &H::frame_bytes, between(0.0, 1e6), "a ping and its pong on the wire")},
          false, ""};
}

}  // namespace

std::vector<Section> clients_sections() { return {clients(), heartbeat()}; }

}  // namespace wsfleet::experiments::schema
