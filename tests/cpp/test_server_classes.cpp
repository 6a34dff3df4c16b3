// Server classes ([[fleet.classes]]): servers assigned in index order, per-class connection
// limits, weights, memory and cores in a run, [[scaling]] adds of a class, the loader's errors,
// selecting a class by name in overrides, and the round trip. Site shares
// ([[topology.sites]] share = ...) that follow fleet.servers.
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "experiments/result_writer.hpp"
#include "experiments/scenario_error.hpp"
#include "experiments/scenario_loader.hpp"
#include "experiments/scenario_writer.hpp"
#include "models/server_classes.hpp"
#include "models/topology.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"
#include "tests/cpp/scenario_fixtures.hpp"

using namespace wsfleet;
using experiments::ScenarioError;
using testing::conserved;
using testing::error_of;
using testing::has;
using testing::server_at;

namespace {

models::ServerClass server_class(const std::string& name, std::uint32_t servers, std::uint32_t max_connections,
                                 double weight = 1.0) {
  models::ServerClass c;
  c.name = name;
  c.servers = servers;
  c.max_connections = max_connections;
  c.weight = weight;
  return c;
}

// Two small servers (100 connections, weight 1) then one large one (400, weight 4), 900 clients:
// 600 slots.
models::FleetConfig mixed_fleet() {
  auto cfg = testing::small_fleet();
  cfg.fleet.classes = {server_class("small", 2, 100), server_class("large", 1, 400, 4.0)};
  cfg.fleet.classes[0].base_memory_mib = 100.0;
  cfg.fleet.classes[1].base_memory_mib = 1000.0;
  cfg.fleet.classes[1].memory_per_connection_kib = 128.0;
  cfg.fleet.servers = 3;
  cfg.clients.count = 900;
  cfg.backoff.params = {{"base_s", 0.5}, {"cap_s", 5.0}};
  return cfg;
}

const std::string kClasses = R"(
[fleet]
max_connections = 1000
cpu_cores = 2
cost_per_hour = 0.1

[[fleet.classes]]
name = "small"
servers = 3

[[fleet.classes]]
name = "large"
servers = 1
max_connections = 4000
cpu_cores = 8
weight = 4
cost_per_hour = 0.4
)";

}  // namespace

TEST_CASE("servers take their class in index order, and scaling adds take the last class by default", "[classes]") {
  auto cfg = mixed_fleet();
  models::ScalingEvent add;
  add.at_s = 10.0;
  add.add = 2;
  add.server_class = "small";
  cfg.scaling.push_back(add);
  add.add = 1;
  add.server_class = "";
  add.weight = 2.0;
  cfg.scaling.push_back(add);
  const auto specs = models::server_specs(cfg);
  REQUIRE(specs.size() == 6);
  std::vector<std::uint32_t> classes, limits;
  for (const auto& s : specs) {
    classes.push_back(s.class_index);
    limits.push_back(s.max_connections);
  }
  CHECK(classes == std::vector<std::uint32_t>{0, 0, 1, 0, 0, 1});
  CHECK(limits == std::vector<std::uint32_t>{100, 100, 400, 100, 100, 400});
  CHECK(specs[5].weight == 2.0);
  CHECK(specs[2].weight == 4.0);
  CHECK(specs[2].base_memory_mib == 1000.0);
  // Without classes: one class "default" from the [fleet] keys, fleet.weights per server.
  auto plain = testing::small_fleet();
  plain.fleet.weights = {1, 2, 3, 4};
  const auto plain_specs = models::server_specs(plain);
  REQUIRE(plain_specs.size() == 4);
  CHECK(plain_specs[3].weight == 4.0);
  CHECK(plain_specs[3].max_connections == 1000);
  CHECK(models::fleet_classes(plain.fleet).at(0).name == "default");
}

TEST_CASE("a large class holds more connections than a small one under least connections", "[classes]") {
  // Least connections per unit of weight, 900 clients for 600 slots: each server fills to its own
  // class's limit, and the large one holds four times what a small one does.
  const auto r = models::Fleet(mixed_fleet()).run();
  REQUIRE(conserved(r));
  const double end = r.summary.simulated_seconds;
  CHECK(server_at(r, 0, end, "connections") == 100.0);
  CHECK(server_at(r, 1, end, "connections") == 100.0);
  CHECK(server_at(r, 2, end, "connections") == 400.0);
  CHECK(r.summary.connections.active_at_end == 600);
  CHECK(r.summary.connections.rejected_server_full > 0);  // the other 300 are refused by full servers
  CHECK(r.summary.max_connections_per_server == 400);
  // Below the limits (300 clients), the weights alone split them 1 : 1 : 4.
  auto light = mixed_fleet();
  light.clients.count = 300;
  const auto l = models::Fleet(light).run();
  CHECK(server_at(l, 0, end, "connections") == 50.0);
  CHECK(server_at(l, 2, end, "connections") == 200.0);
  CHECK(l.summary.connections.rejected == 0);
  // Memory follows the class: base + connections x per-connection.
  CHECK(server_at(r, 0, end, "memory_mib") == Approx(100.0 + 100.0 * 64.0 / 1024.0));
  CHECK(server_at(r, 2, end, "memory_mib") == Approx(1000.0 + 400.0 * 128.0 / 1024.0));
  REQUIRE(r.summary.classes.size() == 2);
  CHECK(r.summary.classes[1].name == "large");
  CHECK(r.summary.server_class == std::vector<std::uint32_t>{0, 0, 1});
  const std::string json = experiments::summary_json_text(r.summary);
  CHECK(has(json, R"("server_class": [
      "small",
      "small",
      "large"
    ])"));
}

TEST_CASE("balancer weights follow the class", "[classes]") {
  auto cfg = mixed_fleet();
  cfg.fleet.classes = {server_class("small", 2, 10000, 1.0), server_class("large", 1, 10000, 3.0)};
  cfg.balancer.policy = "weighted_round_robin";
  cfg.clients.count = 500;
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const double end = r.summary.simulated_seconds;
  // Smooth weighted round robin over weights 1, 1, 3: exactly 100, 100, 300 of 500 first picks.
  CHECK(server_at(r, 0, end, "connections") == 100.0);
  CHECK(server_at(r, 1, end, "connections") == 100.0);
  CHECK(server_at(r, 2, end, "connections") == 300.0);
}

TEST_CASE("a class's cores serve its CPU queue", "[classes]") {
  // The same handshake load on a 1-core and a 4-core server: the 4-core one is a quarter as busy.
  auto cfg = testing::small_fleet();
  cfg.fleet.classes = {server_class("one", 1, 5000), server_class("four", 1, 5000)};
  cfg.fleet.classes[1].cpu_cores = 4;
  cfg.fleet.servers = 2;
  cfg.balancer.policy = "round_robin";
  cfg.clients.count = 4000;
  cfg.clients.ramp_s = 4.0;
  cfg.fleet.cpu.handshake_us = 1000.0;
  cfg.run.duration_s = 4.0;
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const double one = testing::server_sum(r, 0, 0.0, 4.0, "cpu_utilisation");
  const double four = testing::server_sum(r, 1, 0.0, 4.0, "cpu_utilisation");
  REQUIRE(one > 0.1);
  CHECK(four == Approx(one / 4.0).epsilon(0.05));
}

TEST_CASE("a [[scaling]] add of a class brings servers with that class's limit", "[classes]") {
  auto cfg = mixed_fleet();
  cfg.run.duration_s = 200.0;
  models::ScalingEvent add;
  add.at_s = 100.0;
  add.add = 1;
  add.weight = 4.0;
  add.server_class = "large";
  cfg.scaling.push_back(add);
  const auto r = models::Fleet(cfg).run();
  REQUIRE(conserved(r));
  const double end = r.summary.simulated_seconds;
  // 600 slots for 900 clients until the second large server comes: then every client is in, the
  // new server holding the 300 beyond the small class's limit.
  CHECK(server_at(r, 3, 99.0, "connections") == 0.0);
  CHECK(r.summary.connections.active_at_end == 900);
  CHECK(server_at(r, 2, end, "connections") == 400.0);
  CHECK(server_at(r, 3, end, "connections") == 300.0);
  CHECK(r.summary.server_class == std::vector<std::uint32_t>{0, 0, 1, 1});
}

TEST_CASE("classes in a scenario: defaults from [fleet], the sum is fleet.servers, and the round trip", "[classes][scenario]") {
  const auto cfg = experiments::load_scenario_string(kClasses + R"(
[[scaling]]
at_s = 10
add = 2
class = "small"

[[scaling]]
at_s = 20
add = 1

[[topology.links]]
between = ["eu", "a"]
latency_ms = 1
[[topology.links]]
between = ["eu", "b"]
latency_ms = 2
[[topology.sites]]
name = "a"
share = 0.5
[[topology.sites]]
name = "b"
share = 0.5
[[topology.regions]]
name = "eu"
share = 1
)",
                                                     "t.toml");
  CHECK(cfg.fleet.servers == 4);
  REQUIRE(cfg.fleet.classes.size() == 2);
  const auto& small = cfg.fleet.classes[0];
  CHECK(small.max_connections == 1000);  // from [fleet]
  CHECK(small.cpu_cores == 2);
  CHECK(small.cost_per_hour == 0.1);
  CHECK(small.weight == 1.0);
  const auto& large = cfg.fleet.classes[1];
  CHECK(large.max_connections == 4000);
  CHECK(large.cpu_cores == 8);
  CHECK(cfg.scaling[0].server_class == "small");
  CHECK(cfg.scaling[0].weight == 1.0);
  CHECK(cfg.scaling[1].server_class == "large");  // the last class
  CHECK(cfg.scaling[1].weight == 4.0);            // and its weight
  CHECK(cfg.topology.sites[0].share == 0.5);
  const std::string text = experiments::scenario_to_toml(cfg);
  CHECK(has(text, "# servers = 4: the sum of the [[fleet.classes]] below"));
  CHECK(experiments::load_scenario_string(text, "effective.toml") == cfg);
  // A class's count by name: fleet.servers and the sites follow.
  const auto more = experiments::load_scenario_string(kClasses, "t.toml", {"fleet.classes.large.servers=3"});
  CHECK(more.fleet.classes[1].servers == 3);
  CHECK(more.fleet.servers == 6);
  CHECK(experiments::load_scenario_string(kClasses, "t.toml", {"fleet.classes.0.cpu_cores=4"}).fleet.classes[0].cpu_cores == 4);
}

TEST_CASE("bad classes are refused with the key and what is allowed", "[classes][scenario]") {
  CHECK(error_of(kClasses + "[[fleet.classes]]\nname = \"small\"\nservers = 1\n").message() ==
        "fleet.classes.2.name 'small' is used by an earlier class");
  CHECK(error_of("[[fleet.classes]]\nname = \"a\"\nservers = 0\n").message() ==
        "fleet.classes.0.servers must be between 1 and 100000 (got 0)");
  CHECK(error_of("[[fleet.classes]]\nname = \"a\"\n").message() ==
        "fleet.classes.0.servers is required: how many servers of this class (>= 1)");
  CHECK(error_of("[[fleet.classes]]\nservers = 2\n").message() ==
        "fleet.classes.0.name is required: the class's name, e.g. \"large\"");
  CHECK(has(error_of("[[fleet.classes]]\nname = \"3\"\nservers = 2\n").message(), "not be a number"));
  CHECK(has(error_of("[[fleet.classes]]\nname = \"a\"\nservers = 2\nmax_conections = 5\n").message(),
            "did you mean 'max_connections'?"));
  CHECK(error_of("[[fleet.classes]]\nname = \"a\"\nservers = 2\nweight = 0\n").message() ==
        "fleet.classes.0.weight must be > 0 and <= 1000000 (got 0)");
  const ScenarioError both = error_of("[fleet]\nservers = 4\n" + kClasses.substr(kClasses.find("[[fleet.classes]]")));
  CHECK(std::string(both.what()).starts_with("t.toml:2:"));
  CHECK(both.key() == "fleet.servers");
  CHECK(both.message() ==
        "fleet.servers cannot be given with [[fleet.classes]]: the fleet is the sum of the classes' servers (4 here); "
        "remove fleet.servers and set fleet.classes.NAME.servers instead");
  CHECK(error_of(kClasses, {"fleet.servers=5"}).key() == "fleet.servers");
  CHECK(error_of("[fleet]\nweights = [1, 2]\n[[fleet.classes]]\nname = \"a\"\nservers = 2\n").message() ==
        "fleet.weights cannot be given with [[fleet.classes]]: give each class a weight");
  CHECK(error_of(kClasses + "[[scaling]]\nat_s = 1\nadd = 1\nclass = \"huge\"\n").message().starts_with(
      "scaling.0.class must be one of small, large (got 'huge')"));
  CHECK(error_of("[[scaling]]\nat_s = 1\nadd = 1\nclass = \"large\"\n").message().starts_with(
      "scaling.0.class must be one of default (got 'large')"));
  const ScenarioError name = error_of(kClasses, {"fleet.classes.huge.servers=2"});
  CHECK(name.message() ==
        "'fleet.classes' has no entry named 'huge' (names: small, large); select an entry by its name or its index, "
        "e.g. fleet.classes.0");
  // Built in C++ without the loader: the model checks too.
  auto cfg = mixed_fleet();
  cfg.fleet.servers = 4;
  CHECK_THROWS_WITH(models::Fleet(cfg), "fleet.servers is 4 but the [[fleet.classes]] hold 3 servers: with classes, "
                                        "fleet.servers is their sum");
  cfg = mixed_fleet();
  cfg.fleet.classes[1].name = "small";
  CHECK_THROWS_WITH(models::Fleet(cfg), "fleet.classes.1.name 'small' is used by an earlier class");
}

TEST_CASE("site shares apportion the fleet by largest remainder, every site at least one server", "[classes][topology]") {
  auto sites = [](std::vector<double> shares) {
    std::vector<models::TopologySite> out;
    for (std::size_t i = 0; i < shares.size(); ++i) {
      models::TopologySite s;
      s.name = "s";
      s.name += std::to_string(i);  // not "s" + ...: GCC 12's -Wrestrict false positive
      s.share = shares[i];
      out.push_back(s);
    }
    return out;
  };
  using V = std::vector<std::uint32_t>;
  CHECK(models::site_server_counts(sites({0.5, 0.5}), 5) == V{3, 2});     // tie: the earlier site
  CHECK(models::site_server_counts(sites({0.2, 0.3, 0.5}), 7) == V{1, 2, 4});  // 1.4 2.1 3.5
  CHECK(models::site_server_counts(sites({0.2, 0.3, 0.5}), 10) == V{2, 3, 5});
  CHECK(models::site_server_counts(sites({0.7, 0.3}), 1000) == V{700, 300});
  CHECK_THROWS_WITH(models::site_server_counts(sites({0.8, 0.1, 0.1}), 2),
                    "topology: site s1 gets no server of 2 with share 0.1: every site needs at least one; raise "
                    "fleet.servers or its share");
  CHECK_THROWS_WITH(models::site_server_counts(sites({0.5, 0.4}), 10), "topology: the sites' shares add up to 0.9, not 1");
  auto mixed = sites({0.5, 0.5});
  mixed[1].share = 0.0;
  mixed[1].servers = 3;
  CHECK_THROWS_WITH(models::site_server_counts(mixed, 6),
                    "topology: give every site either servers or a share, not a mix (site s1 differs from site s0)");

  const std::string geo = R"(
[fleet]
servers = 5
[[topology.links]]
between = ["eu", "a"]
latency_ms = 1
[[topology.links]]
between = ["eu", "b"]
latency_ms = 2
[[topology.regions]]
name = "eu"
share = 1
)";
  const std::string shared = geo + "[[topology.sites]]\nname = \"a\"\nshare = 0.5\n[[topology.sites]]\nname = \"b\"\nshare = 0.5\n";
  // The sites follow fleet.servers: a site crash takes exactly its share.
  for (const std::uint32_t servers : {2u, 5u, 9u}) {
    auto cfg = experiments::load_scenario_string(shared, "t.toml", {"fleet.servers=" + std::to_string(servers)});
    const models::Topology t(cfg.topology, cfg.total_servers());
    CHECK(t.site_servers(0) == (servers + 1) / 2);
    CHECK(t.site_servers(1) == servers / 2);
  }
  CHECK(experiments::load_scenario_string(shared, "t.toml", {"topology.sites.b.share=0.25", "topology.sites.a.share=0.75"})
            .topology.sites[1].share == 0.25);
  const ScenarioError one = error_of(shared, {"fleet.servers=1"});
  CHECK(one.key() == "topology.sites");
  CHECK(has(one.message(), "site b gets no server of 1 with share 0.5"));
  CHECK(error_of(geo + "[[topology.sites]]\nname = \"a\"\nservers = 2\nshare = 0.5\n").message() ==
        "topology.sites.0.servers and share exclude each other: give how many of the fleet's servers the site holds "
        "(servers = 4), or its share of them (share = 0.5, which follows fleet.servers)");
  CHECK(has(error_of(geo + "[[topology.sites]]\nname = \"a\"\nservers = 2\n").message(),
            "give each site a share instead of servers to let the sites follow fleet.servers"));
}
