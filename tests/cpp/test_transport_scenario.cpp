// [transport] and websocket_block faults in scenario files: read, validated with the key and the
// allowed range, overridable with --set, and written back by the effective scenario.
#include <optional>
#include <string>

#include "experiments/scenario_loader.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/scenario_fixtures.hpp"

using wsfleet::testing::error_of;
using wsfleet::testing::has;
using wsfleet::experiments::load_scenario_string;
using wsfleet::experiments::scenario_to_toml;
using wsfleet::experiments::ScenarioError;
using wsfleet::models::FaultTarget;
using wsfleet::models::FleetConfig;

TEST_CASE("[transport] and its subtables are read, and --set reaches every key", "[scenario][transport]") {
  const FleetConfig c = load_scenario_string(
      "[transport]\nlong_polling_share = 0.2\nsse_share = 0.1\n"
      "[transport.long_polling]\npoll_timeout_s = 30\nrequest_us = 80\nmemory_per_request_kib = 8\n"
      "request_bytes = 500\npong_posts = false\n"
      "[transport.sse]\nrequest_us = 60\nrequest_bytes = 400\n"
      "[[faults]]\ntype = \"websocket_block\"\nat_s = 100\nshare = 0.3\nrecover_after_s = 60\n",
      "t.toml");
  CHECK(c.transport.long_polling_share == 0.2);
  CHECK(c.transport.sse_share == 0.1);
  CHECK(c.transport.long_polling.poll_timeout_s == 30.0);
  CHECK(c.transport.long_polling.request_us == 80.0);
  CHECK(c.transport.long_polling.memory_per_request_kib == 8.0);
  CHECK(c.transport.long_polling.request_bytes == 500.0);
  CHECK_FALSE(c.transport.long_polling.pong_posts);
  CHECK(c.transport.sse.request_us == 60.0);
  CHECK(c.transport.sse.request_bytes == 400.0);
  REQUIRE(c.faults.size() == 1);
  CHECK(c.faults[0].target == FaultTarget::WebSocketBlock);
  CHECK(c.faults[0].share == 0.3);
  CHECK(c.faults[0].recover_after_s == std::optional<double>(60.0));
  const FleetConfig o = load_scenario_string("", "t.toml",
                                             {"transport.long_polling_share=0.5", "transport.long_polling.poll_timeout_s=2",
                                              "transport.long_polling.pong_posts=false", "transport.sse.request_us=1"});
  CHECK(o.transport.long_polling_share == 0.5);
  CHECK(o.transport.long_polling.poll_timeout_s == 2.0);
  CHECK_FALSE(o.transport.long_polling.pong_posts);
  CHECK(o.transport.sse.request_us == 1.0);
}

TEST_CASE("the effective scenario writes every transport key and loads back identical", "[scenario][transport]") {
  FleetConfig c = load_scenario_string("", "t.toml");  // policy parameters filled in
  c.transport.long_polling_share = 1.0 / 3.0;
  c.transport.sse_share = 0.1;
  c.transport.long_polling = {0.1, 1e7, 0.0, 1e-3, false};
  c.transport.sse = {0.5, 12345.678};
  wsfleet::models::CrashFault block;
  block.target = FaultTarget::WebSocketBlock;
  block.at_s = 12.5;
  block.share = 0.7;
  c.faults = {block};
  block.recover_after_s = 3.0;
  c.faults.push_back(block);
  const std::string text = scenario_to_toml(c);
  INFO(text);
  for (const char* key : {"[transport]", "long_polling_share = ", "sse_share = 0.1", "[transport.long_polling]",
                          "poll_timeout_s = 0.1", "request_us = 1e+07", "memory_per_request_kib = 0.0",
                          "request_bytes = 0.001", "pong_posts = false", "[transport.sse]", "request_us = 0.5",
                          "type = \"websocket_block\"", "share = 0.7"}) {
    INFO(key);
    CHECK(has(text, key));
  }
  const FleetConfig back = load_scenario_string(text, "effective.toml");
  CHECK(back.transport == c.transport);
  CHECK(back.faults == c.faults);
  CHECK(scenario_to_toml(back) == text);
  // The defaults, too.
  const FleetConfig defaults = load_scenario_string("", "t.toml");
  CHECK(load_scenario_string(scenario_to_toml(defaults), "effective.toml") == defaults);
}

TEST_CASE("bad transport settings name the key and what is allowed", "[scenario][transport]") {
  SECTION("shares above one together") {
    const ScenarioError e = error_of("[transport]\nlong_polling_share = 0.7\nsse_share = 0.4\n");
    CHECK(e.key() == "transport.sse_share");
    CHECK(e.line() == 3);
    CHECK(has(e.what(), "transport.long_polling_share + transport.sse_share must be <= 1 (got 0.7 + 0.4)"));
  }
  SECTION("a share out of range") {
    const ScenarioError e = error_of("[transport]\nlong_polling_share = 1.5\n");
    CHECK(e.key() == "transport.long_polling_share");
    CHECK(has(e.what(), "must be between 0 and 1 (got 1.5)"));
  }
  SECTION("a poll timeout of zero") {
    const ScenarioError e = error_of("[transport.long_polling]\npoll_timeout_s = 0\n");
    CHECK(e.key() == "transport.long_polling.poll_timeout_s");
    CHECK(has(e.what(), "must be between"));
  }
  SECTION("an unknown key suggests the right one") {
    const ScenarioError e = error_of("[transport.long_polling]\npoll_timeout = 5\n");
    CHECK(e.key() == "transport.long_polling.poll_timeout");
    CHECK(has(e.what(), "did you mean 'poll_timeout_s'?"));
  }
  SECTION("pong_posts must be a boolean") {
    const ScenarioError e = error_of("[transport.long_polling]\npong_posts = 1\n");
    CHECK(e.key() == "transport.long_polling.pong_posts");
    CHECK(has(e.what(), "must be true or false"));
  }
  SECTION("an override is checked the same way") {
    const ScenarioError e = error_of("", {"transport.sse_share=-0.1"});
    CHECK(e.key() == "transport.sse_share");
  }
  SECTION("a websocket_block needs its share, and only it has one") {
    const ScenarioError missing = error_of("[[faults]]\ntype = \"websocket_block\"\nat_s = 5\n");
    CHECK(missing.key() == "faults.0.share");
    CHECK(has(missing.what(), "share is required"));
    const ScenarioError zero = error_of("[[faults]]\ntype = \"websocket_block\"\nat_s = 5\nshare = 0\n");
    CHECK(has(zero.what(), "faults.0.share must be > 0 and <= 1 (got 0)"));
    const ScenarioError misplaced = error_of("[[faults]]\ntype = \"crash\"\nserver = 0\nshare = 0.5\n");
    CHECK(misplaced.key() == "faults.0.share");
    CHECK(has(misplaced.what(), "is for type = \"websocket_block\""));
    const ScenarioError server = error_of("[[faults]]\ntype = \"websocket_block\"\nshare = 0.5\nserver = 1\n");
    CHECK(server.key() == "faults.0.server");
  }
}
