// The HTTP requests client libraries send before their WebSocket (models/transport/session_opening.*):
// socket.io's polling handshake and upgrade, SignalR's negotiate, and "Session ID unknown" when
// the balancer is not sticky. Request counts are hand-computed from the libraries' sequences
// (engine.io-client lib/socket.ts; Socket.IO "How it works"; aspnetcore HttpConnection.ts).
#include <string>

#include "experiments/result_writer.hpp"
#include "experiments/scenario_loader.hpp"
#include "models/transport/session_opening.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

using namespace wsfleet;

namespace {

/// One client, no heartbeats or messages, `servers` servers, the given backoff preset and balancing.
models::FleetConfig lone_client(const std::string& backoff, const std::string& policy, std::uint32_t servers) {
  auto cfg = testing::small_fleet();
  cfg.run.duration_s = 60.0;
  cfg.clients.count = 1;
  cfg.clients.ramp_s = 1.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.fleet.servers = servers;
  cfg.balancer.policy = policy;
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;
  cfg.backoff.policy = backoff;
  cfg.backoff.params = {};
  return cfg;
}

/// Busy core-seconds of a run.
double busy(const models::RunResult& r) { return r.summary.cpu_mean_utilisation * r.summary.cpu_capacity_core_seconds; }

/// A socket.io storm: 4,000 clients over 4 servers, server 0 crashes at 30 s.
models::FleetConfig socketio_storm(const std::string& policy, models::Stickiness sticky) {
  auto cfg = testing::small_fleet();
  cfg.run.duration_s = 90.0;
  cfg.clients.count = 4000;
  cfg.fleet.max_connections = 4000;
  cfg.balancer.policy = policy;
  cfg.balancer.sticky = sticky;
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;
  cfg.backoff.policy = "socketio";
  cfg.backoff.params = {};
  models::CrashFault f;
  f.server = 0;
  f.at_s = 30.0;
  cfg.faults.push_back(f);
  return cfg;
}

}  // namespace

TEST_CASE("which presets send requests before the WebSocket, and how many", "[opening]") {
  using models::OpeningLibrary;
  using models::SessionOpening;
  auto cfg = lone_client("socketio", "round_robin", 2);
  CHECK(SessionOpening::library_of(cfg) == OpeningLibrary::EngineIo);
  CHECK(SessionOpening::requests_per_open(OpeningLibrary::EngineIo) == 4);  // handshake GET, CONNECT POST, 2 polls
  cfg.clients.upgrade_from_polling = models::UpgradeFromPolling::Off;     // transports: ["websocket"]
  CHECK(SessionOpening::library_of(cfg) == OpeningLibrary::None);
  cfg = lone_client("signalr", "round_robin", 2);
  CHECK(SessionOpening::library_of(cfg) == OpeningLibrary::SignalR);
  CHECK(SessionOpening::requests_per_open(OpeningLibrary::SignalR) == 1);   // POST /negotiate
  cfg.clients.skip_negotiation = true;
  CHECK(SessionOpening::library_of(cfg) == OpeningLibrary::None);
  cfg = lone_client("full_jitter", "round_robin", 2);
  CHECK(SessionOpening::library_of(cfg) == OpeningLibrary::None);
  cfg.clients.upgrade_from_polling = models::UpgradeFromPolling::On;
  CHECK(SessionOpening::library_of(cfg) == OpeningLibrary::EngineIo);
}

TEST_CASE("socket.io behind a hashing balancer: 4 HTTP requests, then the WebSocket on the same server", "[opening]") {
  const auto cfg = lone_client("socketio", "ip_hash", 4);
  const auto r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  const auto& o = r.summary.session_opening;
  REQUIRE(o.enabled);
  CHECK(o.library == "engine.io");
  CHECK(r.summary.connections.attempted == 1);
  CHECK(r.summary.connections.established == 1);
  CHECK(o.opens == 1);
  CHECK(o.requests_sent == 4);
  CHECK(o.requests_answered == 4);
  CHECK(o.requests_failed == 0);
  CHECK(o.upgrades == 1);
  CHECK(o.upgrades_session_unknown == 0);
  CHECK(r.summary.connections.failed_session_unknown == 0);
  CHECK(o.cpu_seconds == Approx(4 * 150e-6));
  CHECK(o.http_bytes == Approx(4 * 700.0));
  // The same client straight to WebSocket: the difference in the servers' busy time is the 4 requests' CPU.
  auto direct = cfg;
  direct.clients.upgrade_from_polling = models::UpgradeFromPolling::Off;
  const auto d = models::Fleet(direct).run();
  REQUIRE(testing::conserved(d));
  CHECK_FALSE(d.summary.session_opening.enabled);
  CHECK(d.summary.connections.established == 1);
  CHECK(busy(r) - busy(d) == Approx(4 * 150e-6).epsilon(1e-6));
  CHECK(busy(d) == Approx(cfg.fleet.cpu.handshake_us * 1e-6).epsilon(1e-6));
}

TEST_CASE("socket.io behind round robin: the CONNECT POST reaches the other server, Session ID unknown every attempt", "[opening]") {
  // Two servers, round robin, nothing else in between: the handshake GET opens the session on one
  // server and the POST goes to the other (400). Every attempt: 2 requests, 1 failure, no connection.
  const auto cfg = lone_client("socketio", "round_robin", 2);
  const auto r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  const auto& k = r.summary.connections;
  const auto& o = r.summary.session_opening;
  CHECK(k.established == 0);
  REQUIRE(k.attempted > 5);  // socket.io retries for ever: 1 s x 2^n (+-50 %), capped at 5 s
  CHECK(k.failed == k.attempted - k.pending_at_end);
  CHECK(k.failed_session_unknown == k.attempted);
  CHECK(o.opens == k.attempted);
  CHECK(o.requests_sent == 2 * k.attempted);
  CHECK(o.requests_answered == k.attempted);
  CHECK(o.failed_session_unknown == k.attempted);
  CHECK(o.upgrades == 0);
  CHECK(o.cpu_seconds == Approx(2 * 150e-6 * static_cast<double>(k.attempted)));
  CHECK(busy(r) == Approx(2 * 150e-6 * static_cast<double>(k.attempted)).epsilon(1e-6));  // no handshake ever ran
}

TEST_CASE("socket.io behind round robin with sticky sessions (cookie or source IP) connects at once", "[opening]") {
  for (const auto sticky : {models::Stickiness::Cookie, models::Stickiness::SourceIp}) {
    auto cfg = lone_client("socketio", "round_robin", 2);
    cfg.balancer.sticky = sticky;
    const auto r = models::Fleet(cfg).run();
    REQUIRE(testing::conserved(r));
    const auto& o = r.summary.session_opening;
    CHECK(r.summary.connections.attempted == 1);
    CHECK(r.summary.connections.established == 1);
    CHECK(o.requests_sent == 4);
    CHECK(o.requests_answered == 4);
    CHECK(o.upgrades == 1);
    CHECK(o.upgrades_session_unknown == 0);
    CHECK(r.summary.connections.failed_session_unknown == 0);
  }
}

TEST_CASE("SignalR negotiates, then the WebSocket: round robin sends it to the other server (404)", "[opening]") {
  auto cfg = lone_client("signalr", "round_robin", 2);
  cfg.clients.signalr_transport = models::SignalRTransport::WebSockets;  // no fallback (test_signalr_fallback.cpp has it)
  auto r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  const auto* o = &r.summary.session_opening;
  CHECK(o->library == "signalr");
  // The negotiate POST opens the connection on one server; the WebSocket goes to the other: 404.
  // A failed start() is not retried (DefaultReconnectPolicy applies to lost connections only).
  CHECK(r.summary.connections.attempted == 1);
  CHECK(r.summary.connections.established == 0);
  CHECK(r.summary.connections.gave_up == 1);
  CHECK(o->requests_sent == 1);
  CHECK(o->requests_answered == 1);
  CHECK(o->upgrades == 1);
  CHECK(o->upgrades_session_unknown == 1);
  CHECK(r.summary.connections.failed_session_unknown == 1);
  CHECK(o->cpu_seconds == Approx(2 * 150e-6));  // the negotiate and the 404
  // Sticky: 2 requests per connection (negotiate, WebSocket), connected.
  cfg.balancer.sticky = models::Stickiness::Cookie;
  r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  o = &r.summary.session_opening;
  CHECK(r.summary.connections.established == 1);
  CHECK(o->requests_sent == 1);
  CHECK(o->upgrades_session_unknown == 0);
  // skipNegotiation: straight to the WebSocket, which any server takes.
  cfg.balancer.sticky = models::Stickiness::None;
  cfg.clients.skip_negotiation = true;
  r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  CHECK_FALSE(r.summary.session_opening.enabled);
  CHECK(r.summary.connections.established == 1);
}

TEST_CASE("a socket.io storm: Session ID unknown with round robin, none with a sticky or hashing balancer", "[opening]") {
  const auto rr = models::Fleet(socketio_storm("round_robin", models::Stickiness::None)).run();
  const auto cookie = models::Fleet(socketio_storm("round_robin", models::Stickiness::Cookie)).run();
  const auto hashed = models::Fleet(socketio_storm("ip_hash", models::Stickiness::None)).run();
  REQUIRE(testing::conserved(rr));
  REQUIRE(testing::conserved(cookie));
  REQUIRE(testing::conserved(hashed));
  // Round robin: each request goes to the next server in the balancer's turn. With the requests
  // spread in time, other clients' requests come between one client's, so a request lands on its
  // session's server only when the turn comes round to it: all but a few attempts fail.
  const auto& k = rr.summary.connections;
  CHECK(k.established < k.attempted / 100);
  CHECK(k.failed_session_unknown + k.established + k.failed_crash == k.attempted - k.pending_at_end);
  CHECK(rr.summary.session_opening.failed_session_unknown > 4000);
  for (const auto* r : {&cookie, &hashed}) {
    const auto& kr = r->summary.connections;
    const auto& o = r->summary.session_opening;
    CHECK(kr.failed_session_unknown == 0);
    CHECK(o.failed_session_unknown == 0);
    CHECK(o.upgrades_session_unknown == 0);
    CHECK(kr.active_at_end == 4000);  // everyone is back after the crash
    // Every connection cost 4 answered requests first (a handshake the crash cut had cost them too).
    CHECK(o.requests_answered >= 4 * kr.established);
    CHECK(o.requests_answered <= 4 * (kr.established + kr.failed));
    CHECK(o.requests_sent == o.requests_answered + o.requests_failed);
  }
}

TEST_CASE("a policy that scatters requests also fails upgrades, and everything is conserved", "[opening]") {
  auto cfg = socketio_storm("random", models::Stickiness::None);
  cfg.clients.count = 2000;
  cfg.fleet.servers = 2;
  const auto r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  const auto& o = r.summary.session_opening;
  const auto& k = r.summary.connections;
  // With 2 servers and a uniform pick, all 3 session requests reach the session's server with
  // probability 1/8, then the upgrade with 1/2: some attempts get through, most fail.
  CHECK(k.established > 0);
  CHECK(o.upgrades_session_unknown > 0);
  CHECK(o.upgrades > o.upgrades_session_unknown);
  CHECK(k.failed_session_unknown == o.failed_session_unknown + o.upgrades_session_unknown);
  CHECK(o.cpu_seconds == Approx(150e-6 * static_cast<double>(o.requests_answered + o.failed_session_unknown + o.upgrades_session_unknown)));
}

TEST_CASE("summary.json has session_opening only when the clients send such requests", "[opening]") {
  auto cfg = lone_client("socketio", "ip_hash", 2);
  auto r = models::Fleet(cfg).run();
  r.summary.wall_seconds = 0;
  std::string json = experiments::summary_json_text(r.summary);
  CHECK(json.find("\"session_opening\"") != std::string::npos);
  CHECK(json.find("\"requests_per_open\": 4") != std::string::npos);
  cfg.backoff.policy = "full_jitter";
  cfg.backoff.params = {{"base_s", 1.0}, {"cap_s", 30.0}};
  r = models::Fleet(cfg).run();
  json = experiments::summary_json_text(r.summary);
  CHECK(json.find("session_opening") == std::string::npos);
}

TEST_CASE("socket.io's requests follow each other: each leaves when the previous reply arrives", "[opening]") {
  // One client 10 ms from its site (a 20 ms round trip), 5 ms of CPU per request, 1 ms per
  // handshake, ip_hash: the handshake GET, the POST and two polls each take 5 + 20 ms, then the
  // WebSocket 1 + 20 ms: the attempt's handshake latency is 4 x 25 + 21 = 121 ms.
  const std::string toml =
      "[run]\nduration_s = 30.0\n[fleet]\nservers = 4\n[fleet.cpu]\nhandshake_us = 1000.0\n"
      "[clients]\ncount = 1\nramp_s = 1.0\nmessages_per_minute = 0.0\nheartbeat_interval_s = 0.0\n"
      "[transport.long_polling]\nrequest_us = 5000.0\n"
      "[balancer]\npolicy = \"ip_hash\"\n[balancer.health_check]\nmode = \"instant\"\n[backoff]\npolicy = \"socketio\"\n"
      "[topology]\nlinks = [{between = [\"eu\", \"ams\"], latency_ms = 10}]\n"
      "[[topology.sites]]\nname = \"ams\"\nservers = 4\n[[topology.regions]]\nname = \"eu\"\nshare = 1.0\n";
  const auto cfg = experiments::load_scenario_string(toml, "t.toml");
  const auto r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  const auto& o = r.summary.session_opening;
  CHECK(r.summary.connections.established == 1);
  CHECK(o.requests_answered == 4);
  CHECK(o.sequences_completed == 1);
  CHECK(r.summary.handshake_latency.max_ms == Approx(121.0).epsilon(0.02));
  // SignalR: the negotiate (25 ms), then the WebSocket (21 ms): 46 ms.
  auto signalr = cfg;
  signalr.backoff.policy = "signalr";
  signalr.backoff.params = {};
  const auto s = models::Fleet(signalr).run();
  REQUIRE(testing::conserved(s));
  CHECK(s.summary.session_opening.requests_answered == 1);
  CHECK(s.summary.handshake_latency.max_ms == Approx(46.0).epsilon(0.02));
}

TEST_CASE("socket.io: a sequence longer than the 20 s timeout is abandoned", "[opening]") {
  // 6 s per request: the replies arrive at 6, 12, 18 and 24 s; socket.io's timeout (20 s) ends the
  // attempt during the 4th request. Each attempt sends 4 requests and none connects.
  auto cfg = lone_client("socketio", "ip_hash", 4);
  cfg.run.duration_s = 100.0;
  cfg.transport.long_polling.request_us = 6e6;
  const auto r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  const auto& k = r.summary.connections;
  const auto& o = r.summary.session_opening;
  CHECK(k.established == 0);
  REQUIRE(o.sequences_timed_out >= 2);
  CHECK(k.failed_timeout == o.sequences_timed_out);
  CHECK(o.sequences_completed == 0);
  // Every abandoned sequence sent its 4 requests; one still running at the end sent 1 to 4.
  CHECK(o.requests_sent >= 4 * o.sequences_timed_out);
  CHECK(o.requests_sent <= 4 * (o.sequences_timed_out + o.sequences_in_flight_at_end));
  CHECK(o.opens == o.sequences_timed_out + o.sequences_in_flight_at_end);
}

TEST_CASE("socket.io rememberUpgrade: the reconnect after an upgrade goes straight to WebSocket", "[opening]") {
  // One client, 10 s sessions, reconnecting at once, for 15 s: two connections. Without
  // rememberUpgrade (the default) each opens on polling: 8 requests. With it the second goes
  // straight to WebSocket: 4 requests, one attempt counted in straight_to_websocket.
  auto cfg = lone_client("socketio", "ip_hash", 4);
  cfg.run.duration_s = 15.0;
  cfg.clients.session_s = sim::Distribution::constant(10.0);
  cfg.clients.on_session_end = models::SessionEnd::Reconnect;
  const auto plain = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(plain));
  CHECK(plain.summary.connections.established == 2);
  CHECK(plain.summary.session_opening.requests_sent == 8);
  CHECK(plain.summary.session_opening.straight_to_websocket == 0);
  cfg.clients.remember_upgrade = true;
  const auto remembered = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(remembered));
  CHECK(remembered.summary.connections.established == 2);
  CHECK(remembered.summary.session_opening.requests_sent == 4);
  CHECK(remembered.summary.session_opening.straight_to_websocket == 1);
  CHECK(remembered.summary.session_opening.upgrades == 1);
}
