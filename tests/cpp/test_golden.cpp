// Golden hashes: the bytes of summary.json (wall time zeroed, conservation checks by name) and timeseries.csv for every bundled
// scenario (big ones shrunk by overrides) and for 60 random combinations of every feature. A change
// that moves any of them either is a bug or is made on purpose; then regenerate the file with
//   WSFLEET_UPDATE_GOLDEN=1 build/py/tests/wsfleet_tests "[golden]"
// and say in the commit which results changed and why, with the new hashes.
//
// Floating-point results depend on the compiler and the C library (libm), so the hashes are kept
// per platform: on a platform with no hashes recorded the test says so and checks nothing else.
#include <gnu/libc-version.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "experiments/result_writer.hpp"
#include "experiments/scenario_loader.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/random_config.hpp"

using namespace wsfleet;

namespace {

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return h;
}

std::string hex(std::uint64_t v) {
  std::ostringstream out;
  out << std::hex;
  out.width(16);
  out.fill('0');
  out << v;
  return out.str();
}

/// "summary-hash timeseries-hash" of one run.
std::string hashes_of(const models::FleetConfig& cfg) {
  models::RunResult r = models::Fleet(cfg).run();
  r.summary.wall_seconds = 0.0;
  // The checks' order follows the order the components are gathered in; their content is the result.
  std::sort(r.summary.conservation.begin(), r.summary.conservation.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  std::ostringstream csv;
  experiments::write_timeseries_csv(csv, r);
  return hex(fnv1a(experiments::summary_json_text(r.summary))) + " " + hex(fnv1a(csv.str()));
}

std::string platform() {
  std::string compiler =
#if defined(__clang__)
      "clang-" + std::to_string(__clang_major__);
#elif defined(__GNUC__)
      "gcc-" + std::to_string(__GNUC__);
#else
      "cc";
#endif
  return compiler + "/glibc-" + gnu_get_libc_version();
}

/// Every case: its name and its configuration.
std::vector<std::pair<std::string, models::FleetConfig>> cases() {
  const std::string root = WSFLEET_SOURCE_DIR;
  std::vector<std::pair<std::string, models::FleetConfig>> out;
  auto scenario = [&](const std::string& name, const std::string& file, std::vector<std::string> overrides) {
    out.emplace_back(name, experiments::load_scenario_file(root + "/" + file, overrides));
  };
  scenario("default", "experiments/scenarios/default.toml", {});
  scenario("shedding", "experiments/scenarios/shedding.toml", {});
  scenario("live_scores", "experiments/scenarios/live_scores.toml",
           {"clients.count=4000", "run.duration_s=200"});
  scenario("million", "experiments/bench/million.toml",
           {"clients.count=20000", "fleet.servers=20", "run.duration_s=300", "faults.0.at_s=120"});
  for (std::uint64_t seed = 1; seed <= 60; ++seed) out.emplace_back("combination-" + std::to_string(seed), testing::random_config(seed));
  return out;
}

}  // namespace

TEST_CASE("golden hashes of every bundled scenario and of random combinations", "[golden]") {
  const std::filesystem::path file = std::filesystem::path(WSFLEET_SOURCE_DIR) / "tests" / "golden" / "hashes.txt";
  // The file: "# platform NAME" starts a platform's section; then "case summary timeseries" lines.
  std::map<std::string, std::map<std::string, std::string>> recorded;
  {
    std::ifstream in(file);
    std::string line, section;
    while (std::getline(in, line)) {
      if (line.rfind("# platform ", 0) == 0) {
        section = line.substr(11);
      } else if (!line.empty() && line[0] != '#') {
        const auto space = line.find(' ');
        recorded[section][line.substr(0, space)] = line.substr(space + 1);
      }
    }
  }
  const std::string here = platform();
  const char* update = std::getenv("WSFLEET_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::map<std::string, std::string>& mine = recorded[here];
    mine.clear();
    for (const auto& [name, cfg] : cases()) mine[name] = hashes_of(cfg);
    std::ofstream out(file);
    out << "# Golden hashes (FNV-1a 64) of summary.json and timeseries.csv; see tests/cpp/test_golden.cpp.\n";
    for (const auto& [section, rows] : recorded) {
      out << "# platform " << section << "\n";
      for (const auto& [name, h] : rows) out << name << " " << h << "\n";
    }
    REQUIRE(out.good());
    return;
  }
  const auto it = recorded.find(here);
  if (it == recorded.end()) {
    WARN("no golden hashes recorded for " << here << ": run with WSFLEET_UPDATE_GOLDEN=1 to record them");
    return;
  }
  for (const auto& [name, cfg] : cases()) {
    INFO("case " << name << " on " << here);
    const auto want = it->second.find(name);
    REQUIRE(want != it->second.end());
    CHECK(hashes_of(cfg) == want->second);
  }
}
