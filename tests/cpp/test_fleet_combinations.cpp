// Every feature against every other: random combinations of balancer, health, limits, tiers,
// stickiness, scaling, topology, heartbeats, half-open connections, shedding, pub/sub, fallback
// transports (long polling, SSE, WebSocket blocks) and faults on small
// fleets. Each run must finish, conserve everything, and repeat bit for bit.
#include <cstdlib>
#include <string>

#include "experiments/result_writer.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"
#include "tests/cpp/random_config.hpp"

using namespace wsfleet;


TEST_CASE("random combinations of every feature conserve everything and repeat exactly", "[fleet][combinations]") {
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    const models::FleetConfig cfg = testing::random_config(seed);
    INFO("combination seed " << seed);
    const auto a = models::Fleet(cfg).run();  // throws ConservationError if anything is unaccounted for
    REQUIRE(testing::conserved(a));
    const auto b = models::Fleet(cfg).run();
    auto strip = [](models::RunSummary s) {
      s.wall_seconds = 0;
      return experiments::summary_json_text(s);
    };
    CHECK(strip(a.summary) == strip(b.summary));
  }
}

// More combinations, from any seed: hidden (not in the default run), run by the sanitizer stage
// (scripts/sanitize_runs) as `wsfleet_tests "[combinations_more]"` with WSFLEET_COMBINATIONS=FIRST:COUNT.
TEST_CASE("more random combinations, from the seeds WSFLEET_COMBINATIONS names", "[.combinations_more]") {
  std::uint64_t first = 31, count = 100;
  if (const char* spec = std::getenv("WSFLEET_COMBINATIONS")) {
    const std::string text(spec);
    const auto colon = text.find(':');
    REQUIRE(colon != std::string::npos);
    first = std::stoull(text.substr(0, colon));
    count = std::stoull(text.substr(colon + 1));
  }
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    const models::FleetConfig cfg = testing::random_config(seed);
    INFO("combination seed " << seed);
    REQUIRE(testing::conserved(models::Fleet(cfg).run()));
  }
}

TEST_CASE("clients that retry at once cannot spin at one instant: a refusal costs a round trip", "[fleet][combinations]") {
  auto cfg = testing::small_fleet();
  cfg.clients.count = 20;
  cfg.clients.ramp_s = 0.0;  // all arrive at once
  cfg.run.duration_s = 10.0;
  cfg.fleet.servers = 1;
  cfg.backoff.policy = "immediate";
  cfg.backoff.params.clear();
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;
  cfg.faults.push_back(models::CrashFault::of_server(0, 0.0));  // no backend, ever
  const auto r = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(r));
  // At most one attempt per client per millisecond.
  CHECK(r.summary.connections.no_backend <= 20u * 10001u);
  CHECK(r.summary.connections.no_backend > 20u * 9000u);
}
