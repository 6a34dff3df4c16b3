// Scenario overrides (`--set`), the round trip through scenario_to_toml, the bundled scenario files,
// and the limits checked before a run (split from test_scenario_loader.cpp).
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
