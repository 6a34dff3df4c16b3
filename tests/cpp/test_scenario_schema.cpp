// The scenario schema (experiments/schema/): its tables are complete and consistent, the generated
// reference and default.toml keep up with them, and the limits that keep runs finite and exact are
// enforced with FILE:LINE:COL messages, for files and for --set alike.
#include <cmath>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "experiments/resource_estimate.hpp"
#include "experiments/scenario_loader.hpp"
#include "experiments/schema/schema.hpp"
#include "experiments/schema/schema_export.hpp"
#include "tests/cpp/catch.hpp"

namespace {

namespace schema = wsfleet::experiments::schema;
using wsfleet::experiments::ScenarioError;
using wsfleet::models::FleetConfig;

std::string read_text(const std::string& relative) {
  std::ifstream in(std::string(WSFLEET_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

FleetConfig load(const std::string& toml, const std::vector<std::string>& overrides = {}) {
  return wsfleet::experiments::load_scenario_string(toml, "t.toml", overrides);
}

// The message of loading `toml` with `overrides`, "" when it loads.
std::string error_of(const std::string& toml, const std::vector<std::string>& overrides = {}) {
  try {
    load(toml, overrides);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

// The dotted keys a TOML text mentions, commented out or not: a line "[a.b]" or "# [[a.b]]" starts a
// section, a line "k = ..." or "#   k = ..." is the key a.b.k.
std::set<std::string> keys_mentioned(const std::string& text) {
  std::set<std::string> found;
  std::string current;
  const std::regex header(R"(^\[\[?\s*([A-Za-z0-9_.-]+)\s*\]\]?)");
  const std::regex key(R"(^([A-Za-z0-9_-]+)\s*=)");
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    if (line[start] == '#') start = line.find_first_not_of("# \t", start);
    if (start == std::string::npos) continue;
    const std::string body = line.substr(start);
    std::smatch m;
    if (std::regex_search(body, m, header)) {
      current = m[1];
    } else if (std::regex_search(body, m, key) && !current.empty()) {
      found.insert(current + "." + std::string(m[1]));
    }
  }
  return found;
}

}  // namespace

TEST_CASE("every table and array key of the schema has its section, and every section is reachable", "[schema]") {
  std::set<std::string> reachable = {""};
  for (const schema::Section& s : schema::sections()) {
    CHECK_FALSE(s.doc.empty());
    for (const schema::Key& k : s.keys) {
      INFO(s.path << "." << k.name);
      CHECK_FALSE(k.doc.empty());
      CHECK(k.doc.find('\n') == std::string::npos);
      if (k.type == schema::KeyType::Table || k.type == schema::KeyType::TableArray) {
        const std::string child = s.path.empty() ? k.name : s.path + "." + k.name;
        CHECK_NOTHROW(schema::section(child));
        CHECK(schema::section(child).array == (k.type == schema::KeyType::TableArray));
        reachable.insert(child);
      } else {
        // A key is either bound to its struct (read and written from the table) or read by hand.
        CHECK((k.bound() || k.manual));
      }
    }
  }
  for (const schema::Section& s : schema::sections()) CHECK(reachable.count(s.path) == 1);
}

TEST_CASE("default.toml mentions every key of the schema (commented out where optional)", "[schema]") {
  const std::set<std::string> mentioned = keys_mentioned(read_text("experiments/scenarios/default.toml"));
  std::vector<std::string> missing;
  for (const std::string& path : schema::key_paths()) {
    if (mentioned.count(path) == 0) missing.push_back(path);
  }
  INFO("add these keys to experiments/scenarios/default.toml (commented out, with their doc line)");
  CHECK(missing == std::vector<std::string>{});
  CHECK(schema::key_paths().size() > 120);
}

TEST_CASE("docs/scenario_reference.md is generated from the schema and up to date", "[schema]") {
  INFO("regenerate it: wsfleet schema --markdown > docs/scenario_reference.md");
  CHECK(read_text("docs/scenario_reference.md") == schema::markdown_reference());
}

TEST_CASE("the JSON Schema is draft-07 with every section, closed where the loader is closed", "[schema]") {
  const std::string json = schema::json_schema();
  CHECK(json.find("\"$schema\": \"http://json-schema.org/draft-07/schema#\"") != std::string::npos);
  for (const char* key : {"\"metrics_interval_s\"", "\"drain_messages_per_s\"", "\"websocket_block\"", "\"sweep\""}) {
    CHECK(json.find(key) != std::string::npos);
  }
  CHECK(json.find("\"additionalProperties\": false") != std::string::npos);
}

TEST_CASE("weights stay below the balance command's bound, 1e6, so weighted arithmetic stays exact", "[schema][limits]") {
  CHECK(error_of("[fleet]\nservers = 2\nweights = [1e308, 1]\n") ==
        "t.toml:3:12: fleet.weights.0 must be a finite number between 0 and 1000000 (got 1e+308)");
  CHECK(error_of("[fleet]\nservers = 2\nweights = [1e6, 1]\n").empty());
  CHECK(error_of("[[scaling]]\nat_s = 10\nadd = 1\nweight = 1e7\n") ==
        "t.toml:4:10: scaling.0.weight must be > 0 and <= 1000000 (got 10000000)");
  const std::string set = error_of("[fleet]\nservers = 2\n", {"fleet.weights=[1, 2e6]"});
  CHECK(set == "--set fleet.weights=[1, 2e6]: fleet.weights.1 must be a finite number between 0 and 1000000 (got 2000000)");
}

TEST_CASE("rates are bounded so that every interval is at least 1 ns and fits the clock", "[schema][limits]") {
  const std::string pubsub = "[pubsub]\nchannels = 4\n";
  CHECK(error_of(pubsub + "[pubsub.broker]\ncapacity_per_s = 1e12\n") ==
        "t.toml:4:18: pubsub.broker.capacity_per_s must be between 1 and 1000000000 (got 1000000000000)");
  CHECK(error_of(pubsub + "[[pubsub.links]]\nshare = 1\ndrain_kib_per_s = 1e-300\n") ==
        "t.toml:5:19: pubsub.links.0.drain_kib_per_s must be 0 or between 1 and 1000000000 (got 1e-300)");
  CHECK(error_of(pubsub + "[[pubsub.links]]\nshare = 1\ndrain_messages_per_s = 1e-6\n").find(
            "pubsub.links.0.drain_messages_per_s x pubsub.message_bytes / 1024 must be 0 or between 1 and 1000000000 KiB/s") !=
        std::string::npos);
  CHECK(error_of(pubsub + "[pubsub.feed]\nchannels = 1\nrate_per_s = 1e-30\n").find(
            "pubsub.feed.rate_per_s must be between 1e-07 and 1000000 (got 1e-30)") != std::string::npos);
  CHECK(error_of(pubsub + "[[pubsub.links]]\nshare = 1\ndrain_kib_per_s = 0\n").empty());
}

TEST_CASE("repeating timers have a floor of 1 ms, so a run is finite", "[schema][limits]") {
  CHECK(error_of("[balancer]\nmetrics_interval_s = 1e-9\n") ==
        "t.toml:2:22: balancer.metrics_interval_s must be between 0.001 and 10000000 (got 1e-09)");
  CHECK(error_of("[balancer]\n", {"balancer.metrics_interval_s=1e-10"}) ==
        "--set balancer.metrics_interval_s=1e-10: balancer.metrics_interval_s must be between 0.001 and 10000000 (got 1e-10)");
  CHECK(error_of("[clients]\nheartbeat_interval_s = 1e-9\n") ==
        "t.toml:2:24: clients.heartbeat_interval_s must be 0 or >= 0.001 (got 1e-09)");
  CHECK(error_of("[clients]\nheartbeat_interval_s = 0\n").empty());
  CHECK(error_of("[fleet.rebalance]\ninterval_s = 1e-5\n").find("0 or between 0.001 and 10000000") != std::string::npos);
}

TEST_CASE("memory sizes are bounded so that no inf reaches the time series", "[schema][limits]") {
  CHECK(error_of("[fleet]\nmemory_per_connection_kib = 1e308\n") ==
        "t.toml:2:29: fleet.memory_per_connection_kib must be between 0 and 1000000000 (got 1e+308)");
  CHECK(error_of("[fleet]\nbase_memory_mib = 1e300\n").find("between 0 and 1000000000") != std::string::npos);
  const double worst = 1e9 * 1e9 / 1024.0;  // max_connections x memory_per_connection_kib, MiB
  CHECK(std::isfinite(worst));
}

TEST_CASE("a fault's time is on the nanosecond clock, so its detection time is never negative", "[schema][limits]") {
  const FleetConfig c = load("[[faults]]\ntype = \"crash\"\nserver = 0\nat_s = 1.0000000001\n");
  CHECK(c.faults.at(0).at_s == 1.0);
  CHECK(load("[[faults]]\ntype = \"crash\"\nserver = 0\nat_s = 300.123456789\n").faults.at(0).at_s == 300.123456789);
}

TEST_CASE("overrides: integers beyond 64 bits are out of range, denormals are numbers, messages are one line", "[schema][overrides]") {
  CHECK(error_of("", {"clients.count=9223372036854775808"}) ==
        "--set clients.count=9223372036854775808: clients.count = 9223372036854775808 is out of range: an integer must be "
        "between -9223372036854775808 and 9223372036854775807");
  CHECK(load("", {"clients.ramp_s=5e-324"}).clients.ramp_s == 5e-324);
  const std::string multi = error_of("", {"clients.count=1\n2"});
  CHECK_FALSE(multi.empty());
  CHECK(multi.find('\n') == std::string::npos);
}

TEST_CASE("a run that cannot fit this machine's memory is refused before it starts, naming the key", "[schema][limits]") {
  namespace ex = wsfleet::experiments;
  FleetConfig c;
  c.clients.count = 1000000000;
  const ex::MemoryEstimate huge = ex::estimate_memory(c);
  CHECK(huge.largest_key == "clients.count");
  CHECK(huge.bytes > 9e10);
  CHECK(ex::memory_refusal(huge, 24e9) == "this scenario needs about 100.0 GB of memory; this machine has 24.0 GB: reduce clients.count");
  CHECK(ex::memory_refusal(huge, 0.0).empty());  // unknown machine: no refusal
  c.clients.count = 1000000;  // experiments/bench/million.toml's size, measured at about 130 MB
  CHECK(ex::estimate_memory(c).bytes < 0.3e9);
  c.pubsub.channels = 100;
  c.pubsub.subscriptions = 10;
  CHECK(ex::estimate_memory(c).bytes > 1.6e9);  // subscriptions cost more than the clients themselves
  if (ex::machine_memory_bytes() > 0 && ex::machine_memory_bytes() < 9e10) {
    const std::string message = error_of("[clients]\ncount = 1000000000\n");
    CHECK(message.rfind("t.toml:2:9: this scenario needs about 100.0 GB of memory; this machine has ", 0) == 0);
  }
}
