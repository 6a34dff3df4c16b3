// The balancer's scenario keys: [balancer] settings and sub-tables, [[scaling]], balancer faults,
// the real software's defaults behind presets, errors, and the round trip.
#include <optional>
#include <string>

#include "experiments/scenario_error.hpp"
#include "experiments/scenario_loader.hpp"
#include "experiments/scenario_writer.hpp"
#include "models/balancer/balancer_defaults.hpp"
#include "models/balancing_policy.hpp"
#include "models/fleet.hpp"
#include "tests/cpp/catch.hpp"

using wsfleet::experiments::load_scenario_string;
using wsfleet::experiments::scenario_to_toml;
using wsfleet::experiments::ScenarioError;
using namespace wsfleet::models;

namespace {

std::string message_of(const std::string& toml) {
  try {
    load_scenario_string(toml, "t.toml");
  } catch (const ScenarioError& e) {
    return e.what();
  }
  FAIL("no error for:\n" << toml);
  return "";
}

const char* kFull = R"(
[fleet]
servers = 4

[balancer]
policy = "random_two_choices"
choices = 3
count = 3
tries = 0
max_connections_per_backend = 5000
max_new_connections_per_s = 250.5
source_ports = 64000
source_addresses = 2
metrics_interval_s = 0.5
sticky = "source_ip"
failover_s = 45

[balancer.health_check]
mode = "active"
interval_s = 5
timeout_s = 0.25
fall = 4
rise = 7

[balancer.passive]
max_fails = 2
fail_timeout_s = 30

[balancer.slow_start]
window_s = 60
curve = "power"
aggression = 1.5
min_weight_percent = 5

[[scaling]]
at_s = 100
add = 2
weight = 2.5

[[scaling]]
at_s = 200
remove = 1
drain_timeout_s = 15

[[faults]]
type = "crash"
server = 5

[[faults]]
type = "balancer_crash"
balancer = 2
at_s = 50
recover_after_s = 20
)";

}  // namespace

TEST_CASE("every balancer key is read, and the effective scenario loads back identically", "[scenario][balancer]") {
  const FleetConfig c = load_scenario_string(kFull, "t.toml");
  const BalancerSection& b = c.balancer;
  CHECK(b.params.at("choices") == 3.0);
  CHECK(b.count == 3);
  CHECK(b.tries == 0);
  CHECK(b.max_connections_per_backend == 5000);
  CHECK(b.max_new_connections_per_s == 250.5);
  CHECK(b.source_ports == 64000);
  CHECK(b.source_addresses == 2);
  CHECK(b.metrics_interval_s == 0.5);
  CHECK(b.sticky == Stickiness::SourceIp);
  CHECK(b.failover_s == 45.0);
  CHECK(b.health_check == HealthCheckSection{HealthCheckMode::Active, 5.0, 0.25, 4, 7});
  CHECK(b.passive == PassiveSection{2, 30.0});
  CHECK(b.slow_start.window_s == 60.0);
  CHECK(b.slow_start.curve == SlowStartCurve::Power);
  CHECK(b.slow_start.aggression == 1.5);
  CHECK(b.slow_start.min_weight_percent == 5.0);
  REQUIRE(c.scaling.size() == 2);
  CHECK(c.scaling[0].add == 2);
  CHECK(c.scaling[0].weight == 2.5);
  CHECK(c.scaling[1].remove == 1);
  CHECK(c.scaling[1].drain_timeout_s == 15.0);
  CHECK(c.total_servers() == 6);
  REQUIRE(c.faults.size() == 2);
  CHECK(c.faults[0].server == 5);  // an added server may crash
  CHECK(c.faults[1].target == FaultTarget::Balancer);
  CHECK(c.faults[1].balancer == 2);
  const std::string text = scenario_to_toml(c);
  INFO(text);
  CHECK(load_scenario_string(text, "effective.toml") == c);
}

TEST_CASE("a preset starts from its software's defaults, which keys override", "[scenario][balancer]") {
  const BalancerSection nginx = balancer_defaults("nginx_least_conn");
  CHECK(nginx.health_check.mode == HealthCheckMode::None);  // open-source NGINX has no active checks
  CHECK(nginx.passive == PassiveSection{1, 10.0});
  CHECK(nginx.tries == 0);
  const BalancerSection haproxy = balancer_defaults("haproxy_leastconn");
  CHECK(haproxy.health_check == HealthCheckSection{HealthCheckMode::Active, 2.0, 2.0, 3, 2});
  CHECK(haproxy.passive.max_fails == 0);
  const BalancerSection alb = balancer_defaults("aws_alb");
  CHECK(alb.health_check == HealthCheckSection{HealthCheckMode::Active, 30.0, 5.0, 2, 5});
  CHECK(balancer_defaults("ipvs_rr").health_check.interval_s == 10.0);
  CHECK(balancer_defaults("envoy_round_robin").passive.max_fails == 0);  // outlier detection is off unless configured
  CHECK(balancer_software("envoy_maglev") == "Envoy");
  CHECK(balancer_software("least_connections").empty());
  // A generic algorithm gets the generic defaults.
  CHECK(balancer_defaults("least_connections") == BalancerSection{});
  CHECK(load_scenario_string("", "t.toml").balancer.health_check == HealthCheckSection{});
}

TEST_CASE("balancer keys: errors name the key and what is allowed", "[scenario][balancer][errors]") {
  CHECK(message_of("[balancer]\n[balancer.health_check]\nmode = \"activ\"\n") ==
        "t.toml:3:8: balancer.health_check.mode must be one of active, instant, none (got 'activ'); did you mean 'active'?");
  CHECK(message_of("[balancer.health_check]\nfal = 2\n") ==
        "t.toml:2:1: unknown key 'fal' in [balancer.health_check]; did you mean 'fall'? Allowed: mode, interval_s, "
        "timeout_s, fall, rise");
  CHECK(message_of("[balancer.health_check]\nfall = 0\n") ==
        "t.toml:2:8: balancer.health_check.fall must be between 1 and 1000 (got 0)");
  CHECK(message_of("[balancer]\nsticky = \"cookies\"\n") ==
        "t.toml:2:10: balancer.sticky must be one of none, cookie, source_ip (got 'cookies'); did you mean 'cookie'?");
  CHECK(message_of("[balancer]\ncount = 0\n") == "t.toml:2:9: balancer.count must be between 1 and 64 (got 0)");
  CHECK(message_of("[balancer]\nhealth_check = 3\n") ==
        "t.toml:2:16: balancer.health_check must be a table, written [balancer.health_check] (got integer)");
  CHECK(message_of("[balancer.slow_start]\ncurve = \"linear\"\naggression = 0\n") ==
        "t.toml:3:14: balancer.slow_start.aggression must be > 0 and <= 1000 (got 0)");
  CHECK(message_of("[[scaling]]\nat_s = 10\n") ==
        "t.toml:1:1: scaling.0 changes nothing: give add = N (servers that join) or remove = N (servers drained and removed)");
  CHECK(message_of("[[scaling]]\nadd = 1\n") == "t.toml:1:1: scaling.0.at_s is required: when the fleet changes, s");
  CHECK(message_of("[[faults]]\ntype = \"balancer_crash\"\nbalancer = 1\n") ==
        "t.toml:3:12: faults.0.balancer must be between 0 and balancer.count - 1 = 0 (got 1)");
  CHECK(message_of("[[faults]]\ntype = \"crash\"\nbalancer = 0\n") ==
        "t.toml:3:12: faults.0.balancer is for type = \"balancer_crash\"; a crash names its server");
  CHECK(message_of("[fleet]\nservers = 2\n[[scaling]]\nat_s = 1\nadd = 1\n[[faults]]\ntype = \"crash\"\nserver = 3\n") ==
        "t.toml:8:10: faults.0.server must be between 0 and fleet.servers + [[scaling]] adds - 1 = 2 (got 3)");
}

TEST_CASE("a scenario naming a preset gets its software's balancer defaults, and every preset runs a storm", "[scenario][balancer]") {
  const FleetConfig nginx = load_scenario_string("[balancer]\npolicy = \"nginx_least_conn\"\n", "t.toml");
  CHECK(nginx.balancer.health_check.mode == HealthCheckMode::None);
  CHECK(nginx.balancer.passive == PassiveSection{1, 10.0});
  CHECK(nginx.balancer.idle_timeout_s == 60.0);
  const FleetConfig alb = load_scenario_string(
      "[balancer]\npolicy = \"aws_alb\"\n[balancer.health_check]\ninterval_s = 10\n", "t.toml");
  CHECK(alb.balancer.health_check == HealthCheckSection{HealthCheckMode::Active, 10.0, 5.0, 2, 5});
  for (const auto& preset : balancing_presets()) {
    INFO(preset.name);
    const FleetConfig c = load_scenario_string(
        "[run]\nduration_s = 60\n[fleet]\nservers = 4\nmax_connections = 400\n[clients]\ncount = 800\nramp_s = 5\n"
        "session = {distribution = \"exponential\", mean_s = 20}\non_session_end = \"reconnect\"\n"
        "[balancer]\npolicy = \"" + preset.name + "\"\n[[faults]]\ntype = \"crash\"\nserver = 1\nat_s = 20\nrecover_after_s = 10\n",
        "t.toml");
    const auto r = Fleet(c).run();
    for (const auto& check : r.summary.conservation) CHECK(check.ok);
    CHECK(r.summary.connections.established > 800);
  }
}
