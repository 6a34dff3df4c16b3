// Heartbeats: library presets, half-open connections found (or not) by the heartbeat, the
// balancer's idle timeout, pings only when idle, and what heartbeats cost.
#include <cmath>

#include "experiments/scenario_loader.hpp"
#include "experiments/scenario_writer.hpp"
#include "models/heartbeat_presets.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

using namespace wsfleet;
using testing::conserved;

TEST_CASE("heartbeat presets carry the libraries' defaults", "[heartbeat]") {
  const auto* socketio = models::find_heartbeat_preset("socketio");
  REQUIRE(socketio != nullptr);
  CHECK(socketio->interval_s == 25.0);
  CHECK(socketio->section.sender == models::HeartbeatSender::Server);
  CHECK(socketio->section.timeout_s == 20.0);
  CHECK(socketio->section.peer_timeout_s == 45.0);
  const auto* pusher = models::find_heartbeat_preset("pusher");
  REQUIRE(pusher != nullptr);
  CHECK(pusher->section.mode == models::HeartbeatMode::WhenIdle);
  CHECK(pusher->interval_s == 120.0);
  CHECK(models::find_heartbeat_preset("uwebsockets")->section.timeout_s == 16.0);
  CHECK(models::find_heartbeat_preset("nope") == nullptr);
  CHECK(models::heartbeat_presets().size() == 7);
}

TEST_CASE("a heartbeat preset sets the interval unless the scenario gives one, and keys override", "[heartbeat][scenario]") {
  const auto a = experiments::load_scenario_string("[heartbeat]\npreset = \"phoenix\"\n", "t.toml");
  CHECK(a.clients.heartbeat_interval_s == 30.0);
  CHECK(a.heartbeat.sender == models::HeartbeatSender::Client);
  CHECK(a.heartbeat.peer_timeout_s == 60.0);
  const auto b = experiments::load_scenario_string(
      "[clients]\nheartbeat_interval_s = 10\n[heartbeat]\npreset = \"phoenix\"\ntimeout_s = 5\n", "t.toml");
  CHECK(b.clients.heartbeat_interval_s == 10.0);
  CHECK(b.heartbeat.timeout_s == 5.0);
  CHECK(b.heartbeat.peer_timeout_s == 60.0);
  CHECK(experiments::load_scenario_string(experiments::scenario_to_toml(b), "effective.toml") == b);
  try {
    experiments::load_scenario_string("[heartbeat]\npreset = \"socket.io\"\n", "t.toml");
    FAIL("no error");
  } catch (const std::exception& e) {
    CHECK(std::string(e.what()) ==
          "t.toml:2:10: heartbeat.preset must be one of socketio, phoenix, signalr, ably, centrifugo, uwebsockets, "
          "pusher (got 'socket.io'); did you mean 'socketio'?");
  }
}

namespace {

// Sessions of ~30 s whose network drops silently: every one leaves a half-open connection behind.
models::FleetConfig vanishing(double interval_s, models::HeartbeatSender sender, double timeout_s, double peer_timeout_s) {
  auto cfg = testing::small_fleet();
  cfg.run.duration_s = 300.0;
  cfg.clients.count = 1000;
  cfg.clients.session_s = sim::Distribution::exponential(30.0);
  cfg.clients.on_session_end = models::SessionEnd::Reconnect;
  cfg.clients.vanish_share = 1.0;
  cfg.clients.heartbeat_interval_s = interval_s;
  cfg.heartbeat.sender = sender;
  cfg.heartbeat.timeout_s = timeout_s;
  cfg.heartbeat.peer_timeout_s = peer_timeout_s;
  return cfg;
}

}  // namespace

TEST_CASE("server pings find a half-open connection one unanswered ping later: U(0, interval) + timeout", "[heartbeat]") {
  const auto r = models::Fleet(vanishing(25.0, models::HeartbeatSender::Server, 8.0, 0.0)).run();  // Centrifugo
  REQUIRE(conserved(r));
  const auto& hb = r.summary.heartbeat;
  CHECK(r.summary.connections.vanished > 5000);
  CHECK(hb.ghosts_detected > 5000);
  CHECK(hb.detection_s.mean_ms == Approx(8.0 + 12.5).epsilon(0.05));
  CHECK(hb.detection_s.max_ms <= 33.0 * 1.01);
  CHECK(hb.detection_s.p50_ms >= 8.0);
  // The ghosts hold slots meanwhile: about (arrival rate x mean detection time) of them.
  const auto& half_open = r.fleet.column("half_open");
  CHECK(half_open.back() > 300.0);
  CHECK(half_open.back() < 1000.0);
}

TEST_CASE("client pings: the server only notices through its own timeout, peer_timeout - U(0, interval)", "[heartbeat]") {
  const auto r = models::Fleet(vanishing(30.0, models::HeartbeatSender::Client, 30.0, 60.0)).run();  // Phoenix
  REQUIRE(conserved(r));
  const auto& d = r.summary.heartbeat.detection_s;
  CHECK(d.mean_ms == Approx(45.0).epsilon(0.05));
  CHECK(d.max_ms <= 60.0 * 1.01);
  CHECK(d.p50_ms >= 30.0 * 0.99);
}

TEST_CASE("without a server-side timer half-open connections leak until the server is full", "[heartbeat]") {
  auto cfg = vanishing(30.0, models::HeartbeatSender::Client, 30.0, 0.0);
  cfg.fleet.max_connections = 1000;  // 4000 slots for 1000 clients
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  CHECK(r.summary.heartbeat.ghosts_detected == 0);
  CHECK(r.summary.heartbeat.ghosts_at_end > 2500);
  CHECK(r.summary.connections.rejected_server_full > 0);  // the ghosts crowd out real clients
  CHECK(r.summary.peak_server_memory_mib > cfg.fleet.base_memory_mib + 900 * cfg.fleet.memory_per_connection_kib / 1024.0);
}

TEST_CASE("a balancer's idle timeout closes a half-open connection when only the client pinged", "[heartbeat]") {
  // Client pings every 30 s, no data, no server timer: only the balancer notices, 60 s after the last
  // frame crossed it (ALB idle timeout, NGINX proxy_read_timeout). The last frame is the last ping
  // (or the handshake): for a session of length A ~ Exp(mean 30 s) that is A mod 30 before the end,
  // whose mean is 30 - 30 e^-1 / (1 - e^-1) = 12.54 s; so the cut comes 60 - 12.54 = 47.46 s after.
  auto cfg = vanishing(30.0, models::HeartbeatSender::Client, 30.0, 0.0);
  cfg.clients.messages_per_minute = 0.0;
  cfg.balancer.idle_timeout_s = 60.0;
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const auto& d = r.summary.heartbeat.detection_s;
  CHECK(r.summary.heartbeat.ghosts_detected > 3000);
  const double e = std::exp(-1.0);
  CHECK(d.mean_ms == Approx(60.0 - (30.0 - 30.0 * e / (1.0 - e))).epsilon(0.03));
  CHECK(d.max_ms <= 60.0 * 1.01);
  CHECK(d.p50_ms >= 30.0 * 0.99);
  // Server pings cross the balancer towards the vanished client and keep it from cutting: only the
  // unanswered ping finds it, U(0, 30) + 100 s, however long that takes.
  cfg.heartbeat.sender = models::HeartbeatSender::Server;
  cfg.heartbeat.timeout_s = 100.0;
  const auto pinged = models::Fleet(cfg).run();
  REQUIRE(conserved(pinged));
  CHECK(pinged.summary.heartbeat.detection_s.mean_ms == Approx(115.0).epsilon(0.05));
  CHECK(pinged.summary.heartbeat.detection_s.p50_ms > 100.0);
}

namespace {

// Quiet connections (one message every 2 minutes) behind a balancer that cuts after 60 s of silence.
models::FleetConfig quiet(double interval_s, models::HeartbeatMode mode) {
  auto cfg = testing::small_fleet();
  cfg.run.duration_s = 600.0;
  cfg.clients.count = 1000;
  cfg.clients.messages_per_minute = 0.5;
  cfg.clients.heartbeat_interval_s = interval_s;
  cfg.heartbeat.mode = mode;
  cfg.balancer.idle_timeout_s = 60.0;
  return cfg;
}

}  // namespace

TEST_CASE("the balancer's idle timeout cuts quiet connections unless pings come more often", "[heartbeat]") {
  const auto none = models::Fleet(quiet(0.0, models::HeartbeatMode::Periodic)).run();
  const auto every25 = models::Fleet(quiet(25.0, models::HeartbeatMode::Periodic)).run();
  const auto pusher = models::Fleet(quiet(120.0, models::HeartbeatMode::WhenIdle)).run();
  REQUIRE(conserved(none));
  REQUIRE(conserved(pusher));
  // A message gap longer than 60 s happens to a connection about every 2 minutes / e.
  CHECK(none.summary.connections.idle_cut > 2000);
  CHECK(every25.summary.connections.idle_cut == 0);
  // pusher-js pings after 120 s of silence: too late for a 60 s proxy timeout.
  CHECK(pusher.summary.connections.idle_cut > 2000);
  CHECK(none.summary.connections.retries + none.summary.connections.waiting_at_end >= none.summary.connections.idle_cut);
}

TEST_CASE("pings only when idle cost far less when messages flow", "[heartbeat]") {
  auto busy = [](models::HeartbeatMode mode) {
    auto cfg = testing::small_fleet();
    cfg.clients.count = 500;
    cfg.run.duration_s = 600.0;
    cfg.clients.messages_per_minute = 12.0;  // one every 5 s
    cfg.clients.heartbeat_interval_s = 25.0;
    cfg.heartbeat.mode = mode;
    return models::Fleet(cfg).run();
  };
  const auto periodic = busy(models::HeartbeatMode::Periodic);
  const auto idle = busy(models::HeartbeatMode::WhenIdle);
  // Periodic: 12 messages a minute against 2.4 pings.
  CHECK(periodic.summary.heartbeat.frames_per_message == Approx(2.4 / 12.0).epsilon(0.05));
  // When idle: a 25 s silence between Poisson messages 5 s apart is rare (e^-5 per gap).
  CHECK(idle.summary.heartbeat.frames_per_message < 0.01);
  CHECK(idle.summary.heartbeat.bytes < periodic.summary.heartbeat.bytes / 20);
  CHECK(conserved(idle));
}

TEST_CASE("the server's idle policy closes connections without data, whatever the pings say", "[heartbeat]") {
  auto cfg = quiet(25.0, models::HeartbeatMode::Periodic);  // pings every 25 s keep the balancer happy
  cfg.balancer.idle_timeout_s = 0.0;
  cfg.fleet.idle_close_s = 180.0;  // a message every 2 minutes on average: gaps over 3 minutes happen
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  // A Poisson gap exceeds 180 s with probability e^-1.5; about one connection in four to five
  // reaches it before its next message.
  CHECK(r.summary.connections.idle_closed > 1000);
  CHECK(r.summary.connections.idle_cut == 0);
  cfg.clients.messages_per_minute = 6.0;  // gaps of 3 minutes are now vanishingly rare (e^-18)
  const auto busy = models::Fleet(cfg).run();
  CHECK(busy.summary.connections.idle_closed == 0);
}

TEST_CASE("the fleet's shedding and idle keys are read, checked and written back", "[heartbeat][scenario]") {
  const auto c = experiments::load_scenario_string(R"(
[fleet]
idle_close_s = 1800
[fleet.admission]
max_handshakes_per_s = 500
reject_above_backlog_ms = 250
reject_us = 15
retry_after_s = 2
[fleet.rebalance]
interval_s = 10
tolerance = 0.2
max_per_interval = 50
[clients]
vanish_share = 0.05
[balancer]
idle_timeout_s = 60
)", "t.toml");
  CHECK(c.fleet.idle_close_s == 1800.0);
  CHECK(c.fleet.admission == models::AdmissionSection{500.0, 250.0, 15.0, 2.0});
  CHECK(c.fleet.rebalance == models::RebalanceSection{10.0, 0.2, 50});
  CHECK(c.clients.vanish_share == 0.05);
  CHECK(c.balancer.idle_timeout_s == 60.0);
  CHECK(experiments::load_scenario_string(experiments::scenario_to_toml(c), "effective.toml") == c);
  try {
    experiments::load_scenario_string("[fleet.rebalance]\nmax_per_interval = 0\n", "t.toml");
    FAIL("no error");
  } catch (const std::exception& e) {
    CHECK(std::string(e.what()) == "t.toml:2:20: fleet.rebalance.max_per_interval must be between 1 and 1000000000 (got 0)");
  }
}
