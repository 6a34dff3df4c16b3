// SignalR JS's transport fallback (models/transport/signalr_fallback.*): after a transport fails to
// start, a new negotiate and the next transport the client allows, WebSockets, ServerSentEvents,
// LongPolling (aspnetcore HttpConnection.ts `_createTransport`). The figures are computed by hand
// from that sequence and the model's costs: one client 10 ms from its site (a 20 ms round trip),
// 5 ms of CPU per negotiate (transport.long_polling.request_us), 1 ms per handshake.
#include <optional>
#include <string>
#include <vector>

#include "experiments/result_writer.hpp"
#include "experiments/scenario_loader.hpp"
#include "models/transport/signalr_fallback.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

using namespace wsfleet;

namespace {

/// One SignalR client 10 ms from its site of 4 servers behind ip_hash (every request and connection
/// of the client reaches one server), negotiates of 5 ms, handshakes of 1 ms, no heartbeats or
/// messages; `extra` adds keys or sections.
std::string lone_signalr(const std::string& clients_extra, const std::string& extra) {
  return "[run]\nduration_s = 60.0\n[fleet]\nservers = 4\n[fleet.cpu]\nhandshake_us = 1000.0\n"
         "[clients]\ncount = 1\nramp_s = 1.0\nmessages_per_minute = 0.0\nheartbeat_interval_s = 0.0\n" +
         clients_extra +
         "[transport.long_polling]\nrequest_us = 5000.0\n"
         "[balancer]\npolicy = \"ip_hash\"\n[balancer.health_check]\nmode = \"instant\"\n[backoff]\npolicy = \"signalr\"\n"
         "[topology]\nlinks = [{between = [\"eu\", \"ams\"], latency_ms = 10}]\n"
         "[[topology.sites]]\nname = \"ams\"\nservers = 4\n[[topology.regions]]\nname = \"eu\"\nshare = 1.0\n" +
         extra;
}

/// Every client's WebSocket blocked from the start (a proxy that strips the upgrade).
const std::string kBlocked = "[[faults]]\ntype = \"websocket_block\"\nat_s = 0.0\nshare = 1.0\n";

/// Busy core-seconds of a run.
double busy(const models::RunResult& r) { return r.summary.cpu_mean_utilisation * r.summary.cpu_capacity_core_seconds; }

std::optional<experiments::ScenarioError> error_of(const std::string& toml) {
  try {
    experiments::load_scenario_string(toml, "t.toml");
  } catch (const experiments::ScenarioError& e) {
    return e;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("SignalR's allowed transports, in the server's order", "[signalr_fallback]") {
  using models::SignalRTransport;
  using models::Transport;
  using V = std::vector<Transport>;
  CHECK(models::SignalRFallback::allowed(SignalRTransport::All) == V{Transport::WebSocket, Transport::Sse, Transport::LongPolling});
  CHECK(models::SignalRFallback::allowed(SignalRTransport::WebSocketsLongPolling) == V{Transport::WebSocket, Transport::LongPolling});
  CHECK(models::SignalRFallback::allowed(SignalRTransport::ServerSentEventsLongPolling) == V{Transport::Sse, Transport::LongPolling});
  CHECK(models::SignalRFallback::allowed(SignalRTransport::LongPolling) == V{Transport::LongPolling});
  auto cfg = experiments::load_scenario_string(lone_signalr("", ""), "t.toml");
  CHECK(models::SignalRFallback::needed(cfg));
  cfg.clients.signalr_transport = SignalRTransport::WebSockets;  // transport: HttpTransportType.WebSockets: no fallback
  CHECK_FALSE(models::SignalRFallback::needed(cfg));
  cfg.clients.signalr_transport = SignalRTransport::All;
  cfg.clients.skip_negotiation = true;  // skipNegotiation: WebSockets only
  CHECK_FALSE(models::SignalRFallback::needed(cfg));
  cfg.clients.skip_negotiation = false;
  cfg.clients.pusher_fallback = models::PusherFallback::On;  // pusher-js's race instead
  CHECK_FALSE(models::SignalRFallback::needed(cfg));
  cfg.clients.pusher_fallback = models::PusherFallback::Preset;
  cfg.backoff.policy = "socketio";
  CHECK_FALSE(models::SignalRFallback::needed(cfg));
}

TEST_CASE("SignalR: a blocked WebSocket falls back to Server-Sent Events after a second negotiate, connected at 71 ms", "[signalr_fallback]") {
  // t0: POST /negotiate (5 + 20 ms) -> t0 + 25 ms: the WebSocket's start fails at once (blocked) ->
  // POST /negotiate again (25 ms) -> t0 + 50 ms: the EventSource connects (1 + 20 ms) -> t0 + 71 ms.
  const auto cfg = experiments::load_scenario_string(lone_signalr("", kBlocked), "t.toml");
  const auto r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  const auto& k = r.summary.connections;
  const auto& f = r.summary.signalr_fallback;
  const auto& o = r.summary.session_opening;
  REQUIRE(f.enabled);
  CHECK(f.transports == "websockets|server_sent_events|long_polling");
  CHECK(k.attempted == 1);  // one attempt: the fallback is inside start()
  CHECK(k.established == 1);
  CHECK(k.failed == 0);
  CHECK(o.opens == 2);  // two negotiates
  CHECK(o.requests_sent == 2);
  CHECK(f.starts.websocket == 1);
  CHECK(f.starts.sse == 1);
  CHECK(f.starts.long_polling == 0);
  CHECK(f.fallbacks == 1);
  CHECK(f.fallbacks_blocked == 1);
  CHECK(f.fallbacks_from_websocket == 1);
  CHECK(f.connections.sse == 1);
  CHECK(f.exhausted == 0);
  CHECK(r.summary.transport.at_end.sse == 1);
  CHECK(r.summary.transport.at_end.websocket == 0);
  CHECK(r.summary.handshake_latency.max_ms == Approx(71.0).epsilon(0.02));
  // CPU: two negotiates (5 ms each) and the SSE handshake (1 ms); the blocked WebSocket cost none.
  CHECK(busy(r) == Approx(0.011).epsilon(1e-6));
  // Without the block: one negotiate, the WebSocket at 25 + 21 = 46 ms, no fallback.
  const auto plain = models::Fleet(experiments::load_scenario_string(lone_signalr("", ""), "t.toml")).run();
  REQUIRE(testing::conserved(plain));
  CHECK(plain.summary.signalr_fallback.fallbacks == 0);
  CHECK(plain.summary.signalr_fallback.connections.websocket == 1);
  CHECK(plain.summary.session_opening.opens == 1);
  CHECK(plain.summary.handshake_latency.max_ms == Approx(46.0).epsilon(0.02));
}

TEST_CASE("SignalR: a transport the client disables is skipped without a negotiate", "[signalr_fallback]") {
  // transport = WebSockets | LongPolling: the blocked WebSocket goes straight to long polling, with one
  // more negotiate (71 ms), never SSE.
  const auto cfg = experiments::load_scenario_string(lone_signalr("signalr_transport = \"websockets|long_polling\"\n", kBlocked), "t.toml");
  const auto r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  const auto& f = r.summary.signalr_fallback;
  CHECK(f.transports == "websockets|long_polling");
  CHECK(r.summary.session_opening.opens == 2);
  CHECK(f.starts.websocket == 1);
  CHECK(f.starts.sse == 0);
  CHECK(f.starts.long_polling == 1);
  CHECK(f.connections.long_polling == 1);
  CHECK(r.summary.transport.at_end.long_polling == 1);
  CHECK(r.summary.handshake_latency.max_ms == Approx(71.0).epsilon(0.02));
  // transport = LongPolling alone: one negotiate, then long polling at 46 ms, whatever the block.
  const auto lp = models::Fleet(experiments::load_scenario_string(lone_signalr("signalr_transport = \"long_polling\"\n", kBlocked), "t.toml")).run();
  REQUIRE(testing::conserved(lp));
  CHECK(lp.summary.session_opening.opens == 1);
  CHECK(lp.summary.signalr_fallback.starts.long_polling == 1);
  CHECK(lp.summary.signalr_fallback.fallbacks == 0);
  CHECK(lp.summary.handshake_latency.max_ms == Approx(46.0).epsilon(0.02));
}

TEST_CASE("SignalR behind round robin: every transport reaches the other server (404), then start() fails", "[signalr_fallback]") {
  // Two servers, round robin, nothing else in between: each negotiate opens the connection on one
  // server and the transport that follows goes to the other: 404 for the WebSocket, SSE, long polling.
  // 3 negotiates, 3 upgrades on the wrong server, 2 fallbacks, then the attempt fails (not retried).
  const auto cfg = experiments::load_scenario_string(
      "[run]\nduration_s = 60.0\n[fleet]\nservers = 2\n[clients]\ncount = 1\nramp_s = 1.0\nmessages_per_minute = 0.0\n"
      "heartbeat_interval_s = 0.0\n[balancer]\npolicy = \"round_robin\"\n[balancer.health_check]\nmode = \"instant\"\n"
      "[backoff]\npolicy = \"signalr\"\n",
      "t.toml");
  const auto r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  const auto& k = r.summary.connections;
  const auto& f = r.summary.signalr_fallback;
  const auto& o = r.summary.session_opening;
  CHECK(k.attempted == 1);
  CHECK(k.established == 0);
  CHECK(k.failed == 1);
  CHECK(k.failed_session_unknown == 1);
  CHECK(k.gave_up == 1);
  CHECK(o.opens == 3);
  CHECK(o.upgrades == 3);
  CHECK(o.upgrades_session_unknown == 3);
  CHECK(f.starts.websocket == 1);
  CHECK(f.starts.sse == 1);
  CHECK(f.starts.long_polling == 1);
  CHECK(f.fallbacks == 2);
  CHECK(f.fallbacks_session_unknown == 2);
  CHECK(f.fallbacks_from_websocket == 1);
  CHECK(f.fallbacks_from_sse == 1);
  CHECK(f.exhausted == 1);
  CHECK(o.cpu_seconds == Approx(6 * 150e-6));  // 3 negotiates and 3 404s
}

TEST_CASE("SignalR: each transport's try times out on its own, 10 s after its negotiate", "[signalr_fallback]") {
  // Every server blackholes handshakes: the WebSocket times out at t0 + 10 s, SSE at t0 + 20 s, long
  // polling at t0 + 30 s (the negotiates take microseconds). At 25 s the client is still starting
  // long polling; at 60 s start() has failed.
  auto toml = [](double duration_s) {
    std::string t = "[run]\nduration_s = " + std::to_string(duration_s) +
                    "\n[fleet]\nservers = 2\n[clients]\ncount = 1\nramp_s = 1.0\nmessages_per_minute = 0.0\n"
                    "heartbeat_interval_s = 0.0\n[balancer]\npolicy = \"ip_hash\"\n[balancer.health_check]\nmode = \"instant\"\n"
                    "[backoff]\npolicy = \"signalr\"\n";
    for (int s = 0; s < 2; ++s) t += "[[faults]]\ntype = \"handshake_blackhole\"\nserver = " + std::to_string(s) + "\nat_s = 0.0\n";
    return t;
  };
  const auto early = models::Fleet(experiments::load_scenario_string(toml(25.0), "t.toml")).run();
  REQUIRE(testing::conserved(early));
  CHECK(early.summary.signalr_fallback.fallbacks == 2);
  CHECK(early.summary.signalr_fallback.fallbacks_timed_out == 2);
  CHECK(early.summary.signalr_fallback.starting_at_end == 1);
  CHECK(early.summary.connections.pending_at_end == 1);
  CHECK(early.summary.connections.failed == 0);
  const auto late = models::Fleet(experiments::load_scenario_string(toml(60.0), "t.toml")).run();
  REQUIRE(testing::conserved(late));
  CHECK(late.summary.signalr_fallback.exhausted == 1);
  CHECK(late.summary.connections.failed_timeout == 1);
  CHECK(late.summary.connections.gave_up == 1);
  CHECK(late.summary.session_opening.opens == 3);
}

TEST_CASE("SignalR fallback in a storm: every count closes", "[signalr_fallback]") {
  // 2,000 clients on 4 sticky servers; half of them lose WebSocket at 20 s, a server crashes at 30 s.
  const std::string toml =
      "[run]\nduration_s = 90.0\n[fleet]\nservers = 4\nmax_connections = 2000\n"
      "[clients]\ncount = 2000\nramp_s = 10.0\nsession = {distribution = \"exponential\", mean_s = 30}\n"
      "on_session_end = \"reconnect\"\n"
      "[balancer]\npolicy = \"least_connections\"\nsticky = \"cookie\"\n[backoff]\npolicy = \"signalr\"\n"
      "[[faults]]\ntype = \"websocket_block\"\nat_s = 20.0\nshare = 0.5\n"
      "[[faults]]\ntype = \"crash\"\nserver = 0\nat_s = 30.0\n";
  const auto r = models::Fleet(experiments::load_scenario_string(toml, "t.toml")).run();
  REQUIRE(testing::conserved(r));
  const auto& f = r.summary.signalr_fallback;
  CHECK(f.fallbacks_blocked > 100);
  CHECK(f.connections.sse > 100);
  CHECK(f.connections.websocket + f.connections.sse + f.connections.long_polling == r.summary.connections.established);
  CHECK(r.summary.transport.at_end.sse > 0);
  // The summary writes it.
  const std::string json = experiments::summary_json_text(r.summary);
  CHECK(json.find("\"signalr_fallback\"") != std::string::npos);
  CHECK(json.find("\"fallbacks_by\"") != std::string::npos);
}

TEST_CASE("clients.signalr_transport: one error for a bad value, and for a transport besides WebSockets with skip_negotiation", "[signalr_fallback]") {
  const auto bad = error_of("[clients]\nsignalr_transport = \"websockets|sse\"\n");
  REQUIRE(bad.has_value());
  CHECK(bad->key() == "clients.signalr_transport");
  CHECK(bad->line() == 2);
  CHECK(bad->column() == 21);
  CHECK(std::string(bad->what()).find("t.toml:2:21: clients.signalr_transport must be one of websockets, server_sent_events, "
                                      "websockets|server_sent_events, long_polling") != std::string::npos);
  const auto skip = error_of("[clients]\nskip_negotiation = true\nsignalr_transport = \"long_polling\"\n");
  REQUIRE(skip.has_value());
  CHECK(skip->key() == "clients.signalr_transport");
  CHECK(skip->line() == 3);
  CHECK(std::string(skip->what()).find("must be \"websockets\" with clients.skip_negotiation = true") != std::string::npos);
  // skip_negotiation with the default (every transport) stays valid: the WebSocket alone, as before.
  CHECK_FALSE(error_of("[clients]\nskip_negotiation = true\n").has_value());
  CHECK_FALSE(error_of("[clients]\nskip_negotiation = true\nsignalr_transport = \"websockets\"\n").has_value());
  const auto cfg = experiments::load_scenario_string("[clients]\nsignalr_transport = \"server_sent_events|long_polling\"\n", "t.toml");
  CHECK(cfg.clients.signalr_transport == models::SignalRTransport::ServerSentEventsLongPolling);
}
