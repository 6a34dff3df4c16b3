// Distributions remember the parameters they were built from, so scenarios can be written back
// exactly; the scenario-file spelling covers every kind.
#include <stdexcept>
#include <vector>

#include "experiments/distribution_keys.hpp"
#include "sim/distribution.hpp"
#include "tests/cpp/catch.hpp"

using wsfleet::sim::Distribution;

TEST_CASE("parameters() returns the factory arguments and make() rebuilds an equal distribution", "[distribution]") {
  CHECK(Distribution::constant(3.5).parameters() == std::vector<double>{3.5});
  CHECK(Distribution::exponential(600.0).parameters() == std::vector<double>{600.0});
  CHECK(Distribution::uniform(1.0, 2.0).parameters() == std::vector<double>{1.0, 2.0});
  // Log-normal is stored as (mu, sigma) internally; the given mean and stddev come back unchanged.
  CHECK(Distribution::lognormal(0.3, 0.7).parameters() == std::vector<double>{0.3, 0.7});
  CHECK(Distribution::pareto(5.0, 1.5).parameters() == std::vector<double>{5.0, 1.5});
  CHECK(Distribution::never().parameters().empty());
  for (const Distribution& d : {Distribution::constant(0.0), Distribution::exponential(1.0 / 7.0),
                                Distribution::uniform(0.0, 0.1), Distribution::lognormal(1e-3, 1e3),
                                Distribution::pareto(1e-3, 2.5), Distribution::never()}) {
    CHECK(Distribution::make(d.kind(), d.parameters()) == d);
  }
  CHECK_FALSE(Distribution::exponential(1.0) == Distribution::exponential(2.0));
  CHECK_FALSE(Distribution::constant(1.0) == Distribution::exponential(1.0));
  REQUIRE_THROWS_AS(Distribution::make(Distribution::Kind::Uniform, {1.0}), std::invalid_argument);
  REQUIRE_THROWS_AS(Distribution::make(Distribution::Kind::Exponential, {-1.0}), std::invalid_argument);
}

TEST_CASE("every distribution kind has a scenario-file spelling", "[distribution][scenario]") {
  const auto& names = Distribution::kind_names();
  REQUIRE(wsfleet::experiments::distribution_keys().size() == names.size());
  for (const auto& name : names) {
    const auto* entry = wsfleet::experiments::find_distribution_keys(name);
    REQUIRE(entry != nullptr);
    CHECK(wsfleet::experiments::distribution_keys(entry->kind).name == name);
    // The number of keys is the number of factory parameters.
    const std::vector<double> ones(entry->keys.size(), 1.0);
    CHECK(Distribution::make(entry->kind, ones).kind() == entry->kind);
  }
}
