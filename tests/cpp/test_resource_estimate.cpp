// The event (run-time) estimate checked before a run (experiments/resource_estimate): its terms
// computed by hand, its agreement with the events a run really processes, and the refusal of runs
// that would take hours or days, at the key that makes most of their events.
#include <string>
#include <vector>

#include "experiments/resource_estimate.hpp"
#include "experiments/scenario_loader.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

namespace {

namespace ex = wsfleet::experiments;
using wsfleet::models::FleetConfig;

std::string error_of(const std::string& toml, const std::vector<std::string>& overrides = {}) {
  try {
    ex::load_scenario_string(toml, "t.toml", overrides);
  } catch (const ex::ScenarioError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the event estimate adds up the scenario's sources, by hand", "[estimate]") {
  const FleetConfig cfg = wsfleet::testing::small_fleet();
  const ex::EventEstimate e = ex::estimate_events(cfg);
  // 2000 clients connected from 5 s on average (ramp 10 s) to 120 s: 230,000 connection-seconds.
  // Connections 3 x 2000; samples 120; load reports 120 / 5; probes 1 balancer x 4 servers x 120 / 2.
  // Heartbeats (230,000 / 25 = 9,200) and messages (6/min x 230,000 s = 23,000) are pooled per server.
  CHECK(e.events == Approx(6000.0 + 120.0 + 24.0 + 240.0));
  CHECK(e.deliveries == 0.0);
  CHECK(e.heartbeats == Approx(9200.0 + 23000.0));
  CHECK(e.seconds == Approx(6384.0 / ex::kEventsPerSecond + 32200.0 / ex::kHeartbeatsPerSecond));
  CHECK(e.largest_key == "clients.count");
  CHECK(e.largest_share == Approx(6000.0 / ex::kEventsPerSecond / e.seconds));
  CHECK(ex::describe_estimate(e) == "about 6.38 k events, ~0.0 s");
  CHECK(ex::events_refusal(e, 1e10).empty());
  // Per-connection timers make each heartbeat an event.
  FleetConfig timers = cfg;
  timers.run.per_connection_timers = true;
  CHECK(ex::estimate_events(timers).events == Approx(e.events + 9200.0 + 23000.0));
  CHECK(ex::estimate_events(timers).heartbeats == 0.0);
  // Pub/sub: 10 fed channels of 10 (one subscription each, so every client is on one of them) at
  // 2 publications a second for 120 s: 2,400 publications, each an event, an arrival and a fan-out
  // on each of the 4 servers (every channel has dozens of subscribers spread over them), then
  // written to its channel's subscribers: 240 per channel x the 1,917 clients connected on average.
  FleetConfig ps = cfg;
  ps.pubsub.channels = 10;
  ps.pubsub.subscriptions = 1;
  ps.pubsub.feed.channels = 10;
  ps.pubsub.feed.rate_per_s = 2.0;
  const ex::EventEstimate p = ex::estimate_events(ps);
  CHECK(p.deliveries == Approx(240.0 * 2000.0 * 115.0 / 120.0));
  CHECK(p.events - e.events == Approx(2400.0 * (2.0 + 4.0)).epsilon(0.01));
  const auto run = wsfleet::models::Fleet(ps).run();
  INFO("copies " << run.summary.pubsub.copies << ", events " << run.summary.events_processed);
  CHECK(static_cast<double>(run.summary.pubsub.copies) == Approx(p.deliveries).epsilon(0.1));
  CHECK(static_cast<double>(run.summary.events_processed) == Approx(p.events).epsilon(0.1));
}

TEST_CASE("the event estimate is within a factor of 2 of the events a run processes", "[estimate]") {
  FleetConfig cfg = wsfleet::testing::small_fleet();
  cfg.faults.push_back(wsfleet::models::CrashFault::of_server(1, 60.0, 20.0));
  const auto run = wsfleet::models::Fleet(cfg).run();
  const double real = static_cast<double>(run.summary.events_processed);
  const double estimated = ex::estimate_events(cfg).events;
  INFO("estimated " << estimated << ", processed " << real);
  CHECK(estimated > real / 2.0);
  CHECK(estimated < real * 2.0);
}

TEST_CASE("a run estimated beyond run.max_events is refused at the key that makes most events", "[estimate][limits]") {
  // 100,000 clients (the default) sending a message a second for 1e6 s: 1e11 events, 7 hours.
  const std::string toml = "[run]\nduration_s = 1e6\nsample_interval_s = 10\n[clients]\nmessages_per_minute = 60\n";
  const std::string message = error_of(toml);
  INFO(message);
  CHECK(message.rfind("t.toml:5:23: this scenario needs about ", 0) == 0);
  CHECK(message.find("more than run.max_events = 10 G: clients.messages_per_minute makes 9") != std::string::npos);
  CHECK(message.find("lower clients.messages_per_minute or shorten run.duration_s, or raise run.max_events") != std::string::npos);
  CHECK(message.find('\n') == std::string::npos);
  // The explicit override: the user means it.
  CHECK(error_of(toml, {"run.max_events=1e12"}).empty());
  // A key not written in the file: the refusal points at run.duration_s (line 2) and names the key.
  const std::string by_default = error_of("[run]\nduration_s = 1e7\nsample_interval_s = 100\n");
  INFO(by_default);
  CHECK(by_default.rfind("t.toml:2:14: ", 0) == 0);
  CHECK(by_default.find("clients.heartbeat_interval_s makes 7") != std::string::npos);
  CHECK(by_default.find("raise clients.heartbeat_interval_s") != std::string::npos);
  // A timer interval that dominates is to be raised, not lowered.
  const std::string probes =
      error_of("[run]\nduration_s = 1e7\nsample_interval_s = 10000\n[clients]\ncount = 10\n[fleet]\nservers = 1000\n"
               "[balancer.health_check]\ninterval_s = 0.001\n");
  INFO(probes);
  CHECK(probes.rfind("t.toml:9:14: ", 0) == 0);
  CHECK(probes.find("balancer.health_check.interval_s makes 100 % of them; raise balancer.health_check.interval_s") !=
        std::string::npos);
  // The limit itself is a key with a range.
  CHECK(error_of("", {"run.max_events=0"}).find("run.max_events") != std::string::npos);
  CHECK(ex::load_scenario_string("", "t.toml", {"run.max_events=5e6"}).run.max_events == 5e6);
}
