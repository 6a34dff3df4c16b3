// The nesting pre-scan: deep TOML is refused with a position before toml++ recurses into it.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "experiments/scenario_error.hpp"
#include "experiments/scenario_loader.hpp"
#include "experiments/toml_depth.hpp"
#include "tests/cpp/catch.hpp"

using wsfleet::experiments::check_toml_depth;
using wsfleet::experiments::kMaxTomlDepth;
using wsfleet::experiments::load_scenario_string;
using wsfleet::experiments::ScenarioError;

namespace {

std::string repeat(const std::string& part, std::size_t n, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += (i ? separator : "") + part;
  return out;
}

// The error of scanning `text`, or an empty message when it passes.
ScenarioError scan_error(const std::string& text) {
  try {
    check_toml_depth(text, "deep.toml");
  } catch (const ScenarioError& e) {
    return e;
  }
  return ScenarioError("", 0, 0, "", "");
}

bool refused(const std::string& text) { return !scan_error(text).message().empty(); }

}  // namespace

TEST_CASE("50,000 nested tables or key parts are refused with a position, not a stack overflow", "[scenario][errors][depth]") {
  const auto start = std::chrono::steady_clock::now();
  const std::string header = "[run]\nseed = 1\n[" + repeat("a", 50000, ".") + "]\nx = 1\n";  // ~100 KB
  const ScenarioError h = scan_error(header);
  CHECK(h.line() == 3);
  CHECK(h.column() == 2 * kMaxTomlDepth + 1);  // at the dot that opens level 33
  CHECK(h.message().find("nested more than 32 levels deep") != std::string::npos);
  const ScenarioError k = scan_error(std::string("\n") + repeat("a", 50000, ".") + " = 1\n");
  CHECK(k.line() == 2);
  CHECK(k.column() == 2 * kMaxTomlDepth);
  // Through the loader: the same error, never a crash.
  REQUIRE_THROWS_WITH(load_scenario_string(header, "deep.toml"), "deep.toml:3:65: " + h.message());
  REQUIRE_THROWS_AS(load_scenario_string(repeat(std::string("[") + repeat("t", 40, ".") + "]", 1, "") + "\n", "d.toml"), ScenarioError);
  // Inline tables nest too, and so do arrays and dotted keys inside them.
  CHECK(refused("x = " + repeat("{a = ", 300, "") + "1" + std::string(300, '}')));
  CHECK(refused("x = " + std::string(100000, '[')));
  CHECK(refused("x = [{" + repeat("a", 40, ".") + " = 1}]"));
  CHECK(refused("[[" + repeat("a", 20, ".") + "]]\n" + repeat("b", 12, ".") + " = 1"));  // 1 + 20 + 12 = 33
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("the depth limit counts only structure: strings, comments and quoted keys do not nest", "[scenario][depth]") {
  // Exactly the limit passes; one more level is refused.
  CHECK_FALSE(refused(repeat("a", kMaxTomlDepth, ".") + " = 1"));
  CHECK(refused(repeat("a", kMaxTomlDepth + 1, ".") + " = 1"));
  const std::string header = std::string("[") + repeat("a", kMaxTomlDepth - 1, ".") + "]\n";  // std::string first: gcc 12 -Wrestrict
  CHECK_FALSE(refused(header + "b = 1"));
  CHECK(refused(header + "b.c = 1"));
  CHECK_FALSE(refused("x = " + std::string(kMaxTomlDepth - 1, '[') + std::string(kMaxTomlDepth - 1, ']')));
  const std::string brackets(200, '[');
  const std::string dots = repeat("a", 100, ".");
  CHECK_FALSE(refused("x = \"" + brackets + dots + "\"\n"));
  CHECK_FALSE(refused("x = '" + brackets + "\\'\ny = 1\n"));  // a literal string ends at its quote
  CHECK_FALSE(refused("x = \"\"\"\n" + brackets + "\n" + dots + " = 1\n\"\"\"\n"));
  CHECK_FALSE(refused("x = '''" + brackets + "'''\n"));
  CHECK_FALSE(refused("x = \"a\\\"" + brackets + "\"\n"));  // an escaped quote does not end the string
  CHECK_FALSE(refused("# " + brackets + dots + "\nx = 1 # " + dots + "\n"));
  CHECK_FALSE(refused("\"" + dots + "\" = 1\n"));  // one quoted key part
  CHECK_FALSE(refused("x = [" + repeat("{a.b = [1, 2]}", 500, ", ") + "]\n"));  // wide, not deep
  CHECK_FALSE(refused(repeat("[t]\n" + repeat("k", 30, ".") + " = 1", 100, "\n")));  // each header resets the depth
}

TEST_CASE("every bundled scenario passes the depth scan", "[scenario][depth]") {
  const std::filesystem::path root = std::filesystem::path(WSFLEET_SOURCE_DIR) / "experiments";
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".toml") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    INFO(entry.path().string());
    CHECK_FALSE(refused(text.str()));
    ++files;
  }
  CHECK(files >= 4);
}

TEST_CASE("overrides refuse keys too long or too deep at once, without quadratic memory", "[scenario][errors][depth]") {
  const auto start = std::chrono::steady_clock::now();
  const std::string deep = repeat("a", 40000, ".");
  REQUIRE_THROWS_WITH(load_scenario_string("", "s.toml", {deep + "=1"}),
                      "--set " + deep.substr(0, 40) + "...: the key is longer than 256 characters "
                      "(valid keys are well under 100)");
  REQUIRE_THROWS_WITH(load_scenario_string("", "s.toml", {repeat("a", 33, ".") + "=1"}),
                      Catch::Matchers::Contains("the key has 33 parts: at most 32 are allowed"));
  // The value's nesting adds to the key's.
  REQUIRE_THROWS_WITH(load_scenario_string("", "s.toml", {"clients.x=" + repeat("{a=", 31, "") + "1" + std::string(31, '}')}),
                      Catch::Matchers::Contains("the value is nested more than 32 levels deep"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}
