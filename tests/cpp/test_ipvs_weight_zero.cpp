// IPVS weight 0 (kube-proxy's graceful termination): the kernel's schedulers skip a destination whose
// weight is 0 (ip_vs_rr.c, ip_vs_lc.c, ip_vs_sed.c, ip_vs_sh.c), its open connections stay. Only the
// ipvs_* presets accept it; the loader says so for the others.
#include <optional>
#include <string>

#include "catch.hpp"
#include "experiments/scenario_error.hpp"
#include "experiments/scenario_loader.hpp"
#include "fleet_fixtures.hpp"
#include "models/fleet.hpp"

using namespace wsfleet;
using wsfleet::testing::conserved;
using wsfleet::testing::server_at;

TEST_CASE("fleet.weights may hold 0 only with an ipvs_* balancer policy", "[ipvs][scenario]") {
  const std::string text = "[fleet]\nservers = 3\nweights = [1, 0, 2]\n[balancer]\npolicy = \"";
  const models::FleetConfig ok = experiments::load_scenario_string(text + "ipvs_lc\"\n", "t.toml");
  CHECK(ok.fleet.weights == std::vector<double>{1.0, 0.0, 2.0});
  std::optional<experiments::ScenarioError> error;
  try {
    experiments::load_scenario_string(text + "round_robin\"\n", "t.toml");
  } catch (const experiments::ScenarioError& e) {
    error = e;
  }
  REQUIRE(error.has_value());
  CHECK(error->line() == 3);
  CHECK(error->message().find("fleet.weights.1 is 0, which only an ipvs_* balancer policy allows") != std::string::npos);
  // Negative weights stay refused for every policy.
  CHECK_THROWS_AS(experiments::load_scenario_string("[fleet]\nservers = 2\nweights = [1, -1]\n[balancer]\npolicy = \"ipvs_rr\"\n",
                                                    "t.toml"),
                  experiments::ScenarioError);
}

TEST_CASE("in a run, an IPVS destination of weight 0 gets no new connection", "[ipvs][fleet]") {
  for (const char* policy : {"ipvs_rr", "ipvs_lc", "ipvs_sed", "ipvs_sh"}) {
    INFO(policy);
    models::FleetConfig cfg = wsfleet::testing::small_fleet();  // 4 servers, 2000 clients over 10 s
    cfg.balancer.policy = policy;
    cfg.balancer.params.clear();
    cfg.fleet.weights = {1.0, 0.0, 1.0, 1.0};
    const auto r = models::Fleet(cfg).run();
    REQUIRE(conserved(r));
    CHECK(server_at(r, 1, 60.0, "connections") == 0.0);
    CHECK(r.summary.connections.active_at_end == 2000);
    CHECK(r.summary.connections.rejected == 0);
  }
}
