// Topology: the Boost.Graph shortest paths, client placement, nearest-site routing, network
// latency in the message latency, and a whole-site failure.
#include <cmath>
#include <stdexcept>

#include "experiments/scenario_error.hpp"
#include "experiments/scenario_loader.hpp"
#include "experiments/scenario_writer.hpp"
#include "models/topology.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

using namespace wsfleet;
using models::Topology;
using models::TopologySection;
using testing::conserved;

namespace {

// Europe and the US, a point of presence each, a data centre each, one transatlantic link.
TopologySection two_continents() {
  TopologySection t;
  t.links = {{"eu", "fra", 5.0}, {"fra", "ams", 3.0}, {"us", "nyc", 4.0}, {"nyc", "fra", 40.0}, {"eu", "ams", 20.0}};
  t.sites = {{"ams", 2}, {"nyc", 2}};
  t.regions = {{"eu", 0.5}, {"us", 0.5}};
  return t;
}

}  // namespace

TEST_CASE("shortest paths give each region its distance to every site and the order to try them", "[topology]") {
  const Topology t(two_continents(), 4);
  REQUIRE(t.sites() == 2);
  REQUIRE(t.regions() == 2);
  CHECK(t.latency_ms(0, 0) == 8.0);    // eu - fra - ams beats the direct 20 ms link
  CHECK(t.latency_ms(0, 1) == 45.0);   // eu - fra - nyc
  CHECK(t.latency_ms(1, 1) == 4.0);
  CHECK(t.latency_ms(1, 0) == 47.0);   // us - nyc - fra - ams
  CHECK(t.nearest_sites(0) == std::vector<std::uint32_t>{0, 1});
  CHECK(t.nearest_sites(1) == std::vector<std::uint32_t>{1, 0});
  CHECK(t.first_server(1) == 2);
  CHECK(t.site_of(1) == 0);
  CHECK(t.site_of(3) == 1);
}

TEST_CASE("clients are placed in regions by their shares, the same client always in the same place", "[topology]") {
  auto section = two_continents();
  section.regions = {{"eu", 0.2}, {"us", 0.8}};
  const Topology t(section, 4);
  std::size_t eu = 0;
  for (std::uint64_t c = 0; c < 100000; ++c) eu += t.region_of(c) == 0 ? 1 : 0;
  CHECK(std::abs(static_cast<double>(eu) / 100000.0 - 0.2) < 0.01);
  CHECK(t.region_of(12345) == Topology(section, 4).region_of(12345));
}

TEST_CASE("a topology that cannot work is refused with the reason", "[topology]") {
  auto unreachable = two_continents();
  unreachable.regions.push_back({"mars", 0.0});
  unreachable.regions[0].share = 0.5;
  CHECK_THROWS_WITH(Topology(unreachable, 4), Catch::Matchers::Contains("region mars has no path to any site"));
  CHECK_THROWS_WITH(Topology(two_continents(), 5), Catch::Matchers::Contains("the sites hold 4 servers but the fleet has 5"));
  auto shares = two_continents();
  shares.regions[1].share = 0.4;
  CHECK_THROWS_WITH(Topology(shares, 4), Catch::Matchers::Contains("shares add up to 0.9"));
  const Topology none(TopologySection{}, 7);
  CHECK(none.sites() == 1);
  CHECK(none.site_servers(0) == 7);
  CHECK(none.latency_ms(0, 0) == 0.0);
}

namespace {

models::FleetConfig geo_fleet() {
  auto cfg = testing::small_fleet();
  cfg.topology = two_continents();
  cfg.fleet.max_connections = 2000;
  cfg.clients.messages_per_minute = 30.0;
  cfg.balancer.policy = "round_robin";
  return cfg;
}

}  // namespace

TEST_CASE("clients use their nearest site, and the path's latency adds to the message latency", "[topology]") {
  const auto r = models::Fleet(geo_fleet()).run();
  REQUIRE(conserved(r));
  REQUIRE(r.summary.sites.size() == 2);
  REQUIRE(r.summary.regions.size() == 2);
  CHECK(r.summary.regions[0].nearest_site == "ams");
  CHECK(r.summary.regions[0].latency_ms == 8.0);
  const auto eu = r.summary.regions[0].clients;
  CHECK(eu + r.summary.regions[1].clients == 2000);
  CHECK(r.summary.sites[0].active_at_end == eu);  // every European client is in Amsterdam
  // Half the messages travel 8 ms, half 4 ms; the servers add well under a millisecond.
  const auto& lat = r.summary.message_latency;
  CHECK(lat.p50_ms > 3.9);
  CHECK(lat.p99_ms < 8.6);
  const double expected_mean = (static_cast<double>(eu) * 8.0 + static_cast<double>(2000 - eu) * 4.0) / 2000.0;
  CHECK(lat.mean_ms == Approx(expected_mean).epsilon(0.03));
  // A handshake takes a round trip.
  CHECK(r.summary.handshake_latency.p50_ms >= 8.0);
}

TEST_CASE("a whole-site failure sends its clients to the next nearest site, once its balancers notice", "[topology]") {
  auto cfg = geo_fleet();
  models::CrashFault f;
  f.target = models::FaultTarget::Site;
  f.site = "ams";
  f.at_s = 60.0;
  cfg.faults.push_back(f);
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const auto& out = r.summary.faults.at(0);
  CHECK(out.target == "site");
  CHECK(out.connections_dropped == r.summary.regions[0].clients);
  REQUIRE(out.detected_within_s.has_value());
  CHECK(*out.detected_within_s > 4.0);  // health checks: 3 failed probes 2 s apart
  CHECK(*out.detected_within_s <= 6.0);
  CHECK(r.summary.sites[0].active_at_end == 0);
  CHECK(r.summary.sites[1].active_at_end == 2000);  // everyone is in New York now
  REQUIRE(out.reconnected_within_s.has_value());
  CHECK(*out.reconnected_within_s > *out.detected_within_s);
  // Europeans now pay the transatlantic 45 ms.
  CHECK(r.summary.message_latency.max_ms > 44.0);
}

TEST_CASE("a topology in a scenario: read, checked and written back", "[topology][scenario]") {
  const std::string toml = R"(
[fleet]
servers = 4

[[topology.links]]
between = ["eu", "ams"]
latency_ms = 8

[[topology.links]]
between = ["us", "nyc"]
latency_ms = 4.5

[[topology.links]]
between = ["ams", "nyc"]
latency_ms = 40

[[topology.sites]]
name = "ams"
servers = 3

[[topology.sites]]
name = "nyc"
servers = 1

[[topology.regions]]
name = "eu"
share = 0.25

[[topology.regions]]
name = "us"
share = 0.75

[[faults]]
type = "site_crash"
site = "nyc"
at_s = 10
)";
  const auto c = experiments::load_scenario_string(toml, "t.toml");
  REQUIRE(c.topology.links.size() == 3);
  CHECK(c.topology.links[1] == models::TopologyLink{"us", "nyc", 4.5});
  CHECK(c.topology.sites[0] == models::TopologySite{"ams", 3});
  CHECK(c.topology.regions[1] == models::TopologyRegion{"us", 0.75});
  CHECK(c.faults.at(0).target == models::FaultTarget::Site);
  CHECK(c.faults.at(0).site == "nyc");
  CHECK(experiments::load_scenario_string(experiments::scenario_to_toml(c), "effective.toml") == c);

  auto message = [](const std::string& text) -> std::string {
    try {
      experiments::load_scenario_string(text, "t.toml");
    } catch (const experiments::ScenarioError& e) {
      return e.what();
    }
    return "no error";
  };
  const std::string sites = "[fleet]\nservers = 2\n[[topology.sites]]\nname = \"a\"\nservers = 2\n";
  CHECK(message(sites) == "t.toml:3:1: [topology] needs at least one [[topology.regions]] entry");
  CHECK(message(sites + "[[topology.regions]]\nname = \"x\"\nshare = 1\n") ==
        "t.toml:3:1: topology: region x has no path to any site");
  CHECK(message(sites + "[[topology.regions]]\nname = \"a\"\nshare = 0.5\n") ==
        "t.toml:3:1: topology: the regions' shares add up to 0.5, not 1");
  CHECK(message("[[topology.sites]]\nname = \"a\"\nservers = 3\n[[topology.regions]]\nname = \"a\"\nshare = 1\n") ==
        "t.toml:1:1: topology: the sites hold 3 servers but the fleet has 10 (fleet.servers plus [[scaling]] adds); give each site a share "
        "instead of servers to let the sites follow fleet.servers");
  CHECK(message("[[topology.links]]\nbetween = [\"a\"]\nlatency_ms = 1\n") ==
        "t.toml:2:11: topology.links.0.between must name the two places it joins, e.g. [\"eu\", \"eu-west\"]");
  CHECK(message(sites + "[[topology.regions]]\nname = \"a\"\nshare = 1\n[[faults]]\ntype = \"site_crash\"\nsite = \"b\"\n") ==
        "t.toml:11:8: faults.0.site must be one of a (got 'b')");
  CHECK(message("[[faults]]\ntype = \"site_crash\"\nsite = \"b\"\n") ==
        "t.toml:1:1: faults.0.type = \"site_crash\" needs [[topology.sites]]");
}
