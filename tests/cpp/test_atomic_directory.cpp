// Run directories are written atomically: complete or absent, the previous one kept until then.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "experiments/atomic_directory.hpp"
#include "tests/cpp/catch.hpp"

namespace fs = std::filesystem;
using wsfleet::experiments::AtomicDirectory;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void put(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

// A fresh empty directory for one test.
fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("wsfleet_atomic_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Names in `dir`, sorted, one string ("a,b,c").
std::string listing(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

}  // namespace

TEST_CASE("an atomic directory appears complete, and replaces a previous run only when complete", "[output]") {
  const fs::path root = scratch("replace");
  const fs::path run = root / "run";
  {
    AtomicDirectory out(run / "", {"a.txt", "b.txt", "report.html"});  // a trailing slash names the same directory
    out.write("a.txt", "first a");
    out.write("b.txt", "first b");
    CHECK_FALSE(fs::exists(run));  // nothing visible before the commit
    out.commit();
  }
  CHECK(listing(root) == "run");  // no staging directory left beside it
  CHECK(read(run / "a.txt") == "first a");
  put(run / "report.html", "old report");
  {
    AtomicDirectory out(run, {"a.txt", "b.txt", "report.html"});
    out.write("a.txt", "second a");
    // Interrupted here (an exception, or the process dies): the previous results are untouched.
  }
  CHECK(listing(run) == "a.txt,b.txt,report.html");
  CHECK(read(run / "a.txt") == "first a");
  CHECK(listing(root) == "run");
  {
    AtomicDirectory out(run, {"a.txt", "b.txt", "report.html"});
    out.write("a.txt", "second a");
    out.commit();
  }
  CHECK(listing(run) == "a.txt");  // the old b.txt and its stale report went with the old run
  CHECK(read(run / "a.txt") == "second a");
  CHECK(listing(root) == "run");
}

TEST_CASE("an atomic directory never replaces a directory holding other files, or a file", "[output][errors]") {
  const fs::path root = scratch("refuse");
  fs::create_directories(root / "mine");
  put(root / "mine" / "notes.md", "keep me");
  REQUIRE_THROWS_WITH(AtomicDirectory(root / "mine", {"a.txt"}),
                      (root / "mine").string() + ": holds 'notes.md', which is not a run's output: refusing to "
                                                 "replace it (choose another --out)");
  CHECK(read(root / "mine" / "notes.md") == "keep me");
  put(root / "file", "x");
  REQUIRE_THROWS_WITH(AtomicDirectory(root / "file", {"a.txt"}), (root / "file").string() + ": exists and is not a directory");
  CHECK_THROWS_WITH(AtomicDirectory(root / "file" / "sub", {"a.txt"}), Catch::Matchers::Contains("cannot create output directory"));
  CHECK(listing(root) == "file,mine");
  fs::remove_all(root.parent_path());
}
