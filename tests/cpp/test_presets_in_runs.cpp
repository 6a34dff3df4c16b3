// The client-library presets in a fleet run (retries, storms) and their connect timeouts: each
// library's own attempt timeout, and how a run times attempts out with it.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backoff_fixtures.hpp"
#include "fleet_fixtures.hpp"
#include "models/backoff/presets/connect_timeout.hpp"
#include "models/backoff_policy.hpp"
#include "models/fleet.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"
#include "tests/cpp/catch.hpp"

using wsfleet::models::BackoffState;
using wsfleet::models::make_backoff_policy;
using wsfleet::models::preset_connect_timeout;
using wsfleet::models::RetryCause;
using wsfleet::sim::Rng;
using wsfleet::sim::SimTime;
using wsfleet::testing::kS;
using wsfleet::testing::lost;
using wsfleet::testing::retry;

// ------------------------------------------------------------------------------------------------
// In a fleet run

namespace {

wsfleet::models::FleetConfig crash_without_recovery(const std::string& backoff) {
  wsfleet::models::FleetConfig cfg;
  cfg.name = "preset crash";
  cfg.run.duration_s = 200.0;
  cfg.run.sample_interval_s = 1.0;
  cfg.run.seed = 11;
  cfg.fleet.servers = 1;
  cfg.fleet.max_connections = 1000;
  cfg.clients.count = 300;
  cfg.clients.ramp_s = 5.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.balancer.policy = "round_robin";
  cfg.backoff.policy = backoff;
  cfg.balancer.health_check.mode = wsfleet::models::HealthCheckMode::Instant;  // the preset, not the detection, is under test
  cfg.faults.push_back(wsfleet::models::CrashFault::of_server(0, 60.0));
  return cfg;
}

}  // namespace

TEST_CASE("in a run, SignalR clients give up after 4 retries when their only server never comes back", "[presets][fleet]") {
  wsfleet::models::Fleet fleet(crash_without_recovery("signalr"));
  const auto r = fleet.run();
  const auto& c = r.summary.connections;
  CHECK(r.summary.backoff == "signalr");
  CHECK(c.established == 300);
  CHECK(c.dropped == 300);
  CHECK(c.retries == 4 * 300);        // 0, 2, 10, 30 s, all to no backend
  CHECK(c.no_backend == 4 * 300);
  CHECK(c.gave_up == 300);
  CHECK(c.waiting_at_end == 0);
  for (const auto& check : r.summary.conservation) CHECK(check.ok);
  // The last retries went out 42 s after the crash, and the give-ups come with them.
  const auto& gave_up = r.fleet.column("gave_up");
  const auto& time = r.fleet.column("time_s");
  double last_give_up = 0;
  for (std::size_t i = 0; i < gave_up.size(); ++i) {
    if (gave_up[i] > 0) last_give_up = time[i];
  }
  // 60 + 0 + 2 + 10 + 30 = 102 s: counted in the interval ending at 102 s or the next one.
  CHECK(last_give_up >= 102.0);
  CHECK(last_give_up <= 103.0);
}

TEST_CASE("in a run, a preset's retry rule is what the fleet follows", "[presets][fleet]") {
  // Phoenix never gives up: 10, 50, ... ms, then every 5 s until the end.
  wsfleet::models::Fleet phoenix(crash_without_recovery("phoenix"));
  const auto p = phoenix.run();
  CHECK(p.summary.connections.gave_up == 0);
  CHECK(p.summary.connections.waiting_at_end == 300);
  // 9 table retries in 4.26 s, then one per 5 s over the remaining ~135.7 s: 27 more.
  CHECK(p.summary.connections.retries == 300 * (9 + 27));
  for (const auto& check : p.summary.conservation) CHECK(check.ok);
  // AWS standard: two retries per client, then the request fails.
  wsfleet::models::Fleet aws(crash_without_recovery("aws_standard"));
  const auto a = aws.run();
  CHECK(a.summary.connections.retries == 2 * 300);
  CHECK(a.summary.connections.gave_up == 300);
  for (const auto& check : a.summary.conservation) CHECK(check.ok);
}

TEST_CASE("every preset survives a storm with rejections, timeouts, recoveries and new sessions", "[presets][fleet]") {
  for (const auto& info : wsfleet::models::backoff_client_presets()) {
    wsfleet::models::FleetConfig cfg = crash_without_recovery(info.name);
    cfg.run.duration_s = 240.0;
    cfg.fleet.servers = 3;
    cfg.fleet.max_connections = 250;  // 600 clients, 500 slots once a server is down: rejections
    cfg.fleet.cpu.handshake_us = 20000.0;
    cfg.clients.count = 600;  // 120 handshakes/s per server at 20 ms each over the ramp: queues and timeouts
    cfg.clients.connect_timeout_s = 0.5;
    cfg.clients.messages_per_minute = 2.0;
    cfg.clients.session_s = wsfleet::sim::Distribution::exponential(60.0);
    cfg.clients.on_session_end = wsfleet::models::SessionEnd::Reconnect;
    cfg.faults = {wsfleet::models::CrashFault::of_server(1, 60.0, 40.0), wsfleet::models::CrashFault::of_server(2, 150.0)};
    // Sticky sessions, as socket.io (polling, then the upgrade) and SignalR (negotiate, then the
    // WebSocket) require behind round robin: without them their attempts fail with Session ID unknown.
    cfg.balancer.sticky = wsfleet::models::Stickiness::Cookie;
    wsfleet::models::Fleet first(cfg), second(cfg);
    const auto a = first.run();  // throws ConservationError if any count is off
    const auto b = second.run();
    INFO(info.name);
    CHECK(a.summary.backoff == info.name);
    CHECK(a.summary.connections.dropped > 0);
    CHECK(a.summary.connections.retries > 0);
    CHECK(a.summary.connections.attempted == b.summary.connections.attempted);
    CHECK(a.summary.connections.retries == b.summary.connections.retries);
    CHECK(a.summary.connections.gave_up == b.summary.connections.gave_up);
    for (const auto& check : a.summary.conservation) CHECK(check.ok);
  }
}

// ------------------------------------------------------------------------------------------------

// Connect timeouts (the libraries' per-attempt defaults, for the fleet to use)

TEST_CASE("each client preset exposes its library's connect timeout", "[presets][timeout]") {
  const std::map<std::string, double> expected = {{"reconnecting_websocket", 4.0}, {"centrifuge", 5.0},
                                                  {"socketio", 20.0},            {"grpc", 20.0},
                                                  {"ably", 10.0},                {"pusher", 15.0}};
  for (const auto& [name, seconds] : expected) {
    const auto t = preset_connect_timeout(name, {});
    REQUIRE(t.has_value());
    CHECK(t->timeout_s == seconds);
    CHECK(!t->option.empty());
    CHECK(t->at_least_backoff == (name == "grpc"));  // gRPC: max(MIN_CONNECT_TIMEOUT, the backoff)
  }
  CHECK(preset_connect_timeout("pusher", {})->doubles_to_s == 60.0);
  const auto custom = preset_connect_timeout("pusher", {{"timeout_s", 8.0}, {"timeout_limit_s", 32.0}});
  CHECK(custom->timeout_s == 8.0);
  CHECK(custom->doubles_to_s == 32.0);
  for (const char* none : {"signalr", "phoenix", "aws_standard", "full_jitter", "exponential"}) {
    CHECK_FALSE(preset_connect_timeout(none, {}).has_value());
  }
}

TEST_CASE("each preset's policy gives its library's timeout to every attempt", "[presets][timeout]") {
  // A new client's first attempt gets the library's default, the same figure preset_connect_timeout lists.
  for (const auto& info : wsfleet::models::backoff_client_presets()) {
    const auto policy = make_backoff_policy(info.name, {});
    const auto listed = preset_connect_timeout(info.name, {});
    const auto own = policy->attempt_timeout(BackoffState{});
    INFO(info.name);
    REQUIRE(own.has_value() == listed.has_value());
    if (own) CHECK(*own == wsfleet::sim::from_seconds(listed->timeout_s));
  }
  for (const char* generic : {"full_jitter", "exponential", "constant", "immediate", "decorrelated_jitter"}) {
    CHECK_FALSE(make_backoff_policy(generic, {})->attempt_timeout(BackoffState{}).has_value());
  }
}

TEST_CASE("pusher: the attempt timeout doubles within a connection run, 15, 30, 60, 60 s, and restarts after a loss",
          "[presets][timeout]") {
  // sequential_strategy.ts: timeout = min(timeout * 2, timeoutLimit) before each next attempt of a run.
  Rng rng(1);
  const auto pusher = make_backoff_policy("pusher", {});
  BackoffState st;
  std::vector<double> seen_s;
  SimTime t = 0;
  for (int i = 0; i < 5; ++i) {
    const SimTime timeout = *pusher->attempt_timeout(st);
    seen_s.push_back(wsfleet::sim::to_seconds(timeout));
    // The attempt times out: the next starts when its timeout ends (delay 0 from then).
    CHECK(retry(*pusher, st, rng, {t + timeout, t, RetryCause::AttemptTimedOut}) == 0);
    t += timeout;
  }
  CHECK(seen_s == std::vector<double>{15.0, 30.0, 60.0, 60.0, 60.0});
  pusher->on_connected(st, t);
  CHECK(*pusher->attempt_timeout(st) == 15 * kS);  // connected: a new run
  retry(*pusher, st, rng, lost(t + 100 * kS));
  CHECK(*pusher->attempt_timeout(st) == 15 * kS);  // the run after a loss starts at the base again
  const auto custom = make_backoff_policy("pusher", {{"timeout_s", 8.0}, {"timeout_limit_s", 20.0}});
  BackoffState c;
  std::vector<double> custom_s;
  for (int i = 0; i < 4; ++i) {
    custom_s.push_back(wsfleet::sim::to_seconds(*custom->attempt_timeout(c)));
    retry(*custom, c, rng, {0, 0, RetryCause::AttemptTimedOut});
  }
  CHECK(custom_s == std::vector<double>{8.0, 16.0, 20.0, 20.0});
}

TEST_CASE("grpc: an attempt's timeout is max(MIN_CONNECT_TIMEOUT, its backoff)", "[presets][timeout]") {
  // Without jitter the backoffs are 1.6^k s: 1, 1.6, 2.56, ..., 16.777216 (k = 6), 26.8435456 (k = 7),
  // 42.94967296 (k = 8), ..., capped at 120. The timeouts are 20 s up to k = 6, then the backoff.
  Rng rng(3);
  const auto grpc = make_backoff_policy("grpc", {{"jitter", 0.0}});
  BackoffState st;
  std::vector<SimTime> timeouts;
  for (int k = 0; k < 13; ++k) {
    timeouts.push_back(*grpc->attempt_timeout(st));
    retry(*grpc, st, rng, {timeouts.back(), 0, RetryCause::AttemptTimedOut});
  }
  for (int k = 0; k <= 6; ++k) CHECK(timeouts[static_cast<std::size_t>(k)] == 20 * kS);
  CHECK(timeouts[7] == 26'843'545'600);  // 1.6^7 s, rounded to ns
  CHECK(timeouts[8] == 42'949'672'960);  // 1.6^8 s
  CHECK(timeouts[12] == 120 * kS);       // 1.6^11 = 175.9 s is past MAX_BACKOFF
  // A lost connection starts a new run: 20 s again.
  retry(*grpc, st, rng, lost(0));
  CHECK(*grpc->attempt_timeout(st) == 20 * kS);
  // With the default jitter each timeout is max(20 s, the jittered backoff the attempt was given).
  const auto jittered = make_backoff_policy("grpc", {});
  BackoffState j;
  for (int k = 0; k < 12; ++k) retry(*jittered, j, rng, {0, 0, RetryCause::AttemptTimedOut});
  CHECK(*jittered->attempt_timeout(j) == std::max<SimTime>(20 * kS, j.last_delay));
  CHECK(j.last_delay > 20 * kS);  // 120 s +- 20 %
  // min_connect_timeout_s (grpc-go ConnectParams.MinConnectTimeout) moves the floor.
  const auto quick = make_backoff_policy("grpc", {{"jitter", 0.0}, {"min_connect_timeout_s", 2.0}});
  BackoffState q;
  std::vector<double> quick_s;
  for (int k = 0; k < 4; ++k) {
    quick_s.push_back(wsfleet::sim::to_seconds(*quick->attempt_timeout(q)));
    retry(*quick, q, rng, {0, 0, RetryCause::AttemptTimedOut});
  }
  CHECK(quick_s == std::vector<double>{2.0, 2.0, 2.56, 4.096});
  CHECK(preset_connect_timeout("grpc", {{"min_connect_timeout_s", 2.0}})->timeout_s == 2.0);
}

namespace {

/// One client against one server whose handshakes never finish in time (each costs 1000 s of CPU):
/// every attempt times out, and the run shows when.
wsfleet::models::FleetConfig hopeless_handshakes(const std::string& backoff, wsfleet::models::Params params) {
  wsfleet::models::FleetConfig cfg;
  cfg.name = "hopeless handshakes";
  cfg.run.duration_s = 100.0;
  cfg.run.seed = 2;
  cfg.fleet.servers = 1;
  cfg.fleet.cpu.handshake_us = 1e9;
  cfg.clients.count = 1;
  cfg.clients.ramp_s = 0.0;  // the one client arrives at t = 0
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.backoff.policy = backoff;
  cfg.backoff.params = std::move(params);
  cfg.balancer.health_check.mode = wsfleet::models::HealthCheckMode::Instant;  // the server stays in service
  return cfg;
}

}  // namespace

TEST_CASE("in a run, a scenario without clients.connect_timeout_s times attempts out as the preset does",
          "[presets][timeout][fleet]") {
  const auto counts = [](const wsfleet::models::FleetConfig& cfg) {
    const auto r = wsfleet::models::Fleet(cfg).run();
    for (const auto& check : r.summary.conservation) CHECK(check.ok);
    return std::pair{r.summary.connections.attempted, r.summary.connections.failed_timeout};
  };
  // pusher: attempts at 0 (15 s), 15 (30 s), 45 (60 s: past the end), each next one started the
  // moment (plus the 1 ms retry gap) the previous timed out: 3 attempts, 2 timeouts in 100 s.
  auto pusher = hopeless_handshakes("pusher", {});
  CHECK(counts(pusher) == std::pair<std::uint64_t, std::uint64_t>{3, 2});
  // The scenario's 10 s: each attempt fails at 10 s, and pusher still starts the next when the
  // library's timeout would have ended (15, 45 s): the same 3 attempts, but all 3 time out.
  pusher.clients.connect_timeout_s = 10.0;
  CHECK(counts(pusher) == std::pair<std::uint64_t, std::uint64_t>{3, 3});
  // grpc without jitter: 20 s per attempt (the backoff 1, 1.6, 2.56, 4.096 s is shorter) and the
  // next at once: attempts at 0, 20, 40, 60, 80 s: 5 attempts, 4 timeouts.
  auto grpc = hopeless_handshakes("grpc", {{"jitter", 0.0}});
  CHECK(counts(grpc) == std::pair<std::uint64_t, std::uint64_t>{5, 4});
  // The scenario's 10 s: attempts at 0, 10, 20, 30, 40, 50 s (backoffs 1 ... 6.5536 s end before the
  // timeout), then 50 + 10.48576 = 60.49 s and 60.49 + 16.777216 = 77.27 s; the next would start at
  // 77.27 + 26.84 = 104.1 s: 8 attempts, all 8 timed out (the last at 87.27 s).
  grpc.clients.connect_timeout_s = 10.0;
  CHECK(counts(grpc) == std::pair<std::uint64_t, std::uint64_t>{8, 8});
  // socket.io without jitter: 20 s per attempt, then 1, 2, 4, 5 s of backoff: attempts at 0, 21, 43,
  // 67, 92 s: 5 attempts, 4 timeouts (the fifth would end at 112 s).
  auto socketio = hopeless_handshakes("socketio", {{"randomization_factor", 0.0}});
  CHECK(counts(socketio) == std::pair<std::uint64_t, std::uint64_t>{5, 4});
  // A generic policy brings no timeout: 10 s (kDefaultConnectTimeoutS), then a constant 4 s: attempts
  // at 0, 14, 28, 42, 56, 70, 84, 98 s: 8 attempts, 7 timeouts.
  auto constant = hopeless_handshakes("constant", {{"delay_s", 4.0}});
  CHECK(counts(constant) == std::pair<std::uint64_t, std::uint64_t>{8, 7});
}

TEST_CASE("ably: an attempt in flight when the connection-state TTL expires is aborted then", "[presets][timeout]") {
  Rng rng(5);
  const auto ably = make_backoff_policy("ably", {});
  BackoffState st;
  CHECK_FALSE(ably->attempt_abort(st, 0).has_value());  // no suspend timer yet
  // The first attempt (started at 0) fails at 10 s: the suspend timer started with it, expiry 120 s.
  retry(*ably, st, rng, {10 * kS, 0, RetryCause::AttemptTimedOut});
  CHECK(*ably->attempt_abort(st, 100 * kS) == 20 * kS);
  CHECK(*ably->attempt_abort(st, 115 * kS) == 5 * kS);
  // Once suspended (a failure at or after the expiry) no abort: suspended retries run to their timeout.
  retry(*ably, st, rng, {120 * kS, 115 * kS, RetryCause::AttemptTimedOut});
  CHECK_FALSE(ably->attempt_abort(st, 150 * kS).has_value());
  for (const char* other : {"socketio", "grpc", "pusher", "full_jitter"}) {
    BackoffState s;
    retry(*make_backoff_policy(other, {}), s, rng, {10 * kS, 0, RetryCause::AttemptTimedOut});
    CHECK_FALSE(make_backoff_policy(other, {})->attempt_abort(s, 100 * kS).has_value());
  }
}

TEST_CASE("in a run, ably's attempt that straddles the 120 s TTL fails at the expiry", "[presets][timeout][fleet]") {
  // Attempts at 0, 22-25, 48-55, 78-90 s each time out after 10 s; the next one starts at 112-130 s
  // (or the client is suspended first). One that starts before 120 s is aborted at 120 s instead of
  // failing 10 s later; either way the suspended retry comes at 150 s. No attempt fails in
  // (121 s, 149 s], with the preset's timeout or the scenario's.
  int straddling = 0;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    for (const bool given : {false, true}) {
      auto cfg = hopeless_handshakes("ably", {});
      cfg.run.duration_s = 200.0;
      cfg.run.seed = seed;
      if (given) cfg.clients.connect_timeout_s = 10.0;
      const auto r = wsfleet::models::Fleet(cfg).run();
      for (const auto& check : r.summary.conservation) CHECK(check.ok);
      INFO("seed " << seed << (given ? ", connect_timeout_s given" : ""));
      CHECK(wsfleet::testing::fleet_sum(r, 121.0, 149.0, "failed") == 0.0);
      CHECK(wsfleet::testing::fleet_sum(r, 119.0, 121.0, "failed") <= 1.0);
      if (!given && wsfleet::testing::fleet_sum(r, 110.0, 120.0, "attempts") > 0.0) ++straddling;
    }
  }
  CHECK(straddling > 0);  // the case is exercised
}
