// least_connections on its balancer's backends picks through a LeastRatioIndex (O(log n)): it must
// give the scan's answer at every pick, whatever happens to the backends between picks.
#include <cstdint>
#include <memory>
#include <vector>

#include "models/balancing/least_connections.hpp"
#include "models/balancing/least_ratio_index.hpp"
#include "models/balancing_policy.hpp"
#include "models/load_balancer.hpp"
#include "sim/random.hpp"
#include "tests/cpp/catch.hpp"

using namespace wsfleet;
using models::BackendState;
using models::LoadBalancer;

namespace {

/// Random opens, closes, crashes (drop_all), eligibility flips, caps and weight changes on a
/// balancer of `n` backends; at every step its pick (through the index when usable) is compared
/// with an untracked least_connections (the scan) given the same backends.
void compare_with_the_scan(std::size_t n, bool whole_weights, std::uint64_t seed, int steps) {
  sim::Rng rng(seed);
  std::vector<double> weights(n);
  for (auto& w : weights) w = whole_weights ? static_cast<double>(1 + rng.below(4)) : 0.5 + static_cast<double>(rng.below(8)) * 0.3;
  LoadBalancer lb(models::make_balancing_policy("least_connections", {}), weights, sim::Rng(seed + 1));
  models::LeastConnections scan;  // never tracks: scans every time
  sim::Rng unused(0);
  int picks = 0;
  for (int step = 0; step < steps; ++step) {
    const std::uint64_t op = rng.below(100);
    if (op < 60) {
      const int b = lb.pick(static_cast<std::uint64_t>(step));
      const int expected = scan.pick(lb.backends(), {static_cast<std::uint64_t>(step)}, unused);
      REQUIRE(b == expected);
      ++picks;
      if (b != models::kNoBackend) lb.connection_opened(b);
    } else if (op < 85) {
      const int b = static_cast<int>(rng.below(n));
      if (lb.backends()[static_cast<std::size_t>(b)].active_connections > 0) lb.connection_closed(b);
    } else if (op < 92) {
      lb.set_eligible(static_cast<int>(rng.below(n)), rng.below(3) != 0);
    } else if (op < 95) {
      lb.drop_all(static_cast<int>(rng.below(n)));
    } else if (op < 98) {
      lb.set_connection_cap(rng.below(3) == 0 ? 0 : static_cast<std::int64_t>(1 + rng.below(40)));
    } else {
      const double w = whole_weights ? static_cast<double>(1 + rng.below(6)) : 0.25 + static_cast<double>(rng.below(10)) * 0.35;
      lb.set_weight(static_cast<int>(rng.below(n)), w);
    }
  }
  REQUIRE(picks > steps / 2);
}

}  // namespace

TEST_CASE("least_connections through its index picks as the scan does at every step", "[balancing][least_ratio]") {
  for (std::size_t n : {1u, 2u, 3u, 7u, 16u, 33u, 300u}) {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) compare_with_the_scan(n, true, seed * 97 + n, 4000);
  }
}

TEST_CASE("least_connections with fractional weights scans, and still picks as the scan does", "[balancing][least_ratio]") {
  for (std::size_t n : {2u, 5u, 40u}) compare_with_the_scan(n, false, 11 + n, 3000);
}

TEST_CASE("the index is usable only when every weight is a whole number up to 2^20", "[balancing][least_ratio]") {
  std::vector<BackendState> backends(3);
  models::LeastRatioIndex index;
  index.rebuild(backends);
  CHECK(index.usable());
  backends[1].weight = 1.5;
  index.rebuild(backends);
  CHECK_FALSE(index.usable());
  backends[1].weight = 1048576.0;
  index.rebuild(backends);
  CHECK(index.usable());
  backends[1].weight = 2097152.0;
  index.rebuild(backends);
  CHECK_FALSE(index.usable());
}

TEST_CASE("the index breaks ties by scan order from the start, and skips ineligible backends", "[balancing][least_ratio]") {
  std::vector<BackendState> backends(5);
  for (auto& b : backends) b.active_connections = 3;
  backends[1].active_connections = 1;
  backends[3].active_connections = 1;
  models::LeastRatioIndex index;
  index.rebuild(backends);
  CHECK(index.pick(0) == 1);
  CHECK(index.pick(2) == 3);  // from 2: 3 is met before 1
  CHECK(index.pick(4) == 1);  // from 4: 4, 0, then 1
  backends[3].eligible = false;
  index.update(3, backends[3]);
  CHECK(index.pick(2) == 1);
  for (std::size_t i = 0; i < backends.size(); ++i) {
    backends[i].eligible = false;
    index.update(i, backends[i]);
  }
  CHECK(index.pick(0) == models::kNoBackend);
}
