// Fallback transports in the fleet: HTTP long polling (per-request routing, held polls, the
// session-unknown quirk of non-sticky balancing), Server-Sent Events, and the incident that breaks
// WebSocket for a share of the clients mid-run.
#include <string>

#include "experiments/result_writer.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

using namespace wsfleet;

namespace {

/// Every client on long polling, idle (no messages), two servers in one site 50 ms (one way) from
/// the clients, sticky by cookie.
models::FleetConfig polling_fleet() {
  auto cfg = testing::small_fleet();
  cfg.run.duration_s = 200.0;
  cfg.clients.count = 1000;
  cfg.clients.messages_per_minute = 0.0;
  cfg.fleet.servers = 2;
  cfg.balancer.sticky = models::Stickiness::Cookie;
  cfg.topology.links = {{"eu", "a", 50.0}};
  cfg.topology.sites = {{"a", 2}};
  cfg.topology.regions = {{"eu", 1.0}};
  cfg.transport.long_polling_share = 1.0;
  cfg.transport.long_polling.poll_timeout_s = 5.0;
  cfg.transport.long_polling.pong_posts = false;
  return cfg;
}

double fleet_mean(const models::RunResult& r, double from_s, double to_s, const std::string& column) {
  const auto& t = r.fleet.column("time_s");
  const auto& v = r.fleet.column(column);
  double sum = 0.0, n = 0.0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] > from_s && t[i] <= to_s) {
      sum += v[i];
      n += 1.0;
    }
  }
  return n > 0 ? sum / n : 0.0;
}

using wsfleet::testing::fleet_at;

std::string stripped(models::RunSummary s) {
  s.wall_seconds = 0;
  return experiments::summary_json_text(s);
}

}  // namespace

TEST_CASE("an idle long-polling fleet polls at clients / (poll timeout + round trip)", "[transport]") {
  const auto cfg = polling_fleet();
  const auto r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  const auto& t = r.summary.transport;
  CHECK(t.at_end.long_polling == 1000);
  CHECK(t.at_end.websocket == 0);
  CHECK(t.fallback_share_at_end == Approx(1.0));
  // Every poll is held for the timeout, then the client polls again one round trip (100 ms) later.
  const double expected = 1000.0 / (5.0 + 0.1);
  CHECK(testing::fleet_sum(r, 50.0, 200.0, "polls") / 150.0 == Approx(expected).epsilon(0.01));
  CHECK(t.polls.answered_with_data == 0);
  CHECK(t.polls.failed == 0);
  CHECK(t.polls.timed_out + t.polls.in_flight_at_end == t.polls.sent);
  // Nearly every client has a poll held at any moment (5 s of every 5.1 s).
  CHECK(t.polls.in_flight_at_end > 900);
  CHECK(r.summary.connections.session_unknown == 0);
  // The poll cycle is the heartbeat: no WebSocket pings.
  CHECK(r.summary.heartbeats.sent == 0);
  CHECK(fleet_at(r, 100.0, "clients_long_polling") == 1000.0);
  CHECK(fleet_at(r, 100.0, "clients_websocket") == 0.0);
}

TEST_CASE("each poll's CPU and memory show in the servers' utilisation and memory", "[transport]") {
  auto cheap = polling_fleet();
  cheap.transport.long_polling.request_us = 0.0;
  cheap.transport.long_polling.memory_per_request_kib = 0.0;
  auto costly = polling_fleet();
  costly.transport.long_polling.request_us = 1000.0;       // 1 ms of CPU per poll
  costly.transport.long_polling.memory_per_request_kib = 1024.0;  // 1 MiB per held poll
  const auto a = models::Fleet(cheap).run();
  const auto b = models::Fleet(costly).run();
  REQUIRE(testing::conserved(a));
  REQUIRE(testing::conserved(b));
  // ~196 polls/s over 2 servers x 1 ms = 9.8 % busy per server.
  const double expected = 1000.0 / 5.1 * 1e-3 / 2.0;
  CHECK(fleet_mean(a, 50.0, 200.0, "cpu_utilisation") < 1e-4);
  CHECK(fleet_mean(b, 50.0, 200.0, "cpu_utilisation") == Approx(expected).epsilon(0.02));
  // About 500 x 5/5.1 held polls per server at any moment, 1 MiB each.
  const double extra = testing::server_at(b, 0, 100.0, "memory_mib") - testing::server_at(a, 0, 100.0, "memory_mib");
  CHECK(extra > 450.0);
  CHECK(extra < 500.0);
  CHECK(testing::server_sum(b, 0, 50.0, 200.0, "polls") + testing::server_sum(b, 1, 50.0, 200.0, "polls") ==
        testing::fleet_sum(b, 50.0, 200.0, "polls"));
}

TEST_CASE("without sticky sessions polls land on other servers and fail with session unknown", "[transport]") {
  auto cfg = polling_fleet();
  cfg.fleet.servers = 4;
  cfg.topology.sites = {{"a", 4}};
  cfg.balancer.policy = "round_robin";
  cfg.clients.messages_per_minute = 6.0;
  SECTION("non-sticky: sessions keep failing and reconnecting") {
    cfg.balancer.sticky = models::Stickiness::None;
    const auto r = models::Fleet(cfg).run();
    REQUIRE(testing::conserved(r));
    const auto& c = r.summary.connections;
    CHECK(c.session_unknown > 1000);
    CHECK(r.summary.transport.polls.failed_session_unknown > 500);
    CHECK(c.retries > 1000);
    // A poll reaches the session's server one time in four with round robin over 4 servers.
    const auto& p = r.summary.transport.polls;
    CHECK(static_cast<double>(p.failed_session_unknown) / static_cast<double>(p.sent) > 0.5);
  }
  SECTION("sticky by cookie or source address: no failures") {
    for (auto sticky : {models::Stickiness::Cookie, models::Stickiness::SourceIp}) {
      cfg.balancer.sticky = sticky;
      const auto r = models::Fleet(cfg).run();
      REQUIRE(testing::conserved(r));
      CHECK(r.summary.connections.session_unknown == 0);
      CHECK(r.summary.transport.polls.failed == 0);
      CHECK(r.summary.transport.posts_failed == 0);
      CHECK(r.summary.transport.polls.answered_with_data > 1000);  // replies went out on the polls
      CHECK(r.summary.messages.delivered > 10000);
    }
  }
  SECTION("a hashing policy keeps a client on one server even without stickiness") {
    cfg.balancer.sticky = models::Stickiness::None;
    cfg.balancer.policy = "consistent_hash";
    cfg.balancer.params.clear();
    const auto r = models::Fleet(cfg).run();
    REQUIRE(testing::conserved(r));
    CHECK(r.summary.connections.session_unknown == 0);
  }
  SECTION("one server: nothing to miss") {
    cfg.balancer.sticky = models::Stickiness::None;
    cfg.fleet.servers = 1;
    cfg.topology.sites = {{"a", 1}};
    cfg.fleet.max_connections = 2000;
    const auto r = models::Fleet(cfg).run();
    REQUIRE(testing::conserved(r));
    CHECK(r.summary.connections.session_unknown == 0);
  }
}

TEST_CASE("Server-Sent Events: a persistent stream per client, its messages are POSTs", "[transport]") {
  auto cfg = testing::small_fleet();
  cfg.balancer.sticky = models::Stickiness::Cookie;
  cfg.transport.sse_share = 0.5;
  const auto r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  const auto& t = r.summary.transport;
  CHECK(t.at_end.sse > 900);
  CHECK(t.at_end.sse < 1100);
  CHECK(t.at_end.websocket + t.at_end.sse == 2000);
  CHECK(t.polls.sent == 0);
  // SSE clients send their ~6 messages a minute as POSTs; the WebSocket clients as frames.
  CHECK(static_cast<double>(t.posts_sent) == Approx(1000.0 * 0.1 * 110.0).epsilon(0.1));
  CHECK(t.posts_failed == 0);
  CHECK(r.summary.heartbeats.sent > 0);
  CHECK(fleet_at(r, 100.0, "clients_sse") == static_cast<double>(t.at_end.sse));
  SECTION("without stickiness their POSTs miss the session too") {
    cfg.balancer.sticky = models::Stickiness::None;
    cfg.balancer.policy = "round_robin";
    const auto n = models::Fleet(cfg).run();
    REQUIRE(testing::conserved(n));
    CHECK(n.summary.connections.session_unknown > 100);
  }
}

TEST_CASE("a WebSocket block moves its share of the clients onto long polling and costs CPU", "[transport]") {
  auto cfg = testing::small_fleet();
  cfg.run.duration_s = 300.0;
  cfg.balancer.sticky = models::Stickiness::Cookie;
  models::CrashFault block;
  block.target = models::FaultTarget::WebSocketBlock;
  block.at_s = 60.0;
  block.share = 0.3;
  cfg.faults.push_back(block);
  const auto r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  const auto& f = r.summary.faults.at(0);
  CHECK(f.target == "websocket_block");
  CHECK(f.clients_blocked > 540);
  CHECK(f.clients_blocked < 660);
  CHECK(f.connections_dropped == f.clients_blocked);  // all were connected at 60 s
  REQUIRE(f.reconnected_within_s.has_value());
  CHECK(*f.reconnected_within_s < 60.0);
  const auto& t = r.summary.transport;
  CHECK(t.at_end.long_polling == f.clients_blocked);
  CHECK(t.fallback_share_at_end == Approx(0.3).margin(0.03));
  CHECK(fleet_at(r, 59.0, "clients_long_polling") == 0.0);
  CHECK(fleet_mean(r, 150.0, 300.0, "cpu_utilisation") > 1.5 * fleet_mean(r, 20.0, 60.0, "cpu_utilisation"));
  SECTION("when it ends, clients return to WebSocket at their next session") {
    cfg.faults[0].recover_after_s = 60.0;  // over at 120 s
    cfg.clients.session_s = sim::Distribution::exponential(20.0);
    cfg.clients.on_session_end = models::SessionEnd::Reconnect;
    const auto back = models::Fleet(cfg).run();
    REQUIRE(testing::conserved(back));
    CHECK(fleet_at(back, 110.0, "clients_long_polling") > 400.0);
    CHECK(back.summary.transport.at_end.long_polling < 5);
    CHECK(back.summary.transport.peak_fallback_share > 0.2);
  }
  SECTION("without new sessions they stay on long polling after it ends") {
    cfg.faults[0].recover_after_s = 60.0;
    const auto stay = models::Fleet(cfg).run();
    REQUIRE(testing::conserved(stay));
    CHECK(stay.summary.transport.at_end.long_polling == stay.summary.faults[0].clients_blocked);
  }
}

TEST_CASE("fallback runs conserve polls and connections through crashes and drains and repeat exactly", "[transport]") {
  auto cfg = testing::small_fleet();
  cfg.run.duration_s = 150.0;
  cfg.transport.long_polling_share = 0.3;
  cfg.transport.sse_share = 0.2;
  cfg.transport.long_polling.poll_timeout_s = 3.0;
  cfg.balancer.sticky = models::Stickiness::SourceIp;
  cfg.clients.session_s = sim::Distribution::exponential(30.0);
  cfg.clients.on_session_end = models::SessionEnd::Reconnect;
  cfg.clients.vanish_share = 0.1;
  cfg.faults.push_back(models::CrashFault::of_server(1, 40.0, 20.0));
  models::CrashFault block;
  block.target = models::FaultTarget::WebSocketBlock;
  block.at_s = 50.0;
  block.share = 0.5;
  block.recover_after_s = 30.0;
  cfg.faults.push_back(block);
  models::ScalingEvent drain;
  drain.at_s = 90.0;
  drain.remove = 1;
  drain.drain_timeout_s = 10.0;
  cfg.scaling.push_back(drain);
  const auto a = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(a));
  const auto& p = a.summary.transport.polls;
  CHECK(p.failed_session_closed > 0);  // polls held when their server crashed or drained
  CHECK(p.sent == p.answered_with_data + p.timed_out + p.failed + p.in_flight_at_end);
  const auto b = models::Fleet(cfg).run();
  CHECK(stripped(a.summary) == stripped(b.summary));
  CHECK(a.fleet.column("polls") == b.fleet.column("polls"));
}

TEST_CASE("without fallback clients the transport figures are all WebSocket and zero polls", "[transport]") {
  const auto r = models::Fleet(testing::small_fleet()).run();
  REQUIRE(testing::conserved(r));
  const auto& t = r.summary.transport;
  CHECK(t.at_end.websocket == r.summary.connections.active_at_end);
  CHECK(t.peak.websocket == r.summary.peak_connections);
  CHECK(t.polls.sent == 0);
  CHECK(t.posts_sent == 0);
  CHECK(t.fallback_share_at_end == 0.0);
  CHECK(testing::fleet_sum(r, 0.0, 120.0, "polls") == 0.0);
}
