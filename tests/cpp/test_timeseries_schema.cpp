// The vocabulary of timeseries.csv (experiments/timeseries_schema.*): the sampler writes exactly the
// declared columns of every kind of row for runs of every feature; a column written but not
// declared, or declared for the run but missing, stops the writer; the CSV's header is the
// declaration's order; with several sites, the site rows count each site's servers up, ready and
// draining and its connections, as a crash and a drain change them; with several server classes,
// the class rows count each class's servers, connections, CPU and refusals through a crash.
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "experiments/result_writer.hpp"
#include "experiments/scenario_loader.hpp"
#include "experiments/timeseries_schema.hpp"
#include "models/fleet.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/random_config.hpp"

using namespace wsfleet;
namespace ts = experiments::timeseries;

namespace {
std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

std::string header_of(const models::RunResult& r) {
  std::ostringstream out;
  experiments::write_timeseries_csv(out, r);
  const std::string text = out.str();
  return text.substr(0, text.find('\n'));
}

std::string comma_joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

/// The value of `column` on the site row of `site` at sample time `t`.
double site_at(const models::RunResult& r, double t, int site, const std::string& column) {
  const auto& time = r.sites.column("time_s");
  for (std::size_t i = 0; i < r.sites.rows(); ++i) {
    if (time[i] == t && r.sites.column("site")[i] == site) return r.sites.column(column)[i];
  }
  FAIL("no site row at " << t << " for site " << site);
  return -1;
}
}  // namespace

TEST_CASE("the series of random combinations of every feature hold exactly the declared columns", "[timeseries][schema]") {
  int with_sites = 0;
  for (std::uint64_t seed = 1; seed <= 24; ++seed) {
    INFO("combination " << seed);
    const models::RunResult r = models::Fleet(testing::random_config(seed)).run();
    CHECK(joined(ts::mismatches(r)).empty());
    const ts::Features f = ts::Features::of(r.summary);
    CHECK(header_of(r) == comma_joined(ts::csv_columns(f)));
    CHECK((r.sites.rows() > 0) == f.sites);
    with_sites += f.sites ? 1 : 0;
  }
  CHECK(with_sites > 0);  // the combinations include fleets of two sites
}

TEST_CASE("a column written but not declared, or declared but missing, stops the writer", "[timeseries][schema]") {
  models::RunResult r = models::Fleet(testing::small_fleet()).run();
  REQUIRE(ts::mismatches(r).empty());
  std::ostringstream ok;
  REQUIRE_NOTHROW(experiments::write_timeseries_csv(ok, r));

  models::RunResult extra = r;
  std::vector<std::string> cols = extra.fleet.columns();
  cols.push_back("teleported");
  extra.fleet = sim::TimeSeries(cols);
  CHECK(ts::mismatches(extra) == std::vector<std::string>{"fleet column teleported (not declared)"});
  std::ostringstream out;
  CHECK_THROWS_AS(experiments::write_timeseries_csv(out, extra), std::logic_error);
  CHECK(out.str().empty());  // nothing written

  // A pub/sub column on a run without [pubsub]: declared, but not for this run.
  models::RunResult other = r;
  cols = other.servers.columns();
  cols.push_back("buffered_kib");
  other.servers = sim::TimeSeries(cols);
  CHECK(ts::mismatches(other) == std::vector<std::string>{"server column buffered_kib (declared only for runs of another kind)"});

  // The summary says [pubsub]: its columns are required, and a run without them is refused.
  models::RunResult missing = r;
  missing.summary.pubsub.enabled = true;
  const auto bad = ts::mismatches(missing);
  CHECK(bad.front() == "fleet column published (missing)");
  CHECK(bad.back() == "server column pubsub_dropped (missing)");
  CHECK(bad.size() == 8);  // 5 fleet columns, 3 server columns

  // Two columns swapped: out of order.
  models::RunResult swapped = r;
  cols = swapped.balancers.columns();
  std::swap(cols[2], cols[3]);
  swapped.balancers = sim::TimeSeries(cols);
  CHECK(ts::mismatches(swapped) == std::vector<std::string>{"balancer columns (out of the declared order)"});
}

TEST_CASE("the declared header is the CSV's: shared names once, scopes in order", "[timeseries][schema]") {
  const std::vector<std::string> plain = ts::csv_columns({});
  CHECK(std::vector<std::string>(plain.begin(), plain.begin() + 5) ==
        std::vector<std::string>{"time_s", "scope", "server", "up", "connections"});
  CHECK(std::count(plain.begin(), plain.end(), "up") == 1);
  CHECK(std::find(plain.begin(), plain.end(), "ready") == plain.end());  // site columns only with sites
  CHECK(std::find(plain.begin(), plain.end(), "published") == plain.end());
  ts::Features sites;
  sites.sites = true;
  const std::vector<std::string> with = ts::csv_columns(sites);
  CHECK(std::vector<std::string>(with.end() - 3, with.end()) == std::vector<std::string>{"site", "ready", "draining"});
  CHECK(with.size() == plain.size() + 3);
  // The JSON Schema: one property per CSV column, closed.
  const auto j = nlohmann::json::parse(ts::json_schema());
  CHECK(j["additionalProperties"] == false);
  CHECK(j["properties"].size() == ts::csv_columns({true, true, true, true, true}).size());
  CHECK(j["properties"]["up"]["x-scopes"]["site"]["unit"] == "servers");
  CHECK(j["properties"]["up"]["x-scopes"]["server"]["type"] == "flag");
  CHECK(j["properties"]["ready"]["x-scopes"]["site"]["when"] == "sites");
  // Class columns only with two or more classes, after the site columns.
  ts::Features classes;
  classes.classes = true;
  const std::vector<std::string> with_classes = ts::csv_columns(classes);
  CHECK(std::vector<std::string>(with_classes.end() - 4, with_classes.end()) ==
        std::vector<std::string>{"class", "ready", "cpu_utilisation_max", "refusals"});
  CHECK(with_classes.size() == plain.size() + 4);
  CHECK(j["properties"]["refusals"]["x-scopes"]["class"]["when"] == "classes");
}

TEST_CASE("site rows count each site's servers up, ready and draining through a crash and a drain", "[timeseries][sites]") {
  // Sites a (servers 0, 1) and b (servers 2, 3). Server 0 crashes at 5 s for good; at 10 s a
  // [[scaling]] removes the highest-numbered running server (3, in b), which drains until 15 s.
  const std::string text = R"(
[run]
duration_s = 20.0
sample_interval_s = 1.0
[fleet]
servers = 4
[clients]
count = 200
ramp_s = 2.0
[[topology.links]]
between = ["eu", "a"]
latency_ms = 5.0
[[topology.links]]
between = ["eu", "b"]
latency_ms = 5.0
[[topology.sites]]
name = "a"
servers = 2
[[topology.sites]]
name = "b"
servers = 2
[[topology.regions]]
name = "eu"
share = 1.0
[[faults]]
type = "crash"
server = 0
at_s = 5.5
[[scaling]]
at_s = 10.5
remove = 1
drain_timeout_s = 5.0
)";
  const models::RunResult r = models::Fleet(experiments::load_scenario_string(text, "t.toml")).run();
  REQUIRE(ts::mismatches(r).empty());
  REQUIRE(r.sites.rows() == 2 * 20);
  // [up, ready, draining] of (site a, site b) at a time.
  auto servers = [&](double t) {
    return std::vector<double>{site_at(r, t, 0, "up"), site_at(r, t, 0, "ready"), site_at(r, t, 0, "draining"),
                               site_at(r, t, 1, "up"), site_at(r, t, 1, "ready"), site_at(r, t, 1, "draining")};
  };
  CHECK(servers(5.0) == std::vector<double>{2, 2, 0, 2, 2, 0});
  CHECK(servers(6.0) == std::vector<double>{1, 1, 0, 2, 2, 0});   // server 0 crashed
  CHECK(servers(11.0) == std::vector<double>{1, 1, 0, 2, 1, 1});  // server 3 draining
  CHECK(servers(15.0) == std::vector<double>{1, 1, 0, 2, 1, 1});
  CHECK(servers(16.0) == std::vector<double>{1, 1, 0, 1, 1, 0});  // server 3 gone at its drain deadline
  // Each sample's site rows add up to its fleet row: servers up and connections.
  const auto& ft = r.fleet.column("time_s");
  for (std::size_t i = 0; i < r.fleet.rows(); ++i) {
    INFO("t = " << ft[i]);
    CHECK(site_at(r, ft[i], 0, "up") + site_at(r, ft[i], 1, "up") == r.fleet.column("up")[i]);
    CHECK(site_at(r, ft[i], 0, "connections") + site_at(r, ft[i], 1, "connections") == r.fleet.column("connections")[i]);
  }
  CHECK(site_at(r, 20.0, 0, "connections") + site_at(r, 20.0, 1, "connections") == 200);
  // One site (no [topology], or a single site): no site rows, no site columns in the CSV.
  const models::RunResult one = models::Fleet(testing::small_fleet()).run();
  CHECK(one.sites.columns().empty());
  CHECK(header_of(one).find(",ready,") == std::string::npos);
}

namespace {
/// The value of `column` on the class row of `k` at sample time `t`.
double class_at(const models::RunResult& r, double t, int k, const std::string& column) {
  const auto& time = r.classes.column("time_s");
  for (std::size_t i = 0; i < r.classes.rows(); ++i) {
    if (time[i] == t && r.classes.column("class")[i] == k) return r.classes.column(column)[i];
  }
  FAIL("no class row at " << t << " for class " << k);
  return -1;
}

/// The server rows of sample time `t` of the servers [first, last): the sum of `column`, or its largest.
double servers_sum(const models::RunResult& r, double t, int first, int last, const std::string& column) {
  double sum = 0;
  for (std::size_t i = 0; i < r.servers.rows(); ++i) {
    const double s = r.servers.column("server")[i];
    if (r.servers.column("time_s")[i] == t && s >= first && s < last) sum += r.servers.column(column)[i];
  }
  return sum;
}
double servers_max(const models::RunResult& r, double t, int first, int last, const std::string& column) {
  double most = 0;
  for (std::size_t i = 0; i < r.servers.rows(); ++i) {
    const double s = r.servers.column("server")[i];
    if (r.servers.column("time_s")[i] == t && s >= first && s < last) most = std::max(most, r.servers.column(column)[i]);
  }
  return most;
}
}  // namespace

TEST_CASE("class rows count each class's servers, connections, CPU and refusals through a crash", "[timeseries][classes]") {
  // Class small: servers 0 and 1, at most 20 connections each; class big: servers 2 and 3, 1000
  // each, two cores. 200 clients through round robin: the small servers fill to their limit and
  // refuse the rest (server_full), who retry until a big server takes them. Server 0 crashes at
  // 5.5 s for good: its 20 clients reconnect, and the small class is server 1 alone, full.
  const std::string text = R"(
[run]
duration_s = 20.0
sample_interval_s = 1.0
[clients]
count = 200
ramp_s = 2.0
[[fleet.classes]]
name = "small"
servers = 2
max_connections = 20
[[fleet.classes]]
name = "big"
servers = 2
max_connections = 1000
cpu_cores = 2
[[faults]]
type = "crash"
server = 0
at_s = 5.5
)";
  const models::RunResult r = models::Fleet(experiments::load_scenario_string(text, "t.toml")).run();
  REQUIRE(ts::mismatches(r).empty());
  REQUIRE(r.classes.rows() == 2 * 20);
  // [up, ready, connections] of small, [up, ready] of big at a time (big's connections: the rest,
  // checked against the fleet row below; some refused clients are still in backoff).
  auto counts = [&](double t) {
    return std::vector<double>{class_at(r, t, 0, "up"), class_at(r, t, 0, "ready"), class_at(r, t, 0, "connections"),
                               class_at(r, t, 1, "up"), class_at(r, t, 1, "ready")};
  };
  CHECK(counts(5.0) == std::vector<double>{2, 2, 40, 2, 2});   // each small server at its limit
  CHECK(counts(20.0) == std::vector<double>{1, 1, 20, 2, 2});  // server 0 down: server 1 alone, full
  // The small class refused clients at its limit; the big class never did.
  double small_refused = 0, big_refused = 0;
  for (double t = 1.0; t <= 20.0; t += 1.0) {
    small_refused += class_at(r, t, 0, "refusals");
    big_refused += class_at(r, t, 1, "refusals");
  }
  CHECK(small_refused > 0);
  CHECK(big_refused == 0);
  // Each sample's class rows add up to its fleet row, and each class row to its servers' rows.
  const auto& ft = r.fleet.column("time_s");
  for (std::size_t i = 0; i < r.fleet.rows(); ++i) {
    const double t = ft[i];
    INFO("t = " << t);
    CHECK(class_at(r, t, 0, "up") + class_at(r, t, 1, "up") == r.fleet.column("up")[i]);
    CHECK(class_at(r, t, 0, "connections") + class_at(r, t, 1, "connections") == r.fleet.column("connections")[i]);
    // Every server stays part of the fleet (a crash is not a removal): the fleet's mean is the classes' mean.
    CHECK(r.fleet.column("cpu_utilisation")[i] ==
          Approx((class_at(r, t, 0, "cpu_utilisation") + class_at(r, t, 1, "cpu_utilisation")) / 2).epsilon(1e-12));
    for (int k = 0; k < 2; ++k) {
      const int first = 2 * k, last = 2 * k + 2;
      double refused = 0;
      for (const char* cause : {"refused_server_full", "refused_shed", "refused_timeout", "refused_backend_down", "refused_crash"}) {
        refused += servers_sum(r, t, first, last, cause);
      }
      CHECK(class_at(r, t, k, "refusals") == refused);
      CHECK(class_at(r, t, k, "cpu_utilisation_max") == servers_max(r, t, first, last, "cpu_utilisation"));
      CHECK(class_at(r, t, k, "cpu_utilisation") == Approx(servers_sum(r, t, first, last, "cpu_utilisation") / 2).epsilon(1e-12));
    }
  }
  // One class (no [[fleet.classes]], or a single one): no class rows, no class columns in the CSV.
  const models::RunResult one = models::Fleet(testing::small_fleet()).run();
  CHECK(one.classes.columns().empty());
  CHECK(header_of(one).find(",cpu_utilisation_max") == std::string::npos);
}
