// The presets of real software: pick orders derived by hand from the projects' source (NGINX
// ngx_http_upstream_round_robin.c and modules, HAProxy lb_fwrr.c / lb_map.c / lb_fwlc.c / lb_fas.c,
// Envoy edf_scheduler.h, Linux ip_vs_*.c), tie-breaking, failure handling and the preset listing.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "models/balancing/nginx_round_robin.hpp"
#include "models/balancing_policy.hpp"
#include "sim/random.hpp"
#include "tests/cpp/balancing_fixtures.hpp"
#include "tests/cpp/catch.hpp"

using wsfleet::models::BackendState;
using wsfleet::models::BalancingPolicy;
using wsfleet::models::kNoBackend;
using wsfleet::models::make_balancing_policy;
using wsfleet::sim::Rng;
using wsfleet::testing::open_picks;
using wsfleet::testing::weighted;

namespace {

// What `wsfleet balance NAME --weights ... --picks N` prints: each pick opens a connection that stays open.
std::vector<int> balance(const std::string& name, const std::vector<double>& weights, int picks,
                         const wsfleet::models::Params& params = {}) {
  auto policy = make_balancing_policy(name, params);
  auto backends = weighted(weights);
  Rng rng(1);
  return open_picks(*policy, backends, picks, rng);
}

constexpr std::uint64_t kIp10_1_2_3 = 0x0A010203u;

}  // namespace

TEST_CASE("presets are listed apart and are valid policy names", "[presets]") {
  const auto& presets = wsfleet::models::balancing_presets();
  REQUIRE(presets.size() >= 20);
  for (const auto& p : presets) {
    CHECK(wsfleet::models::is_balancing_preset(p.name));
    CHECK(wsfleet::models::find_policy(wsfleet::models::balancing_policies(), p.name) != nullptr);
    CHECK(make_balancing_policy(p.name, {})->name() == p.name);
  }
  CHECK_FALSE(wsfleet::models::is_balancing_preset("round_robin"));
  CHECK(wsfleet::models::is_balancing_preset("haproxy_static_rr"));
}

TEST_CASE("nginx_round_robin: smooth WRR order and effective_weight after a failure", "[presets]") {
  CHECK(balance("nginx_round_robin", {5, 1, 1}, 7) == std::vector<int>{0, 0, 1, 0, 2, 0, 0});
  // Weights are whole numbers in NGINX: 1.4 acts as 1.
  CHECK(balance("nginx_round_robin", {2, 1.4}, 6) == std::vector<int>{0, 1, 0, 0, 1, 0});

  wsfleet::models::NginxRoundRobin nginx(2);  // max_fails = 2
  auto backends = weighted({4, 1});
  Rng rng(1);
  nginx.on_backends_changed(backends);
  nginx.on_failure(0);  // effective_weight 4 - 4/2 = 2
  CHECK(nginx.effective_weight(0) == 2);
  nginx.on_failure(0);
  nginx.on_failure(0);  // floors at 0
  CHECK(nginx.effective_weight(0) == 0);
  // Pass 1: current a 0, b 1 -> b; a ramps to 1. Pass 2: a 1, b 1-1+1=1 -> a (first on a tie), a ramps to 2.
  CHECK(nginx.pick(backends, {}, rng) == 1);
  CHECK(nginx.effective_weight(0) == 1);
  CHECK(nginx.pick(backends, {}, rng) == 0);
  CHECK(nginx.effective_weight(0) == 2);
}

TEST_CASE("nginx_least_conn: fewest conns per weight, smooth WRR among the tied", "[presets]") {
  auto policy = make_balancing_policy("nginx_least_conn", {});
  Rng rng(1);
  auto backends = weighted({2, 1, 1});
  backends[0].active_connections = 4;  // 2 per weight
  backends[1].active_connections = 2;
  backends[2].active_connections = 2;
  // All tie at 2 per weight: the smooth-WRR pass picks a (current 2), then b (a 0, b 2, c 2), then c.
  std::vector<int> order;
  for (int i = 0; i < 4; ++i) order.push_back(policy->pick(backends, {}, rng));
  CHECK(order == std::vector<int>{0, 1, 2, 0});
  backends[1].active_connections = 1;
  CHECK(policy->pick(backends, {}, rng) == 1);
}

TEST_CASE("nginx_ip_hash: 89/113/6271 over the first three octets, rehash past unavailable peers", "[presets]") {
  auto policy = make_balancing_policy("nginx_ip_hash", {});
  Rng rng(1);
  auto backends = weighted({1, 1, 1});
  // 10.1.2.3: hash 89 -> 3796 -> 2521 -> 2680; 2680 % 3 = 1.
  CHECK(policy->pick(backends, {kIp10_1_2_3}, rng) == 1);
  CHECK(policy->pick(backends, {0x0A0102FFu}, rng) == 1);  // same /24, same peer
  backends[1].eligible = false;
  // Tries continue from 2680: the next gives peer 1 again, the third peer 2.
  CHECK(policy->pick(backends, {kIp10_1_2_3}, rng) == 2);
  auto weighted_policy = make_balancing_policy("nginx_ip_hash", {});
  auto w = weighted({1, 2, 1});
  CHECK(weighted_policy->pick(w, {kIp10_1_2_3}, rng) == 0);  // 2680 % 4 = 0
}

TEST_CASE("haproxy roundrobin and static-rr give different orders for the same weights", "[presets]") {
  // 1,2 by hand from lb_fwrr.c: eweights 16,32, window 48. b leaves the init tree first (heavier):
  // npos 48 + 48/32 = 49 (rweight 16); then b again at 49 -> npos 51; at curr_pos 50 nothing is due, so a.
  CHECK(balance("haproxy_roundrobin", {1, 2}, 3) == std::vector<int>{1, 1, 0});
  // From lb_map.c: slot 0: a score 1, v = 4/3 = 1; b score 2, v = 5/3 = 1, not greater -> a. Then b, b.
  CHECK(balance("haproxy_static_rr", {1, 2}, 3) == std::vector<int>{0, 1, 1});
  CHECK(balance("haproxy_roundrobin", {3, 2, 1}, 12) == std::vector<int>{0, 1, 0, 2, 0, 1, 0, 1, 0, 2, 0, 1});
  CHECK(balance("haproxy_static_rr", {3, 2, 1}, 12) == std::vector<int>{0, 0, 1, 0, 1, 2, 0, 0, 1, 0, 1, 2});
  // 5,1,1 happens to agree, and both differ from NGINX's a a b a c a a.
  CHECK(balance("haproxy_roundrobin", {5, 1, 1}, 7) == std::vector<int>{0, 0, 0, 1, 0, 0, 2});
  CHECK(balance("haproxy_static_rr", {5, 1, 1}, 7) == std::vector<int>{0, 0, 0, 1, 0, 0, 2});
}

TEST_CASE("haproxy_roundrobin keeps the weights when a server goes down and comes back", "[presets]") {
  auto policy = make_balancing_policy("haproxy_roundrobin", {});
  Rng rng(1);
  auto backends = weighted({1, 1, 2});
  std::vector<int> counts(3, 0);
  for (int i = 0; i < 400; ++i) {
    backends[1].eligible = (i / 50) % 2 == 0;  // b flaps every 50 picks
    const int b = policy->pick(backends, {}, rng);
    REQUIRE(b >= 0);
    REQUIRE(backends[static_cast<std::size_t>(b)].eligible);
    ++counts[static_cast<std::size_t>(b)];
  }
  CHECK(counts[2] == Approx(2.0 * counts[0]).epsilon(0.05));
  CHECK(counts[1] == Approx(50).margin(5));  // its share while up: 200 picks * 1/4
}

TEST_CASE("haproxy_leastconn: idle servers first, FIFO among equal keys", "[presets]") {
  CHECK(balance("haproxy_leastconn", {1, 1, 1}, 6) == std::vector<int>{0, 1, 2, 0, 1, 2});
  // Weights 1,3 (eweights 16, 48): a (idle, first) -> key 512; b (idle) -> 170, then b at 170, 256,
  // 341, 426 -> 512; a and b tie at 512 and a, requeued earlier, wins; a -> 768, so b.
  const auto order = balance("haproxy_leastconn", {1, 3}, 8);
  CHECK(order == std::vector<int>{0, 1, 1, 1, 1, 1, 0, 1});
}

TEST_CASE("haproxy_first fills servers one after another up to max_connections", "[presets]") {
  auto policy = make_balancing_policy("haproxy_first", {});
  Rng rng(1);
  auto backends = weighted({1, 1, 1});
  for (auto& b : backends) b.max_connections = 2;
  std::vector<int> order;
  for (int i = 0; i < 7; ++i) {
    const int b = policy->pick(backends, {}, rng);
    order.push_back(b);
    if (b >= 0) ++backends[static_cast<std::size_t>(b)].active_connections;
  }
  CHECK(order == std::vector<int>{0, 0, 1, 1, 2, 2, kNoBackend});
}

TEST_CASE("haproxy_source maps the raw address modulo the server map", "[presets]") {
  auto policy = make_balancing_policy("haproxy_source", {});
  Rng rng(1);
  auto backends = weighted({1, 1, 1});
  CHECK(policy->pick(backends, {kIp10_1_2_3}, rng) == static_cast<int>(0x0A010203u % 3));
  backends[0].eligible = false;  // the map is rebuilt over b, c
  CHECK(policy->pick(backends, {kIp10_1_2_3}, rng) == 1 + static_cast<int>(0x0A010203u % 2));
}

TEST_CASE("envoy_round_robin keeps its equal-weight index across health changes", "[presets]") {
  // Envoy's refreshHostSource inserts the index only if absent: after a health change the index goes
  // on over the new healthy list instead of restarting.
  auto policy = make_balancing_policy("envoy_round_robin", {{"random_start", 0.0}});
  auto backends = weighted({1, 1, 1});
  policy->on_backends_changed(backends);
  Rng rng(1);
  CHECK(policy->pick(backends, {}, rng) == 0);  // index 0 -> 1
  backends[1].eligible = false;                 // healthy hosts now 0, 2
  CHECK(policy->pick(backends, {}, rng) == 2);  // hosts[1 % 2]; a reset index would give 0
  CHECK(policy->pick(backends, {}, rng) == 0);  // hosts[2 % 2]
  backends[1].eligible = true;                  // 0, 1, 2 again, index 3
  CHECK(policy->pick(backends, {}, rng) == 0);
  CHECK(policy->pick(backends, {}, rng) == 1);
}

TEST_CASE("envoy_round_robin: EDF with FIFO ties for unequal weights, index++ for equal ones", "[presets]") {
  CHECK(balance("envoy_round_robin", {5, 1, 1}, 14, {{"random_start", 0}}) ==
        std::vector<int>{0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 1, 2});
  CHECK(balance("envoy_round_robin", {1, 1, 1}, 6, {{"random_start", 0}}) == std::vector<int>{0, 1, 2, 0, 1, 2});
  const auto random_start = balance("envoy_round_robin", {1, 1, 1, 1}, 8);
  for (std::size_t i = 1; i < random_start.size(); ++i) CHECK(random_start[i] == (random_start[i - 1] + 1) % 4);
}

TEST_CASE("envoy_least_request: EDF on weight / (active + 1) for unequal weights", "[presets]") {
  // Weights 2,1, all idle: deadlines 0.5 (a), 1 (b). Pick a at 0.5, re-added with 2/1 -> 1.0 (after b).
  // Then b at 1.0 (re-added 1/1 -> 2.0), a at 1.0 (a holds 1: weight 2/2 -> 2.0), b at 2.0 (FIFO), ...
  CHECK(balance("envoy_least_request", {2, 1}, 4) == std::vector<int>{0, 1, 0, 1});
  // Equal weights, choice_count large: almost always the least loaded.
  const auto picks = balance("envoy_least_request", {1, 1, 1, 1}, 400, {{"choice_count", 40}});
  std::vector<int> counts(4, 0);
  for (const int b : picks) ++counts[static_cast<std::size_t>(b)];
  CHECK(*std::max_element(counts.begin(), counts.end()) - *std::min_element(counts.begin(), counts.end()) <= 1);
}

TEST_CASE("nginx_random_two_least_conn keeps the less loaded of two distinct draws", "[presets]") {
  auto policy = make_balancing_policy("nginx_random_two_least_conn", {});
  Rng rng(3);
  auto backends = weighted({1, 1});
  backends[0].active_connections = 10;
  for (int i = 0; i < 50; ++i) CHECK(policy->pick(backends, {}, rng) == 1);
}

TEST_CASE("ipvs schedulers: lc overhead, sed expected delay, sh buckets", "[presets]") {
  Rng rng(1);
  auto lc = make_balancing_policy("ipvs_lc", {});
  auto backends = weighted({1, 1});
  backends[0].active_connections = 1;      // overhead 256
  backends[1].inactive_connections = 255;  // overhead 255
  CHECK(lc->pick(backends, {}, rng) == 1);
  backends[1].inactive_connections = 256;  // tie: the first in the kernel's list, the newest (index 1)
  CHECK(lc->pick(backends, {}, rng) == 1);
  CHECK(make_balancing_policy("ipvs_lc", {{"newest_first", 0.0}})->pick(backends, {}, rng) == 0);
  // sed, weights 3,1, list b then a (newest first): 1/3 < 1/1 -> a; 2/3 < 1 -> a; 3/3 = 1/1 keeps b,
  // the first in the list; then 3/3 < 2/1 -> a. In index order the tie keeps a: a a a b.
  CHECK(balance("ipvs_sed", {3, 1}, 4) == std::vector<int>{0, 0, 1, 0});
  CHECK(balance("ipvs_sed", {3, 1}, 4, {{"newest_first", 0.0}}) == std::vector<int>{0, 0, 0, 1});
  // sh: 256 buckets filled a b a b ...; 10.1.2.3 hashes to bucket hash_32(0x0A010203, 8) = 2 -> a;
  // 10.0.0.1 to bucket 39 -> b.
  auto sh = make_balancing_policy("ipvs_sh", {});
  auto two = weighted({1, 1});
  CHECK(sh->pick(two, {kIp10_1_2_3}, rng) == 0);
  CHECK(sh->pick(two, {0x0A000001u}, rng) == 1);
  // rr walks the list from its head, newest first (ip_vs_rr.c: list_for_each_entry_continue_rcu from
  // &svc->destinations), weights ignored.
  CHECK(balance("ipvs_rr", {1, 5, 1}, 4) == std::vector<int>{2, 1, 0, 2});
  CHECK(balance("ipvs_rr", {1, 5, 1}, 4, {{"newest_first", 0.0}}) == std::vector<int>{0, 1, 2, 0});
  CHECK(balance("aws_alb", {1, 5, 1}, 4) == std::vector<int>{0, 1, 2, 0});
}

TEST_CASE("presets are deterministic for a seed", "[presets]") {
  for (const auto& p : wsfleet::models::balancing_presets()) {
    INFO(p.name);
    CHECK(balance(p.name, {1, 2, 3, 1}, 200) == balance(p.name, {1, 2, 3, 1}, 200));
  }
}

TEST_CASE("least-connection presets never pick a busier eligible backend", "[presets]") {
  Rng rng(9);
  auto nginx = make_balancing_policy("nginx_least_conn", {});
  auto sed = make_balancing_policy("ipvs_sed", {});
  auto lc = make_balancing_policy("ipvs_lc", {});
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<BackendState> backends(1 + rng.below(9));
    for (auto& b : backends) {
      b.weight = static_cast<double>(1 + rng.below(4));
      b.active_connections = static_cast<std::int64_t>(rng.below(6));
      b.inactive_connections = static_cast<std::int64_t>(rng.below(300));
      b.eligible = rng.uniform01() < 0.7;
    }
    const int n = nginx->pick(backends, {}, rng);
    const int s = sed->pick(backends, {}, rng);
    const int l = lc->pick(backends, {}, rng);
    for (const auto& b : backends) {
      if (!b.eligible) continue;
      REQUIRE(n >= 0);
      const auto& bn = backends[static_cast<std::size_t>(n)];
      CHECK(static_cast<double>(bn.active_connections) * b.weight <= static_cast<double>(b.active_connections) * bn.weight);
      const auto& bs = backends[static_cast<std::size_t>(s)];
      CHECK(static_cast<double>(bs.active_connections + 1) * b.weight <= static_cast<double>(b.active_connections + 1) * bs.weight);
      const auto& bl = backends[static_cast<std::size_t>(l)];
      CHECK(bl.active_connections * 256 + bl.inactive_connections <= b.active_connections * 256 + b.inactive_connections);
    }
  }
}
