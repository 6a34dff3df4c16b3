// pusher-js's transport race (models/transport/pusher_fallback.*): the HTTP fallback starts 2 s after
// an attempt that has not connected, the first to connect wins and the other is closed, and the
// transport that connected last is tried first (pusher/pusher-js src/runtimes/web/default_strategy.ts,
// best_connected_ever_strategy.ts, first_connected_strategy.ts, cached_strategy.ts). One client, two
// servers behind round robin (the WebSocket goes to server 0, the next connection to server 1), no
// round trip: every time below is computed by hand from the handshake's CPU and the faults.
#include <string>

#include "models/transport/pusher_fallback.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

using namespace wsfleet;

namespace {

/// One pusher client (no heartbeats, no messages) in front of two servers behind round robin.
models::FleetConfig pusher_client() {
  auto cfg = testing::small_fleet();
  cfg.run.duration_s = 60.0;
  cfg.clients.count = 1;
  cfg.clients.ramp_s = 1.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.fleet.servers = 2;
  cfg.balancer.policy = "round_robin";
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;
  cfg.backoff.policy = "pusher";
  cfg.backoff.params = {};
  return cfg;
}

models::CrashFault on_server0(models::FaultTarget target, double factor = 2.0) {
  models::CrashFault f = models::CrashFault::of_server(0, 0.0, 1000.0);
  f.target = target;
  f.factor = factor;
  return f;
}

/// The single connection's handshake latency, ms (from its attempt's start).
double latency_ms(const models::RunResult& r) { return r.summary.handshake_latency.max_ms; }

}  // namespace

TEST_CASE("pusher_fallback is on for the pusher preset only unless asked", "[pusher]") {
  auto cfg = pusher_client();
  CHECK(models::PusherFallbackRace::needed(cfg));
  CHECK(models::PusherFallbackRace::fallback_transport(cfg) == models::Transport::Sse);  // xhr_streaming
  cfg.clients.pusher_fallback_transport = models::PusherFallbackTransport::XhrPolling;
  CHECK(models::PusherFallbackRace::fallback_transport(cfg) == models::Transport::LongPolling);
  cfg.clients.pusher_fallback = models::PusherFallback::Off;
  CHECK_FALSE(models::PusherFallbackRace::needed(cfg));
  cfg = pusher_client();
  cfg.backoff.policy = "full_jitter";
  cfg.backoff.params = {{"base_s", 1.0}, {"cap_s", 30.0}};
  CHECK_FALSE(models::PusherFallbackRace::needed(cfg));
  cfg.clients.pusher_fallback = models::PusherFallback::On;
  CHECK(models::PusherFallbackRace::needed(cfg));
}

TEST_CASE("pusher: a blackholed WebSocket loses to the fallback 2 s after the attempt, not 15 s", "[pusher]") {
  // The WebSocket goes to server 0, whose handshakes never finish. At +2 s the fallback
  // (xhr_streaming) goes to server 1 and is done 1 ms later (handshake_us 1000): 2,001 ms after the
  // attempt. The WebSocket still in flight is closed.
  auto cfg = pusher_client();
  cfg.faults.push_back(on_server0(models::FaultTarget::HandshakeBlackhole));
  const auto r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  const auto& k = r.summary.connections;
  const auto& o = r.summary.pusher_fallback;
  REQUIRE(o.enabled);
  CHECK(o.transport == "xhr_streaming");
  CHECK(k.attempted == 1);
  CHECK(k.established == 1);
  CHECK(k.failed == 0);
  CHECK(o.fallback_started == 1);
  CHECK(o.fallback_took_over == 1);
  CHECK(o.losers_closed_websocket == 1);
  CHECK(o.won_by_fallback == 1);
  CHECK(o.won_by_websocket == 0);
  CHECK(r.summary.transport.at_end.sse == 1);
  CHECK(latency_ms(r) == Approx(2001.0).epsilon(0.02));
  CHECK(testing::server_at(r, 1, 59.0, "connections") == 1.0);

  // Without the fallback (enabledTransports: ["ws"]) the WebSocket waits out its 15 s timeout and
  // the next turn of the loop reaches server 1: two attempts, one timed out.
  cfg.clients.pusher_fallback = models::PusherFallback::Off;
  const auto off = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(off));
  CHECK_FALSE(off.summary.pusher_fallback.enabled);
  CHECK(off.summary.connections.attempted == 2);
  CHECK(off.summary.connections.failed_timeout == 1);
  CHECK(off.summary.connections.established == 1);
  CHECK(off.summary.transport.at_end.sse == 0);
}

TEST_CASE("pusher: a WebSocket done within 2 s never starts the fallback", "[pusher]") {
  auto cfg = pusher_client();
  const auto r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  const auto& o = r.summary.pusher_fallback;
  CHECK(o.fallback_started == 0);
  CHECK(o.won_by_websocket == 1);
  CHECK(o.won_by_fallback == 0);
  CHECK(r.summary.transport.at_end.sse == 0);
  CHECK(latency_ms(r) == Approx(1.0).epsilon(0.05));
  // xhr_polling instead: the blackholed WebSocket loses to a long-polling connection. Its polls
  // are requests of their own: round robin sends the first to server 0, which does not hold the
  // session ("Session ID unknown"), so the session ends and the race starts again, over and over.
  cfg.faults.push_back(on_server0(models::FaultTarget::HandshakeBlackhole));
  cfg.clients.pusher_fallback_transport = models::PusherFallbackTransport::XhrPolling;
  const auto rr = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(rr));
  CHECK(rr.summary.pusher_fallback.won_by_fallback > 10);
  CHECK(rr.summary.connections.session_unknown == rr.summary.pusher_fallback.won_by_fallback - rr.summary.connections.active_at_end);
  // With a cookie (set when the fallback connects on server 1) every poll stays there.
  cfg.balancer.sticky = models::Stickiness::Cookie;
  const auto lp = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(lp));
  CHECK(lp.summary.pusher_fallback.transport == "xhr_polling");
  CHECK(lp.summary.pusher_fallback.won_by_fallback == 1);
  CHECK(lp.summary.transport.at_end.long_polling == 1);
  CHECK(lp.summary.connections.session_unknown == 0);
}

TEST_CASE("pusher: a failed WebSocket waits out its timeout, the fallback connects at 2 s as an attempt of its own", "[pusher]") {
  // Server 0 is down and, without health checks, the balancer still sends to it (tries 1): the
  // WebSocket fails at once and the loop waits for its 15 s timeout. The fallback at 2 s reaches
  // server 1 and is done 1 ms later: attempted 2 (the failed WebSocket, the fallback), failed 1,
  // established 1.
  auto cfg = pusher_client();
  cfg.balancer.health_check.mode = models::HealthCheckMode::None;
  cfg.faults.push_back(models::CrashFault::of_server(0, 0.0, 1000.0));
  const auto r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  const auto& k = r.summary.connections;
  const auto& o = r.summary.pusher_fallback;
  CHECK(k.attempted == 2);
  CHECK(k.failed == 1);
  CHECK(k.established == 1);
  CHECK(o.fallback_started == 1);
  CHECK(o.fallback_took_over == 1);
  CHECK(o.losers_closed_websocket == 0);  // nothing left to close
  CHECK(o.won_by_fallback == 1);
  CHECK(latency_ms(r) == Approx(2001.0).epsilon(0.02));
}

TEST_CASE("pusher: the cached fallback is tried first at the next connection, fail-fast", "[pusher]") {
  // As the blackhole case: the fallback connects at 2.001 s on server 1 and is cached (latency
  // 2.001 s). The 10 s session ends and the client reconnects at once: the cache is fresh (ttl
  // 1800 s), so the fallback alone goes first, with timeout 2 x 2.001 + 1 = 5.002 s; round robin
  // sends it to the blackholed server 0: too slow, the cache is flushed, and the WebSocket goes to
  // server 1, done in 1 ms. The run ends (20 s) before the second session does.
  auto cfg = pusher_client();
  cfg.run.duration_s = 20.0;
  cfg.clients.session_s = sim::Distribution::constant(10.0);
  cfg.clients.on_session_end = models::SessionEnd::Reconnect;
  cfg.faults.push_back(on_server0(models::FaultTarget::HandshakeBlackhole));
  const auto r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  const auto& k = r.summary.connections;
  const auto& o = r.summary.pusher_fallback;
  CHECK(k.attempted == 2);
  CHECK(k.established == 2);
  CHECK(o.cached_fallback == 1);
  CHECK(o.cached_websocket == 0);
  CHECK(o.cache_flushed == 1);
  CHECK(o.fallback_started == 2);
  CHECK(o.fallback_too_slow == 1);
  CHECK(o.fallback_took_over == 1);
  CHECK(o.won_by_fallback == 1);
  CHECK(o.won_by_websocket == 1);
  CHECK(r.summary.handshake_latency.max_ms == Approx(2001.0).epsilon(0.02));

  // No cache (no localStorage): the second connection's WebSocket goes to server 0 (round robin),
  // and the fallback takes over at 2 s again.
  cfg.clients.pusher_transport_cache_ttl_s = 0.0;
  const auto nc = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(nc));
  const auto& n = nc.summary.pusher_fallback;
  CHECK(n.cached_fallback == 0);
  CHECK(n.fallback_started == 2);
  CHECK(n.won_by_fallback == 2);
  CHECK(n.won_by_websocket == 0);
}
