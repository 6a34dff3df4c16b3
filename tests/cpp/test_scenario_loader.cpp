// Scenario files: defaults, every section, every kind of error with its position, "did you mean",
// `--set` overrides, hostile input, and the round trip through scenario_to_toml.
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

using wsfleet::testing::error_of;
using wsfleet::testing::has;
using wsfleet::experiments::load_scenario_file;
using wsfleet::experiments::load_scenario_string;
using wsfleet::experiments::scenario_to_toml;
using wsfleet::experiments::ScenarioError;
using wsfleet::models::FleetConfig;
using wsfleet::models::CrashFault;
using wsfleet::models::SessionEnd;
using wsfleet::sim::Distribution;

namespace {

FleetConfig load(const std::string& toml, const std::vector<std::string>& overrides = {}) {
  return load_scenario_string(toml, "t.toml", overrides);
}

// "a, b, c": the registered policy names, as the "Known: ..." part of messages lists them (the
// registries grow, so tests must not hard-code them).
std::string known_names(const std::vector<wsfleet::models::PolicyInfo>& registry) {
  std::string out;
  for (const auto& info : registry) out += (out.empty() ? "" : ", ") + info.name;
  return out;
}

const std::string kClientsAllowed =
    "Allowed: count, ramp_s, session, on_session_end, messages_per_minute, replies_per_message, "
    "message_bytes, heartbeat_interval_s, connect_timeout_s, vanish_share, offline_mean_s, wave_share, wave_at_s, "
    "wave_window_s, upgrade_from_polling, skip_negotiation, signalr_transport, remember_upgrade, pusher_fallback, pusher_fallback_delay_s, "
    "pusher_fallback_transport, pusher_transport_cache_ttl_s, honour_retry_after";

}  // namespace

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

TEST_CASE("overrides (--set): TOML values, bare strings, new keys, and the same validation as the file",
          "[scenario][overrides]") {
  const std::string file = "[clients]\ncount = 10\n\n[balancer]\npolicy = \"round_robin\"\n";
  SECTION("valid values of every type") {
    const FleetConfig c = load(file, {"clients.count=5000", "run.duration_s=1.5", "balancer.policy=\"least_connections\"",
                                      "scenario.name = my run", "fleet.servers=2", "fleet.weights=[1, 3]"});
    CHECK(c.clients.count == 5000);
    CHECK(c.run.duration_s == 1.5);  // a key the file did not have
    CHECK(c.balancer.policy == "least_connections");
    CHECK(c.name == "my run");  // not TOML: taken as a string, trimmed
    CHECK(c.fleet.servers == 2);
    CHECK(c.fleet.weights == std::vector<double>{1.0, 3.0});
  }
  SECTION("a bare word is a string") {
    CHECK(load(file, {"balancer.policy=least_connections"}).balancer.policy == "least_connections");
    CHECK(load(file, {"clients.session=never", "clients.on_session_end=reconnect"}).clients.on_session_end ==
          SessionEnd::Reconnect);
  }
  SECTION("tables, policy parameters and the last override wins") {
    const FleetConfig c = load(file, {"clients.session={distribution = \"exponential\", mean_s = 30}",
                                      "backoff.base_s=2", "clients.count=1", "clients.count=2"});
    CHECK(c.clients.session_s == Distribution::exponential(30.0));
    CHECK(c.backoff.params.at("base_s") == 2.0);
    CHECK(c.clients.count == 2);
    // A dotted key into a new session table.
    CHECK(load("", {"clients.session.distribution=constant", "clients.session.value_s=7"}).clients.session_s ==
          Distribution::constant(7.0));
  }
  SECTION("an invalid type is reported against the override") {
    const ScenarioError e = error_of(file, {"clients.count=abc"});
    CHECK(std::string(e.what()) == "--set clients.count=abc: clients.count must be an integer (got string)");
    CHECK(e.file() == "--set clients.count=abc");
    CHECK(e.line() == 0);
    CHECK(e.key() == "clients.count");
    CHECK(std::string(error_of(file, {"fleet.servers=0"}).what()) ==
          "--set fleet.servers=0: fleet.servers must be between 1 and 100000 (got 0)");
    CHECK(std::string(error_of(file, {"clients.count=5\nfleet.servers=3"}).what()) ==
          "--set clients.count=5\\nfleet.servers=3: clients.count must be an integer (got string)");
  }
  SECTION("an unknown key or section") {
    CHECK(std::string(error_of(file, {"clients.cout=5"}).what()) ==
          "--set clients.cout=5: unknown key 'cout' in [clients]; did you mean 'count'? " + kClientsAllowed);
    CHECK(has(error_of(file, {"clint.count=5"}).what(), "--set clint.count=5: unknown section [clint]; did you mean [clients]?"));
    CHECK(has(error_of(file, {"count=5"}).what(), "--set count=5: key 'count' is outside any section: it belongs in [clients]"));
    CHECK(has(error_of(file, {"balancer.choices=3"}).what(),
              "--set balancer.choices=3: unknown key 'choices' in [balancer] for policy 'round_robin'"));
    CHECK(std::string(error_of(file, {"balancer.policy=least_conn"}).what()) ==
          "--set balancer.policy=least_conn: unknown balancing policy 'least_conn'; did you mean 'least_connections'? "
          "Known: " + known_names(wsfleet::models::balancing_policies()));
  }
  SECTION("switching policy drops the file's parameters the new policy does not take") {
    const std::string backoff = "[backoff]\npolicy = \"full_jitter\"\nbase_s = 2\ncap_s = 60\nmax_retries = 5\n";
    const FleetConfig constant = load(backoff, {"backoff.policy=constant"});
    CHECK(constant.backoff.policy == "constant");
    CHECK(constant.backoff.params == wsfleet::models::Params{{"delay_s", 1.0}, {"max_retries", 5.0}});
    const FleetConfig exponential = load(backoff, {"backoff.policy=exponential"});
    CHECK(exponential.backoff.params == wsfleet::models::Params{{"base_s", 2.0}, {"cap_s", 60.0}, {"max_retries", 5.0}});
    CHECK(load(backoff, {"backoff.policy=constant", "backoff.delay_s=3"}).backoff.params.at("delay_s") == 3.0);
    // Parameters given by --set are still checked against the new policy ...
    CHECK(std::string(error_of(backoff, {"backoff.policy=constant", "backoff.base_s=3"}).what()) ==
          "--set backoff.base_s=3: unknown key 'base_s' in [backoff] for policy 'constant'. "
          "Allowed: policy, delay_s, max_retries");
    // ... and without a policy switch the file's stray parameters are errors as usual.
    CHECK(error_of("[backoff]\npolicy = \"constant\"\nbase_s = 2\n").line() == 3);
  }
  SECTION("malformed overrides") {
    CHECK(std::string(error_of(file, {"clients.count"}).what()) ==
          "--set clients.count: expected KEY=VALUE, e.g. clients.count=5000");
    CHECK(has(error_of(file, {"=5"}).message(), "invalid key ''"));
    CHECK(has(error_of(file, {"clients..count=5"}).message(), "invalid key 'clients..count'"));
    CHECK(has(error_of(file, {"clients.c ount=5"}).message(), "invalid key 'clients.c ount'"));
    CHECK(has(error_of(file, {"clients.count=" + std::string(100000, '[')}).message(), "the value is nested more than 32 levels"));
    CHECK(has(error_of(file, {"scenario.name=\xff\xfe"}).what(), "--set scenario.name=\xff\xfe: "));  // not UTF-8
    CHECK(has(error_of(file, {"faults.99999999999999999999.at_s=1"}).message(), "is out of range"));
    CHECK(std::string(error_of(file, {"clients.count.x=5"}).what()) ==
          "--set clients.count.x=5: 'clients.count' is an integer, not a table: nothing inside it can be set");
  }
  SECTION("faults by index: change, append, out of range") {
    const std::string faults = "[[faults]]\ntype = \"crash\"\nserver = 1\nat_s = 10\n";
    const FleetConfig changed = load(faults, {"faults.0.at_s=100", "faults.0.recover_after_s=5"});
    REQUIRE(changed.faults.size() == 1);
    CHECK(changed.faults[0].server == 1);
    CHECK(changed.faults[0].at_s == 100.0);
    CHECK(changed.faults[0].recover_after_s == 5.0);

    const FleetConfig appended = load(faults, {"faults.1.type=crash", "faults.1.server=2", "faults.1.at_s=20"});
    REQUIRE(appended.faults.size() == 2);
    CHECK(appended.faults[1].server == 2);
    CHECK(appended.faults[1].at_s == 20.0);

    const FleetConfig created = load("", {"faults.0.type=crash", "faults.0.at_s=3"});
    REQUIRE(created.faults.size() == 1);
    CHECK(created.faults[0].at_s == 3.0);

    CHECK(std::string(error_of(faults, {"faults.5.at_s=1"}).what()) ==
          "--set faults.5.at_s=1: index 5 is out of range: 'faults' has 1 entry (use 0 to 1; index 1 appends one)");
    CHECK(has(error_of(faults, {"faults.first.at_s=1"}).message(), "'faults' is an array: select an entry by its index"));
    CHECK(std::string(error_of(faults, {"faults.1.at_s=5"}).what()) ==
          "--set faults.1.at_s=5: faults.1.type is required: the kind of fault (one of: crash, balancer_crash, site_crash, broker_outage, websocket_block, slow_server, handshake_blackhole, health_flap, link_degrade, site_partition, dropped_messages, link_loss, link_down)");
    CHECK(std::string(error_of(faults, {"faults.0.server=abc"}).what()) ==
          "--set faults.0.server=abc: faults.0.server must be an integer (got string)");
    CHECK(load("[fleet]\nservers = 2\nweights = [1, 1]", {"fleet.weights.1=4"}).fleet.weights ==
          std::vector<double>{1.0, 4.0});
  }
  SECTION("a valid override can make a file value invalid: the error points at the file") {
    const std::string faults = "[[faults]]\ntype = \"crash\"\nserver = 5\nat_s = 10\n";
    CHECK(std::string(error_of(faults, {"fleet.servers=3"}).what()) ==
          "t.toml:3:10: faults.0.server must be between 0 and fleet.servers - 1 = 2 (got 5)");
  }
}

TEST_CASE("scenario_to_toml writes every key and loads back to an identical FleetConfig", "[scenario][roundtrip]") {
  SECTION("defaults") {
    const FleetConfig defaults = load("");
    const std::string text = scenario_to_toml(defaults);
    for (const char* key : {"[scenario]", "name = ", "description = ", "[run]", "duration_s = 600.0",
                            "sample_interval_s = 1.0", "seed = 1", "replication = 0", "[fleet]", "servers = 10",
                            "max_connections = 20000", "cpu_cores = 1", "memory_per_connection_kib = 64.0",
                            "base_memory_mib = 256.0", "weights = []", "[fleet.cpu]", "handshake_us = 1000.0",
                            "inbound_message_us", "outbound_message_us", "heartbeat_us",
                            "service_time = \"deterministic\"", "[clients]",
                            "count = 100000", "ramp_s", "session = \"never\"", "on_session_end = \"leave\"",
                            "messages_per_minute", "replies_per_message", "heartbeat_interval_s",
                            "[balancer]", "policy = \"round_robin\"", "[backoff]", "policy = \"full_jitter\"",
                            "base_s = 1.0", "cap_s = 30.0", "max_retries = 0"}) {
      INFO(key);
      CHECK(has(text, key));
    }
    // clients.connect_timeout_s is left out (the backoff preset's own applies), so it is not written
    // (balancer.connect_timeout_s, the balancer's own towards the servers, is).
    const std::size_t clients_at = text.find("[clients]");
    REQUIRE(clients_at != std::string::npos);
    CHECK_FALSE(has(text.substr(clients_at, text.find("\n[", clients_at + 1) - clients_at), "connect_timeout_s"));
    CHECK(has(text, "connect_timeout_s = 5.0"));
    CHECK_FALSE(defaults.clients.connect_timeout_s.has_value());
    CHECK(load_scenario_string(text, "effective.toml") == defaults);
    // A default-constructed config differs only in the filled-in policy parameters.
    CHECK(load_scenario_string(scenario_to_toml(FleetConfig{}), "effective.toml") == defaults);
  }
  SECTION("a config using every feature, with awkward numbers and strings") {
    FleetConfig c;
    c.name = "quote \" backslash \\ tab \t newline \n unicode é ✓ control \x01";
    c.description = "";
    c.run.duration_s = 1234.5678901234567;
    c.run.sample_interval_s = 0.1;
    c.run.seed = 9223372036854775807ull;
    c.run.replication = 17;
    c.run.max_events = 9.5e17;  // it is a large run; and the key round-trips too
    c.fleet.servers = 3;
    c.fleet.max_connections = 1000000000;
    c.fleet.cpu_cores = 1024;
    c.fleet.memory_per_connection_kib = 1e-300;
    c.fleet.base_memory_mib = 0.0;
    c.fleet.weights = {0.1, 1e-5, 123456.789123};
    c.fleet.cpu.service_time = wsfleet::models::ServiceTime::Exponential;
    c.fleet.cpu = {1.0 / 3.0, 2.0 / 3.0, 1e7, 0.0};
    c.clients.count = 999999;  // the largest count fits the schema but not every machine (memory estimate)
    c.clients.ramp_s = 1e-9;
    c.clients.on_session_end = SessionEnd::Reconnect;
    c.clients.messages_per_minute = 0.3;
    c.clients.replies_per_message = 1e4;
    c.clients.heartbeat_interval_s = 0.0;
    c.clients.connect_timeout_s = 5e-324;
    c.balancer.policy = "random_two_choices";
    c.balancer.params = {{"choices", 7.0}};
    c.backoff.policy = "equal_jitter";
    c.backoff.params = {{"base_s", 0.1}, {"cap_s", 0.30000000000000004}, {"max_retries", 1e6}};
    c.faults = {CrashFault::of_server(2, 0.0), CrashFault::of_server(0, 1234.567890123, 0.7), CrashFault::of_server(1, 3.0, 1e300)};  // fault times on the ns clock
    for (const Distribution& d :
         {Distribution::never(), Distribution::constant(0.0), Distribution::exponential(1.0 / 7.0),
          Distribution::uniform(0.0, 0.1), Distribution::lognormal(0.3, 0.7), Distribution::pareto(1e-3, 2.5)}) {
      c.clients.session_s = d;
      const std::string text = scenario_to_toml(c);
      INFO(text);
      const FleetConfig back = load_scenario_string(text, "effective.toml");
      CHECK(back == c);
      CHECK(scenario_to_toml(back) == text);
    }
  }
  SECTION("integers TOML cannot hold are refused") {
    FleetConfig c;
    c.run.seed = 18446744073709551615ull;
    REQUIRE_THROWS_AS(scenario_to_toml(c), std::invalid_argument);
  }
}

TEST_CASE("every scenario file under experiments/ loads and round-trips", "[scenario][files]") {
  const std::filesystem::path root = std::filesystem::path(WSFLEET_SOURCE_DIR) / "experiments";
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".toml") continue;
    INFO(entry.path().string());
    ++files;
    const FleetConfig c = load_scenario_file(entry.path().string());
    CHECK(load_scenario_string(scenario_to_toml(c), "effective.toml") == c);
  }
  CHECK(files >= 2);
}

TEST_CASE("the default and million-client scenarios say what they promise", "[scenario][files]") {
  const std::string dir = std::string(WSFLEET_SOURCE_DIR) + "/experiments/";
  const FleetConfig d = load_scenario_file(dir + "scenarios/default.toml");
  CHECK(d.fleet.servers == 10);
  CHECK(d.clients.count == 100000);
  CHECK(d.clients.ramp_s == 60.0);
  CHECK(d.clients.session_s == Distribution::never());
  CHECK(d.clients.heartbeat_interval_s == 25.0);
  CHECK(d.balancer.policy == "least_connections");
  CHECK(d.backoff.policy == "full_jitter");
  CHECK(d.backoff.params.at("base_s") == 1.0);
  CHECK(d.backoff.params.at("cap_s") == 30.0);
  CHECK(d.run.duration_s == 600.0);
  CHECK(d.run.sample_interval_s == 1.0);
  REQUIRE(d.faults.size() == 1);
  CHECK(d.faults[0].server == 3);
  CHECK(d.faults[0].at_s == 300.0);
  CHECK(d.faults[0].recover_after_s == 120.0);
  // Headroom: after the crash the survivors' share stays below the per-server limit.
  CHECK(static_cast<double>(d.clients.count) / (d.fleet.servers - 1) < d.fleet.max_connections);

  const FleetConfig m = load_scenario_file(dir + "bench/million.toml");
  CHECK(m.clients.count == 1000000);
  CHECK(m.clients.ramp_s == 60.0);
  CHECK(m.fleet.servers == 100);
  CHECK(m.fleet.max_connections == 20000);
  CHECK(m.balancer.policy == "least_connections");
  CHECK(m.clients.messages_per_minute == 1.0);
  CHECK(m.clients.heartbeat_interval_s == 25.0);
  CHECK(m.backoff.policy == "full_jitter");
  CHECK(m.backoff.params.at("base_s") == 1.0);
  CHECK(m.backoff.params.at("cap_s") == 30.0);
  CHECK(m.run.duration_s == 3600.0);
  CHECK(m.run.sample_interval_s == 10.0);
  REQUIRE(m.faults.size() == 1);
  CHECK(m.faults[0].server == 17);
  CHECK(m.faults[0].at_s == 1800.0);
  CHECK_FALSE(m.faults[0].recover_after_s.has_value());
}

TEST_CASE("runs whose per-server time series would not fit in memory are refused up front", "[scenario][limits]") {
  try {
    load_scenario_string("[run]\nduration_s = 1000000\nsample_interval_s = 1\n[fleet]\nservers = 100\n", "big.toml");
    FAIL("no error for 1e8 per-server samples");
  } catch (const ScenarioError& e) {
    CHECK(e.key() == "fleet.servers");
    CHECK(e.line() == 5);
    CHECK(std::string(e.what()).find("raise run.sample_interval_s") != std::string::npos);
  }
  // The same run sampled every 10 s is fine.
  CHECK(load_scenario_string("[run]\nduration_s = 1000000\nsample_interval_s = 10\n[fleet]\nservers = 100\n", "ok.toml")
            .fleet.servers == 100);
}

TEST_CASE("[sweep] and [plan] tables are skipped by a run, and must be tables", "[scenario][study]") {
  const FleetConfig plain = load("[fleet]\nservers = 4\n");
  const FleetConfig with_study = load(
      "[fleet]\nservers = 4\n\n[sweep]\nreplications = 3\n[sweep.axes]\n\"fleet.servers\" = [2, 4]\n\n"
      "[plan]\nreplications = 5\n");
  CHECK(scenario_to_toml(with_study) == scenario_to_toml(plain));
  const ScenarioError sweep = error_of("sweep = 3\n");
  CHECK(std::string(sweep.what()) == "t.toml:1:1: sweep must be a table, written [sweep] (got integer)");
  const ScenarioError plan = error_of("[run]\nseed = 1\n[[plan]]\nx = 1\n");
  CHECK(plan.key() == "plan");
  CHECK(has(plan.what(), "plan must be a table, written [plan] (got array)"));
  // Everything else is still checked.
  CHECK(has(error_of("[sweep]\n[flet]\n").what(), "unknown section [flet]; did you mean [fleet]?"));
}
