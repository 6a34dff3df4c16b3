// Scenario files: defaults, every section, every kind of error with its position, "did you mean",
// and hostile input (overrides and round trips: test_scenario_overrides.cpp).
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "experiments/scenario_loader.hpp"
#include "models/backoff_policy.hpp"
#include "models/balancing_policy.hpp"
#include "sim/random.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/scenario_fixtures.hpp"

using namespace wsfleet::testing::scenario_names;  // NOLINT(google-build-using-namespace)

TEST_CASE("an empty scenario is the FleetConfig defaults with policy parameters filled in", "[scenario]") {
  const FleetConfig config = load("");
  const FleetConfig defaults;
  CHECK(config.name == defaults.name);
  CHECK(config.description == defaults.description);
  CHECK(config.run == defaults.run);
  CHECK(config.fleet == defaults.fleet);
  CHECK(config.clients == defaults.clients);
  CHECK(config.faults.empty());
  CHECK(config.balancer.policy == "round_robin");
  CHECK(config.balancer.params.empty());  // round_robin takes no parameters
  CHECK(config.backoff.policy == "full_jitter");
  REQUIRE(config.backoff.params.size() == 3);
  CHECK(config.backoff.params.at("base_s") == 1.0);
  CHECK(config.backoff.params.at("cap_s") == 30.0);
  CHECK(config.backoff.params.at("max_retries") == 0.0);
  // Comments and blank lines only are just as empty.
  CHECK(load("# nothing here\n\n   \n") == config);
}

TEST_CASE("every section and key is read", "[scenario]") {
  const FleetConfig c = load(R"(
[scenario]
name = "storm"
description = "two crashes"

[run]
duration_s = 1200
sample_interval_s = 0.5
seed = 42
replication = 3
per_connection_timers = true

[fleet]
servers = 4
max_connections = 5000
cpu_cores = 8
memory_per_connection_kib = 32.5
base_memory_mib = 100
weights = [1, 2.5, 1, 0.5]

[fleet.cpu]
handshake_us = 2000
inbound_message_us = 40.5
outbound_message_us = 10
heartbeat_us = 0
service_time = "exponential"

[clients]
count = 12345
ramp_s = 0
session = { distribution = "lognormal", mean_s = 300, stddev_s = 120.5 }
on_session_end = "reconnect"
messages_per_minute = 6
replies_per_message = 2.5
heartbeat_interval_s = 0
connect_timeout_s = 2.5

[balancer]
policy = "random_two_choices"
choices = 3

[backoff]
policy = "decorrelated_jitter"
base_s = 0.5
cap_s = 60
max_retries = 10

[[faults]]
type = "crash"
server = 3
at_s = 600
recover_after_s = 30.5

[[faults]]
type = "crash"
server = 0
at_s = 1200
)");
  CHECK(c.name == "storm");
  CHECK(c.description == "two crashes");
  CHECK(c.run.duration_s == 1200.0);  // a TOML integer is accepted for a float key
  CHECK(c.run.sample_interval_s == 0.5);
  CHECK(c.run.seed == 42);
  CHECK(c.run.replication == 3);
  CHECK(c.run.per_connection_timers);
  CHECK_FALSE(load("").run.per_connection_timers);
  const ScenarioError timers = error_of("[run]\nper_connection_timers = \"yes\"\n");
  CHECK(timers.key() == "run.per_connection_timers");
  CHECK(has(timers.what(), "true or false"));
  CHECK(c.fleet.servers == 4);
  CHECK(c.fleet.max_connections == 5000);
  CHECK(c.fleet.cpu_cores == 8);
  CHECK(c.fleet.memory_per_connection_kib == 32.5);
  CHECK(c.fleet.base_memory_mib == 100.0);
  CHECK(c.fleet.weights == std::vector<double>{1.0, 2.5, 1.0, 0.5});
  CHECK(c.fleet.cpu.handshake_us == 2000.0);
  CHECK(c.fleet.cpu.inbound_message_us == 40.5);
  CHECK(c.fleet.cpu.outbound_message_us == 10.0);
  CHECK(c.fleet.cpu.heartbeat_us == 0.0);
  CHECK(c.fleet.cpu.service_time == wsfleet::models::ServiceTime::Exponential);
  CHECK(c.clients.count == 12345);
  CHECK(c.clients.ramp_s == 0.0);
  CHECK(c.clients.session_s == Distribution::lognormal(300.0, 120.5));
  CHECK(c.clients.session_s.mean() == Approx(300.0));
  CHECK(c.clients.on_session_end == SessionEnd::Reconnect);
  CHECK(c.clients.messages_per_minute == 6.0);
  CHECK(c.clients.replies_per_message == 2.5);
  CHECK(c.clients.heartbeat_interval_s == 0.0);
  CHECK(c.clients.connect_timeout_s == 2.5);
  CHECK(c.balancer.policy == "random_two_choices");
  CHECK(c.balancer.params == wsfleet::models::Params{{"choices", 3.0}});
  CHECK(c.backoff.policy == "decorrelated_jitter");
  CHECK(c.backoff.params == wsfleet::models::Params{{"base_s", 0.5}, {"cap_s", 60.0}, {"max_retries", 10.0}});
  REQUIRE(c.faults.size() == 2);
  CHECK(c.faults[0].server == 3);
  CHECK(c.faults[0].at_s == 600.0);
  CHECK(c.faults[0].recover_after_s == 30.5);
  CHECK(c.faults[1].server == 0);
  CHECK(c.faults[1].at_s == 1200.0);  // at the very end is allowed
  CHECK_FALSE(c.faults[1].recover_after_s.has_value());
}

TEST_CASE("session lengths: every distribution, table or inline, and \"never\"", "[scenario]") {
  auto session = [](const std::string& value) { return load("[clients]\nsession = " + value + "\n").clients.session_s; };
  CHECK(session(R"("never")") == Distribution::never());
  CHECK(session(R"({distribution = "never"})") == Distribution::never());
  CHECK(session(R"({distribution = "constant", value_s = 30})") == Distribution::constant(30.0));
  CHECK(session(R"({distribution = "exponential", mean_s = 600})") == Distribution::exponential(600.0));
  CHECK(session(R"({distribution = "uniform", low_s = 10, high_s = 20.5})") == Distribution::uniform(10.0, 20.5));
  CHECK(session(R"({distribution = "uniform", low_s = 10, high_s = 10})") == Distribution::uniform(10.0, 10.0));
  CHECK(session(R"({distribution = "lognormal", mean_s = 60, stddev_s = 0})") == Distribution::lognormal(60.0, 0.0));
  CHECK(session(R"({distribution = "pareto", scale_s = 5, shape = 1.5})") == Distribution::pareto(5.0, 1.5));
  // The same as a [clients.session] table.
  const FleetConfig c = load("[clients.session]\ndistribution = \"exponential\"\nmean_s = 90\n");
  CHECK(c.clients.session_s == Distribution::exponential(90.0));
  // on_session_end's two values.
  CHECK(load("[clients]\non_session_end = \"leave\"").clients.on_session_end == SessionEnd::Leave);
  CHECK(load("[clients]\non_session_end = \"reconnect\"").clients.on_session_end == SessionEnd::Reconnect);
}

TEST_CASE("TOML syntax errors give the parser's position and description", "[scenario][errors]") {
  const ScenarioError e = error_of("[run]\nduration_s = 600\nseed = = 3\n");
  CHECK(e.file() == "t.toml");
  CHECK(e.line() == 3);
  CHECK(e.column() > 0);
  CHECK(e.key().empty());
  CHECK(has(e.what(), "t.toml:3:" + std::to_string(e.column()) + ": TOML syntax error: "));

  const ScenarioError unclosed = error_of("[fleet\nservers = 3\n");
  CHECK(unclosed.line() == 1);
  CHECK(has(unclosed.what(), ": TOML syntax error: "));
}

TEST_CASE("unknown keys and sections name the place, suggest the closest key and list the allowed ones",
          "[scenario][errors]") {
  SECTION("a typo in [clients]") {
    const ScenarioError e = error_of("[clients]\ncount = 5\ncout = 5000\n");
    CHECK(std::string(e.what()) ==
          "t.toml:3:1: unknown key 'cout' in [clients]; did you mean 'count'? " + kClientsAllowed);
    CHECK(e.line() == 3);
    CHECK(e.column() == 1);
    CHECK(e.key() == "clients.cout");
    CHECK(e.message() == "unknown key 'cout' in [clients]; did you mean 'count'? " + kClientsAllowed);
  }
  SECTION("no suggestion when nothing is close") {
    const ScenarioError e = error_of("[clients]\n  zebra = 1\n");
    CHECK(std::string(e.what()) == "t.toml:2:3: unknown key 'zebra' in [clients]. " + kClientsAllowed);
  }
  SECTION("[fleet.cpu] and a dotted key") {
    const ScenarioError e = error_of("[fleet]\ncpu.handshake = 5\n");
    CHECK(e.line() == 2);
    CHECK(e.column() == 5);
    CHECK(e.key() == "fleet.cpu.handshake");
    CHECK(has(e.what(), "unknown key 'handshake' in [fleet.cpu]; did you mean 'handshake_us'?"));
  }
  SECTION("an unknown section") {
    const ScenarioError e = error_of("[run]\nseed = 1\n\n[flet]\nservers = 3\n");
    CHECK(std::string(e.what()) ==
          "t.toml:4:2: unknown section [flet]; did you mean [fleet]? Allowed sections: [scenario], [run], [fleet], "
          "[clients], [balancer], [backoff], [heartbeat], [[faults]], [[scaling]], [[deploys]], [autoscaler], [topology], [pubsub], [transport], "
          "[sweep], [plan], [storm], [alerts]");
  }
  SECTION("a key outside any section says where it belongs") {
    const ScenarioError e = error_of("seed = 7\n");
    CHECK(std::string(e.what()) == "t.toml:1:1: key 'seed' is outside any section: it belongs in [run]");
  }
  SECTION("an unknown top-level key") {
    const ScenarioError e = error_of("\nbogus = 7\n");
    CHECK(e.line() == 2);
    CHECK(has(e.what(), "unknown top-level key 'bogus'. Allowed sections: [scenario]"));
  }
  SECTION("a parameter of another policy") {
    const ScenarioError e = error_of("[balancer]\npolicy = \"least_connections\"\nchoices = 2\n");
    CHECK(std::string(e.what()) ==
          "t.toml:3:1: unknown key 'choices' in [balancer] for policy 'least_connections'. Allowed: policy, count, tries, "
          "max_connections_per_backend, max_new_connections_per_s, source_ports, source_addresses, metrics_interval_s, "
          "sticky, failover_s, idle_timeout_s, connect_timeout_s, health_check, passive, slow_start");
  }
  SECTION("a misspelt policy parameter") {
    const ScenarioError e = error_of("[backoff]\npolicy = \"full_jitter\"\nbsae_s = 2\n");
    CHECK(std::string(e.what()) ==
          "t.toml:3:1: unknown key 'bsae_s' in [backoff] for policy 'full_jitter'; did you mean 'base_s'? "
          "Allowed: policy, base_s, cap_s, max_retries");
    CHECK(e.key() == "backoff.bsae_s");
  }
  SECTION("a misspelt fault key") {
    const ScenarioError e = error_of("[[faults]]\ntype = \"crash\"\nrecover_after = 5\n");
    CHECK(std::string(e.what()) ==
          "t.toml:3:1: unknown key 'recover_after' in [[faults]] entry 0; did you mean 'recover_after_s'? "
          "Allowed: type, server, balancer, site, share, factor, period_s, latency_ms, loss, region, at_s, recover_after_s");
    CHECK(e.key() == "faults.0.recover_after");
  }
}

TEST_CASE("wrong types point at the value", "[scenario][errors]") {
  const ScenarioError e = error_of("[clients]\ncount = \"many\"\n");
  CHECK(std::string(e.what()) == "t.toml:2:9: clients.count must be an integer (got string)");
  CHECK(e.key() == "clients.count");
  CHECK(e.line() == 2);
  CHECK(e.column() == 9);

  // Integer keys take TOML integers only, even whole floats.
  CHECK(error_of("[fleet]\nservers = 10.0").message() == "fleet.servers must be an integer (got float)");
  CHECK(error_of("[run]\nduration_s = true").message() == "run.duration_s must be a number (got boolean)");
  CHECK(error_of("[run]\nduration_s = \"600\"").message() == "run.duration_s must be a number (got string)");
  CHECK(error_of("[scenario]\nname = 5").message() == "scenario.name must be a string (got integer)");
  CHECK(error_of("[run]\nseed = 1979-05-27").message() == "run.seed must be an integer (got date)");
  CHECK(error_of("run = 5").message() == "run must be a table, written [run] (got integer)");
  CHECK(error_of("[fleet]\ncpu = 5").message() == "fleet.cpu must be a table, written [fleet.cpu] (got integer)");
  CHECK(error_of("[fleet]\nweights = 1").message() == "fleet.weights must be an array of numbers (got integer)");
  CHECK(error_of("[balancer]\npolicy = 3").message() == "balancer.policy must be a string (got integer)");
  CHECK(error_of("[balancer]\npolicy = \"random_two_choices\"\nchoices = \"two\"").message() ==
        "balancer.choices must be a number (got string)");
  CHECK(error_of("[faults]\ntype = \"crash\"").message() ==
        "faults must be an array of tables, written [[faults]] (got table)");
  CHECK(error_of("faults = [1]").message() ==
        "faults.0 must be a table such as {type = \"crash\", server = 3, at_s = 300} (got integer)");

  const ScenarioError weight = error_of("[fleet]\nservers = 3\nweights = [1, \"x\", 1]\n");
  CHECK(std::string(weight.what()) == "t.toml:3:15: fleet.weights.1 must be a number (got string)");
}

TEST_CASE("out-of-range values state the allowed range", "[scenario][errors]") {
  const ScenarioError e = error_of("[fleet]\nservers = 0\n");
  CHECK(std::string(e.what()) == "t.toml:2:11: fleet.servers must be between 1 and 100000 (got 0)");
  CHECK(e.key() == "fleet.servers");

  CHECK(error_of("[fleet]\nservers = 100001").message() == "fleet.servers must be between 1 and 100000 (got 100001)");
  CHECK(error_of("[fleet]\nmax_connections = 0").message() ==
        "fleet.max_connections must be between 1 and 1000000000 (got 0)");
  CHECK(error_of("[fleet]\ncpu_cores = 1025").message() == "fleet.cpu_cores must be between 1 and 1024 (got 1025)");
  CHECK(error_of("[fleet]\nmemory_per_connection_kib = -1").message() ==
        "fleet.memory_per_connection_kib must be between 0 and 1000000000 (got -1)");
  CHECK(error_of("[fleet]\nbase_memory_mib = -0.5").message() == "fleet.base_memory_mib must be between 0 and 1000000000 (got -0.5)");
  CHECK(error_of("[fleet.cpu]\nhandshake_us = -1").message() ==
        "fleet.cpu.handshake_us must be between 0 and 10000000 (got -1)");
  CHECK(error_of("[fleet.cpu]\nheartbeat_us = 1e8").message() ==
        "fleet.cpu.heartbeat_us must be between 0 and 10000000 (got 100000000)");
  CHECK(error_of("[run]\nduration_s = 0").message() == "run.duration_s must be > 0 and <= 10000000 (got 0)");
  CHECK(error_of("[run]\nduration_s = 1.5e7").message() ==
        "run.duration_s must be > 0 and <= 10000000 (got 15000000)");
  // The bound itself (10 clients: 100,000 for 1e7 s would be refused by run.max_events).
  CHECK(load("[run]\nduration_s = 1e7\nsample_interval_s = 100\n[clients]\ncount = 10").run.duration_s == 1e7);
  CHECK(error_of("[run]\nseed = -1").message() == "run.seed must be >= 0 (got -1)");
  CHECK(error_of("[run]\nreplication = -5").message() == "run.replication must be >= 0 (got -5)");
  CHECK(error_of("[clients]\ncount = -1").message() == "clients.count must be between 0 and 1000000000 (got -1)");
  CHECK(error_of("[clients]\nramp_s = -1").message() == "clients.ramp_s must be >= 0 (got -1)");
  CHECK(error_of("[clients]\nmessages_per_minute = 2e6").message() ==
        "clients.messages_per_minute must be between 0 and 1000000 (got 2000000)");
  CHECK(error_of("[clients]\nreplies_per_message = 10001").message() ==
        "clients.replies_per_message must be between 0 and 10000 (got 10001)");
  CHECK(error_of("[clients]\nheartbeat_interval_s = -25").message() ==
        "clients.heartbeat_interval_s must be 0 or >= 0.001 (got -25)");
  CHECK(error_of("[clients]\nconnect_timeout_s = 0").message() == "clients.connect_timeout_s must be > 0 (got 0)");
  CHECK(error_of("[clients]\non_session_end = \"stay\"").message() ==
        "clients.on_session_end must be one of leave, reconnect (got 'stay')");
  CHECK(error_of("[clients]\non_session_end = \"reconect\"").message() ==
        "clients.on_session_end must be one of leave, reconnect (got 'reconect'); did you mean 'reconnect'?");
  CHECK(error_of("[fleet]\nservers = 2\nweights = [1, 0]").message() ==
        "fleet.weights.1 is 0, which only an ipvs_* balancer policy allows (IPVS weight 0: no new connections); "
        "balancer.policy is \"round_robin\": give a weight > 0");
  CHECK(error_of("[fleet]\nservers = 2\nweights = [1, -inf]").message() ==
        "fleet.weights.1 must be a finite number between 0 and 1000000 (got -inf)");
  CHECK(error_of("[[faults]]\ntype = \"crash\"\nrecover_after_s = 0").message() ==
        "faults.0.recover_after_s must be > 0 (got 0)");
}

TEST_CASE("NaN and infinities are rejected with the key's position", "[scenario][errors]") {
  const ScenarioError e = error_of("[run]\nduration_s = nan\n");
  CHECK(std::string(e.what()) == "t.toml:2:14: run.duration_s must be a finite number (got nan)");
  CHECK(error_of("[clients]\nramp_s = inf").message() == "clients.ramp_s must be a finite number (got inf)");
  CHECK(error_of("[fleet.cpu]\nhandshake_us = -inf").message() ==
        "fleet.cpu.handshake_us must be a finite number (got -inf)");
  CHECK(error_of("[backoff]\ncap_s = +inf").message() == "backoff.cap_s must be a finite number (got inf)");
  CHECK(error_of("[clients]\nsession = {distribution = \"exponential\", mean_s = nan}").message() ==
        "clients.session.mean_s must be a finite number (got nan)");
}

TEST_CASE("cross-field errors point at the key that has to change", "[scenario][errors]") {
  SECTION("sample interval longer than the run") {
    const ScenarioError e = error_of("[run]\nduration_s = 60\nsample_interval_s = 120\n");
    CHECK(std::string(e.what()) ==
          "t.toml:3:21: run.sample_interval_s must be > 0 and <= run.duration_s = 60 (got 120)");
    CHECK(e.key() == "run.sample_interval_s");
  }
  SECTION("a run shorter than the default sample interval") {
    const ScenarioError e = error_of("[run]\nduration_s = 0.5\n");
    CHECK(std::string(e.what()) ==
          "t.toml:2:14: run.duration_s = 0.5 is shorter than run.sample_interval_s = 1 (its default): "
          "set run.sample_interval_s as well");
  }
  SECTION("too many samples") {
    const ScenarioError e = error_of("[run]\nduration_s = 1e6\nsample_interval_s = 0.1\n");
    CHECK(e.line() == 3);
    CHECK(e.message() ==
          "run.duration_s / run.sample_interval_s must be <= 1000000 samples (got 10000000): raise "
          "run.sample_interval_s");
    CHECK(load("[run]\nduration_s = 1e6\nsample_interval_s = 1\n").run.sample_interval_s == 1.0);
  }
  SECTION("weights must match the number of servers") {
    const ScenarioError e = error_of("[fleet]\nservers = 3\nweights = [1, 2]\n");
    CHECK(std::string(e.what()) ==
          "t.toml:3:11: fleet.weights has 2 entries but fleet.servers is 3: give one weight per server "
          "(or [] for all 1)");
    CHECK(load("[fleet]\nservers = 3\nweights = []\n").fleet.weights.empty());
  }
  SECTION("a fault on a server that does not exist") {
    const ScenarioError e = error_of("[fleet]\nservers = 4\n\n[[faults]]\ntype = \"crash\"\nserver = 4\nat_s = 10\n");
    CHECK(std::string(e.what()) == "t.toml:6:10: faults.0.server must be between 0 and fleet.servers - 1 = 3 (got 4)");
    CHECK(e.key() == "faults.0.server");
  }
  SECTION("a fault after the end of the run") {
    const ScenarioError e = error_of("[run]\nduration_s = 100\n[[faults]]\ntype = \"crash\"\nat_s = 100.5\n");
    CHECK(std::string(e.what()) == "t.toml:5:8: faults.0.at_s must be between 0 and run.duration_s = 100 (got 100.5)");
  }
  SECTION("a uniform session with high below low") {
    const ScenarioError e = error_of("[clients]\nsession = {distribution = \"uniform\", low_s = 5, high_s = 2}\n");
    CHECK(e.message() == "clients.session.high_s must be >= clients.session.low_s = 5 (got 2)");
    CHECK(e.column() == 58);
  }
  SECTION("backoff cap below base, reported by the policy registry, at the offending key") {
    const ScenarioError e = error_of("[backoff]\npolicy = \"exponential\"\nbase_s = 10\ncap_s = 5\n");
    CHECK(e.line() == 4);
    CHECK(e.column() == 9);
    CHECK(e.key() == "backoff.cap_s");
    CHECK(has(e.message(), "backoff.cap_s must be >= base_s"));
  }
}

TEST_CASE("policy names and parameters are checked by the registries, at the offending key", "[scenario][errors]") {
  SECTION("an unknown balancing policy, at the policy value, with a suggestion") {
    const ScenarioError e = error_of("[balancer]\npolicy = \"least_conn\"\n");
    CHECK(std::string(e.what()) ==
          "t.toml:2:10: unknown balancing policy 'least_conn'; did you mean 'least_connections'? "
          "Known: " + known_names(wsfleet::models::balancing_policies()));
    CHECK(e.key() == "balancer.policy");
  }
  SECTION("an unknown backoff policy") {
    const ScenarioError e = error_of("[backoff]\npolicy = \"fibonacci\"\n");
    CHECK(e.line() == 2);
    CHECK(e.message() == "unknown backoff policy 'fibonacci'. Known: " + known_names(wsfleet::models::backoff_policies()));
  }
  SECTION("a parameter out of range, shown as balancer.<param>") {
    const ScenarioError e = error_of("[balancer]\npolicy = \"random_two_choices\"\nchoices = 1\n");
    CHECK(std::string(e.what()) == "t.toml:3:11: balancer.choices must be between 2 and 32 (got 1)");
    CHECK(e.key() == "balancer.choices");
  }
  SECTION("an integer parameter given a fraction") {
    const ScenarioError e = error_of("[balancer]\npolicy = \"random_two_choices\"\nchoices = 2.5\n");
    CHECK(e.message() == "balancer.choices must be a whole number (got 2.5)");
  }
  SECTION("parameters of the default policy need no `policy` key") {
    const FleetConfig c = load("[backoff]\nbase_s = 0.25\n");
    CHECK(c.backoff.policy == "full_jitter");
    CHECK(c.backoff.params.at("base_s") == 0.25);
    CHECK(c.backoff.params.at("cap_s") == 30.0);
    CHECK(error_of("[backoff]\nbase_s = 0\n").message() == "backoff.base_s must be between 1e-09 and 86400 (got 0)");
  }
}

TEST_CASE("session errors name clients.session.* and list what is allowed", "[scenario][errors]") {
  CHECK(error_of("[clients]\nsession = {distribution = \"expo\", mean_s = 5}").message() ==
        "clients.session.distribution must be one of constant, exponential, uniform, lognormal, pareto, never "
        "(got 'expo'); did you mean 'exponential'?");
  CHECK(error_of("[clients]\nsession = {distribution = \"exponential\", mean = 5}").message() ==
        "unknown key 'mean' in clients.session (distribution 'exponential'); did you mean 'mean_s'? "
        "Allowed: distribution, mean_s");
  const ScenarioError missing = error_of("[clients]\nsession = {distribution = \"pareto\", scale_s = 5}");
  CHECK(missing.message() == "clients.session.shape is required for distribution 'pareto' (it takes scale_s, shape)");
  CHECK(missing.key() == "clients.session.shape");
  CHECK(missing.column() == 11);  // the session table
  CHECK(error_of("[clients]\nsession = {mean_s = 5}").message() ==
        "clients.session needs a 'distribution': one of constant, exponential, uniform, lognormal, pareto, never");
  CHECK(error_of("[clients]\nsession = {distribution = \"exponential\", mean_s = 0}").message() ==
        "clients.session.mean_s must be > 0 (got 0)");
  CHECK(error_of("[clients]\nsession = {distribution = \"pareto\", scale_s = 1, shape = 0}").message() ==
        "clients.session.shape must be > 0 (got 0)");
  CHECK(error_of("[clients]\nsession = {distribution = \"constant\", value_s = -1}").message() ==
        "clients.session.value_s must be >= 0 (got -1)");
  CHECK(error_of("[clients]\nsession = {distribution = \"never\", mean_s = 1}").message() ==
        "unknown key 'mean_s' in clients.session (distribution 'never'). Allowed: distribution");
  CHECK(error_of("[clients]\nsession = \"exponential\"").message() ==
        "clients.session = \"exponential\" needs its parameters: write a table {distribution = \"exponential\", "
        "mean_s = ...}");
  CHECK(error_of("[clients]\nsession = \"forever\"").message() ==
        "clients.session must be \"never\" or a table such as {distribution = \"exponential\", mean_s = 600} "
        "(got string 'forever')");
  CHECK(error_of("[clients]\nsession = 600").message() ==
        "clients.session must be a table such as {distribution = \"exponential\", mean_s = 600} or the string "
        "\"never\" (got integer)");
}

TEST_CASE("faults: type is required and must be known", "[scenario][errors]") {
  const ScenarioError missing = error_of("[run]\nduration_s = 60\n\n[[faults]]\nserver = 1\n");
  CHECK(std::string(missing.what()) == "t.toml:4:1: faults.0.type is required: the kind of fault (one of: crash, balancer_crash, site_crash, broker_outage, websocket_block, slow_server, handshake_blackhole, health_flap, link_degrade, site_partition, dropped_messages, link_loss, link_down)");
  CHECK(missing.key() == "faults.0.type");
  CHECK(error_of("[[faults]]\ntype = \"crsh\"").message() ==
        "faults.0.type must be one of crash, balancer_crash, site_crash, broker_outage, websocket_block, slow_server, "
        "handshake_blackhole, health_flap, link_degrade, site_partition, dropped_messages, link_loss, link_down (got 'crsh'); "
        "did you mean 'crash'?");
  // The second entry is named by its index.
  CHECK(error_of("[[faults]]\ntype = \"crash\"\n[[faults]]\ntype = \"crash\"\nat_s = -1").message() ==
        "faults.1.at_s must be between 0 and run.duration_s = 600 (got -1)");
}

TEST_CASE("unreadable files: FILE: message, without a position", "[scenario][errors]") {
  const std::string missing = "/nonexistent/dir/scenario.toml";
  std::optional<ScenarioError> caught;
  try {
    load_scenario_file(missing);
  } catch (const ScenarioError& e) {
    caught = e;
  }
  REQUIRE(caught.has_value());
  CHECK(std::string(caught->what()) == missing + ": cannot open scenario file: No such file or directory");
  CHECK(caught->file() == missing);
  CHECK(caught->line() == 0);
  CHECK(caught->column() == 0);

  // A directory opens but cannot be read.
  const std::string dir = std::string(WSFLEET_SOURCE_DIR) + "/experiments";
  REQUIRE_THROWS_AS(load_scenario_file(dir), ScenarioError);

  // A file's errors carry its path.
  const std::string path = std::filesystem::temp_directory_path() / "wsfleet_test_scenario_loader.toml";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    std::fputs("[fleet]\nservers = 0\n", f);
    std::fclose(f);
  }
  REQUIRE_THROWS_WITH(load_scenario_file(path), path + ":2:11: fleet.servers must be between 1 and 100000 (got 0)");
  std::filesystem::remove(path);
}

TEST_CASE("hostile input never crashes or hangs: it loads or raises ScenarioError", "[scenario][errors]") {
  SECTION("specific nasties") {
    CHECK(load("") == load("\n"));
    constexpr char kBinary[] = "\0\x01\x02\xff\xfe garbage";  // NUL first: sized by the array, not strlen
    CHECK_FALSE(error_of(std::string(kBinary, sizeof kBinary - 1)).message().empty());
    CHECK(has(error_of("\xef\xbb\xbf\xc3\x28").message(), "TOML syntax error"));  // BOM, then bad UTF-8
    CHECK(has(error_of("x = " + std::string(100000, '[')).message(), "nested more than 32 levels"));  // nesting limit
    CHECK(has(error_of(std::string(100000, '[')).message(), "TOML syntax error"));
    CHECK(has(error_of("[fleet]\nweights = " + std::string(20, '[') + std::string(20, ']')).message(),
              "fleet.weights.0 must be a number (got array)"));
    CHECK(has(error_of("[clients]\ncount = 99999999999999999999").message(), "TOML syntax error"));
    CHECK(error_of("[clients]\ncount = 9223372036854775807").message() ==
          "clients.count must be between 0 and 1000000000 (got 9223372036854775807)");
    CHECK(error_of("[run]\nseed = -9223372036854775808").message() == "run.seed must be >= 0 (got -9223372036854775808)");
    CHECK(has(error_of("[run]\nduration_s = 1e400").what(), "t.toml:2:"));  // overflow: a TOML syntax error
    CHECK(has(error_of("[run]\nseed = 1\nseed = 2\n").what(), "t.toml:3:"));            // duplicate key
    CHECK(has(error_of("[run]\nseed = 1\n[run]\nreplication = 2\n").what(), "t.toml:3:"));  // duplicate table
    CHECK(has(error_of("[clients]\nname = \"" + std::string(1 << 20, 'a') + "\"").message(), "unknown key 'name'"));
    CHECK(has(error_of("[clients]\n\"c\u00f6unt\" = 1").message(), "unknown key 'cöunt' in [clients]"));
  }
  SECTION("ten thousand random corruptions of the default scenario") {
    const std::string path = std::string(WSFLEET_SOURCE_DIR) + "/experiments/scenarios/default.toml";
    std::FILE* f = std::fopen(path.c_str(), "rb");
    REQUIRE(f != nullptr);
    std::string original;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;) original.append(buffer, n);
    std::fclose(f);
    const std::string alphabet = "[]{}=\".,#\n -+0123456789abcdefinxe_\"'\\\x00\xff";
    wsfleet::sim::Rng rng(2024);
    int loaded = 0;
    int rejected = 0;
    for (int trial = 0; trial < 10000; ++trial) {
      std::string text = original;
      const auto edits = 1 + rng.below(3);
      for (std::uint64_t k = 0; k < edits; ++k) {
        const auto at = static_cast<std::size_t>(rng.below(text.size()));
        const char c = alphabet[static_cast<std::size_t>(rng.below(alphabet.size()))];
        switch (rng.below(3)) {
          case 0: text[at] = c; break;
          case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c); break;
          default: text.erase(at, 1 + static_cast<std::size_t>(rng.below(8))); break;
        }
      }
      try {
        load_scenario_string(text, "fuzz.toml");
        ++loaded;
      } catch (const ScenarioError& e) {
        ++rejected;
        // Every message is located in the file ("fuzz.toml:" prefix) and says something.
        REQUIRE(std::string(e.what()).rfind("fuzz.toml:", 0) == 0);
        REQUIRE_FALSE(e.message().empty());
      }
    }
    CHECK(loaded > 0);    // many edits hit comments
    CHECK(rejected > 0);  // and many do not
  }
}
