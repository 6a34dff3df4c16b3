// The vocabulary of summary.json (experiments/summary_schema.*): the writer writes only keys the
// table declares, with their declared types, for runs of every feature; a key it does not declare
// is found; the JSON Schema closes every object and requires every non-optional key.
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
