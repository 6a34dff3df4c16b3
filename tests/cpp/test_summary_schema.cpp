// The vocabulary of summary.json (experiments/summary_schema.*): the writer writes only keys the
// table declares, with their declared types, for runs of every feature; a key it does not declare
// is found; the JSON Schema closes every object and requires every non-optional key.
#include <cmath>

#include <nlohmann/json.hpp>

#include "experiments/result_writer.hpp"
#include "experiments/summary_schema.hpp"
#include "models/fleet.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/random_config.hpp"

using namespace wsfleet;
using nlohmann::ordered_json;

namespace {
ordered_json summary_of(const models::FleetConfig& cfg) {
  const models::RunResult r = models::Fleet(cfg).run();
  return ordered_json::parse(experiments::summary_json_text(r.summary));
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}
}  // namespace

TEST_CASE("the summary of random combinations of every feature uses only declared keys", "[summary][schema]") {
  for (std::uint64_t seed = 1; seed <= 24; ++seed) {
    INFO("combination " << seed);
    const ordered_json j = summary_of(testing::random_config(seed));
    CHECK(joined(experiments::summary::undeclared(j)).empty());
  }
}

TEST_CASE("a key or a type the table does not declare is found", "[summary][schema]") {
  ordered_json j = summary_of(testing::small_fleet());
  REQUIRE(experiments::summary::undeclared(j).empty());
  j["connections"]["teleported"] = 3;
  j["cpu"]["mean_utilisation"] = "high";
  j["balancers"][0]["routed_twice"] = 1;
  j["conservation"]["checks"]["attempts"]["note"] = "x";
  const auto bad = experiments::summary::undeclared(j);
  CHECK(bad == std::vector<std::string>{"connections.teleported (not declared)",
                                        "cpu.mean_utilisation (not of its declared type)",
                                        "balancers[].routed_twice (not declared)",
                                        "conservation.checks.*.note (not declared)"});
}

TEST_CASE("a key every run writes that a summary lacks is found, and an optional one is not", "[summary][schema]") {
  ordered_json j = summary_of(testing::small_fleet());
  j["connections"].erase("attempted");
  j["fleet"]["classes"][0].erase("name");
  j["faults"].push_back({{"type", "crash"}, {"server", 1}, {"at_s", 1.0}, {"recover_after_s", nullptr},
                         {"connections_dropped", 0}, {"handshakes_failed", 0}, {"reconnected_within_s", nullptr},
                         {"detected_within_s", nullptr}, {"tries_while_undetected", 0}});
  j["faults"].push_back({{"type", "crash"}, {"at_s", 1.0}});  // server is optional (kinds that hit one)
  const auto bad = experiments::summary::undeclared(j);
  CHECK(bad == std::vector<std::string>{"fleet.classes[].name (missing)", "connections.attempted (missing)",
                                        "faults[].recover_after_s (missing)", "faults[].connections_dropped (missing)",
                                        "faults[].handshakes_failed (missing)", "faults[].reconnected_within_s (missing)",
                                        "faults[].detected_within_s (missing)",
                                        "faults[].tries_while_undetected (missing)"});
  j.erase("pubsub");  // not written without [pubsub]: nothing missing
  CHECK(experiments::summary::undeclared(j) == bad);
}

TEST_CASE("the summary's JSON Schema closes its objects and requires what every run writes", "[summary][schema]") {
  const ordered_json schema = ordered_json::parse(experiments::summary::json_schema());
  CHECK(schema["$schema"] == "http://json-schema.org/draft-07/schema#");
  CHECK(schema["additionalProperties"] == false);
  const auto& required = schema["required"];
  CHECK(std::find(required.begin(), required.end(), "connections") != required.end());
  CHECK(std::find(required.begin(), required.end(), "pubsub") == required.end());  // [pubsub] runs only
  const auto& cpu = schema["properties"]["cpu"];
  CHECK(cpu["properties"]["capacity_core_seconds"]["x-unit"] == "core-s");
  CHECK(cpu["properties"]["mean_utilisation"]["type"] == ordered_json::array({"number", "null"}));
  const auto& classes = schema["properties"]["fleet"]["properties"]["classes"];
  CHECK(classes["items"]["properties"]["cpu_cores"]["type"] == "integer");
  CHECK(schema["properties"]["conservation"]["properties"]["checks"]["additionalProperties"]["required"].size() == 3);
  // Every declared path is unique and comes after its parent (fields() checks at first use).
  CHECK(experiments::summary::fields().size() > 250);
}

TEST_CASE("the writer reads each key from the summary as the table declares it", "[summary][schema]") {
  // A summary made by hand: every figure below is worked out from these numbers, not from a run.
  models::RunSummary s{};
  s.wall_seconds = 2.0;
  s.events_processed = 1000;
  s.servers = 3;  // slots 0-2 at the start, slot 3 added later
  models::ServerClass small, big;
  small.name = "small", small.max_connections = 1000, small.cpu_cores = 2, small.cost_per_hour = 0.5;
  big.name = "big", big.max_connections = 4000, big.cpu_cores = 8, big.cost_per_hour = 2.0;
  s.classes = {small, big};
  s.server_class = {0, 0, 1, 1};
  const double none = std::nan("");  // a percentile of no samples
  s.message_latency = {0, none, none, none, none, none, none};
  s.pubsub.enabled = true;
  s.pubsub.resume_attempts = 4;
  s.pubsub.resumed = 3;
  s.pubsub.dropped_full = 1, s.pubsub.conflated = 2, s.pubsub.discarded = 4;
  s.balancers.resize(1);
  s.balancers[0].connect_timeouts = 2;
  models::FaultOutcome loss;
  loss.target = "link_loss", loss.site = "eu", loss.retransmissions = 5, loss.message_delay_s = 0.25;
  models::FaultOutcome oom;
  oom.target = "out_of_memory", oom.server = 3;
  s.faults = {loss, oom};
  s.conservation = {{"attempts", "a = b", "1 = 1", true}, {"messages", "c = d", "2 = 3", false}};

  const ordered_json j = experiments::summary::to_json(s);
  CHECK(experiments::summary::undeclared(j).empty());
  CHECK(j["events_per_second"] == 500.0);
  // 2 small servers and 1 big one at the start: 2 x 0.5 + 2.0 per hour, 2 x 1000 + 4000
  // connections, 2 x 2 + 8 cores; the big class has 2 slots in all.
  CHECK(j["fleet"]["cost_per_hour"] == 3.0);
  CHECK(j["fleet"]["connection_capacity"] == 6000);
  CHECK(j["fleet"]["cpu_cores"] == 12);
  CHECK(j["fleet"]["classes"][1]["servers"] == 1);
  CHECK(j["fleet"]["classes"][1]["total_servers"] == 2);
  CHECK(j["fleet"]["classes"][1]["cpu_capacity_us_per_s"] == 8e6);
  CHECK(j["fleet"]["classes"][1]["connection_capacity"] == 4000);
  CHECK(j["fleet"]["server_class"] == ordered_json::array({"small", "small", "big", "big"}));
  // A mean of nothing is null; optional sections only when their feature ran.
  CHECK(j["messages"]["latency_ms"]["mean"].is_null());
  CHECK(j["pubsub"]["resume"]["success_rate"] == 0.75);
  CHECK(j["pubsub"]["slow_consumers"]["dropped"] == 7);
  CHECK(j["pubsub"]["continuity"]["exactly_once"] == true);
  CHECK_FALSE(j["pubsub"].contains("channel_joins"));
  CHECK_FALSE(j.contains("autoscaler"));
  CHECK_FALSE(j.contains("deploys"));
  CHECK_FALSE(j["connections"]["failed_by"].contains("session_unknown"));
  // An optional integer only when set; a sub-object only when its preset ran.
  CHECK(j["balancers"][0]["connect_timeouts"] == 2);
  CHECK_FALSE(j["balancers"][0].contains("connect_completions"));
  CHECK_FALSE(j["balancers"][0].contains("haproxy"));
  // A fault names its target by its kind's key and carries its kind's own figures only.
  const ordered_json& f = j["faults"][0];
  CHECK(f["type"] == "link_loss");
  CHECK(f["site"] == "eu");
  CHECK_FALSE(f.contains("server"));
  CHECK(f["retransmissions"] == 5);
  CHECK(f["message_delay_s"] == 0.25);
  CHECK(f["recover_after_s"].is_null());
  CHECK_FALSE(f.contains("attempts_blocked"));
  std::vector<std::string> keys;
  for (const auto& [key, value] : f.items()) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"type", "site", "at_s", "recover_after_s", "connections_dropped",
                                         "handshakes_failed", "reconnected_within_s", "detected_within_s",
                                         "tries_while_undetected", "messages_lost", "heartbeats_lost",
                                         "heartbeat_timeouts", "retransmissions", "handshakes_delayed",
                                         "messages_delayed", "message_delay_s"});
  CHECK(j["faults"][1]["type"] == "out_of_memory");
  CHECK(j["faults"][1]["server"] == 3);
  CHECK_FALSE(j["faults"][1].contains("messages_lost"));
  // The checks by name; the run's verdict is false when one fails.
  CHECK(j["conservation"]["ok"] == false);
  CHECK(j["conservation"]["checks"]["messages"]["values"] == "2 = 3");
}

TEST_CASE("every row reads the struct its place in the table hands it", "[summary][schema]") {
  // fields() checks at first use that each row's reader matches its context (the summary, or the
  // nearest array's item) and that every leaf, array and map can be written.
  for (const experiments::summary::Field& f : experiments::summary::fields()) {
    INFO(f.path);
    CHECK(f.context != nullptr);
    CHECK(f.optional == static_cast<bool>(f.present));
  }
}
