// Hash rings and Maglev tables stay bounded whatever the weights (issue 16 items 3, 6, 13).
#include <chrono>
#include <vector>

#include "models/balancing/ring_budget.hpp"
#include "models/balancing_policy.hpp"
#include "models/load_balancer.hpp"
#include "models/policy_params.hpp"
#include "sim/random.hpp"
#include "tests/cpp/catch.hpp"

using namespace wsfleet;

namespace {

// Share of `picks` keys each backend gets from a fresh balancer (no connection is kept).
std::vector<double> shares(const std::string& policy, const std::vector<double>& weights, const models::Params& params = {},
                           int picks = 20000) {
  models::LoadBalancer lb(models::make_balancing_policy(policy, params), weights, sim::StreamFactory(1, 0).stream("b"));
  std::vector<double> out(weights.size(), 0.0);
  for (int i = 0; i < picks; ++i) {
    const int b = lb.pick(sim::mix64(static_cast<std::uint64_t>(i)));
    REQUIRE(b >= 0);
    out[static_cast<std::size_t>(b)] += 1.0 / picks;
  }
  return out;
}

}  // namespace

TEST_CASE("hash rings over huge weights are built within the point budget and keep the proportions", "[balancing][bounds]") {
  const auto start = std::chrono::steady_clock::now();
  // Two backends of weight 1e6 asked for 2e8 points (76 s, 4.6 GB); ten for nginx, 1.6e9.
  for (const double share : shares("consistent_hash", {1e6, 1e6})) CHECK(share == Approx(0.5).margin(0.03));
  for (const double share : shares("nginx_hash_consistent", std::vector<double>(10, 1e6))) CHECK(share == Approx(0.1).margin(0.03));
  // 1e200 overflowed the float-to-integer cast (every pick failed); 3:1 weights keep a 3:1 split.
  for (const double share : shares("consistent_hash", {1e200, 1e200, 1e200, 1e200})) CHECK(share == Approx(0.25).margin(0.03));
  const auto skewed = shares("consistent_hash", {3e7, 1e7});
  CHECK(skewed[0] == Approx(0.75).margin(0.03));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
  // The budget itself: proportions kept, every backend on the ring.
  const double scale = models::ring_scale(4.0 * models::kMaxRingPoints);
  CHECK(scale == 0.25);
  CHECK(models::ring_points(1e-9, scale) == 1);
  CHECK(models::ring_points(1e300, 1.0) == static_cast<std::uint64_t>(models::kMaxRingPoints));
}

TEST_CASE("a Maglev table no larger than the number of backends is refused, naming table_size", "[balancing][bounds][errors]") {
  for (const char* policy : {"maglev", "envoy_maglev"}) {
    INFO(policy);
    try {
      shares(policy, std::vector<double>(10, 1.0), {{"table_size", 7}});
      FAIL("accepted");
    } catch (const models::ParamError& e) {
      CHECK(e.param() == "table_size");
      CHECK(std::string(e.what()) ==
            "table_size = 7 must be larger than the number of backends (10): use a prime of at least 100 x backends, e.g. 65537");
    }
    // M = 11 > N = 10: every backend gets traffic.
    for (const double share : shares(policy, std::vector<double>(10, 1.0), {{"table_size", 11}})) CHECK(share > 0.03);
  }
}
