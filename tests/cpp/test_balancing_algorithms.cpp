// The generic balancing algorithms and what every policy (preset or not) must honour: exact smooth
// WRR order, least-score invariants, consistent hashing's small disruption, Maglev balance, power of
// two versus random, eligibility, hash functions against published vectors, parameter errors.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/balancing/custom_load.hpp"
#include "models/balancing/hash_functions.hpp"
#include "models/balancing/maglev.hpp"
#include "models/balancing_policy.hpp"
#include "sim/random.hpp"
#include "tests/cpp/balancing_fixtures.hpp"
#include "tests/cpp/catch.hpp"

using wsfleet::models::BackendState;
using wsfleet::models::BalancingPolicy;
using wsfleet::models::kNoBackend;
using wsfleet::models::make_balancing_policy;
using wsfleet::models::ParamError;
using wsfleet::sim::Rng;
using wsfleet::testing::open_picks;
using wsfleet::testing::weighted;

namespace {

// Backend chosen for each of `keys` keys over `backends` (no connections opened).
std::vector<int> assignment(BalancingPolicy& policy, const std::vector<BackendState>& backends, int keys) {
  Rng rng(1);
  policy.on_backends_changed(backends);
  std::vector<int> out;
  for (int k = 0; k < keys; ++k) {
    // Distinct client addresses: the hashing presets read the low 32 bits as an IPv4 address.
    const std::uint64_t key = wsfleet::sim::mix64(static_cast<std::uint64_t>(k)) & 0xFFFFFFFFu;
    out.push_back(policy.pick(backends, {key}, rng));
  }
  return out;
}

}  // namespace

TEST_CASE("hash functions match their published test vectors", "[balancing]") {
  using namespace wsfleet::models;
  CHECK(crc32("123456789") == 0xCBF43926u);
  CHECK(xxhash64("") == 0xEF46DB3751D8E999ull);
  CHECK(xxhash64("abc") == 0x44BC2CF5AD770999ull);
  CHECK(xxhash64("Nobody inspects the spammish repetition") == 0xFBCEA83C8A378BF1ull);  // > 32 bytes: stripes
  CHECK(backend_address(0) == "10.0.0.1:80");
  CHECK(backend_address(255) == "10.0.1.0:80");
  CHECK(client_address_text(0x0A010203u) == "10.1.2.3");
}

TEST_CASE("weighted_round_robin follows the smooth WRR order exactly", "[balancing]") {
  Rng rng(1);
  auto policy = make_balancing_policy("weighted_round_robin", {});
  auto backends = weighted({5, 1, 1});
  CHECK(open_picks(*policy, backends, 14, rng) == std::vector<int>{0, 0, 1, 0, 2, 0, 0, 0, 0, 1, 0, 2, 0, 0});
  // Fractional weights: every window of 10 picks over weights 0.5, 1.5, 3 holds 1, 3 and 6.
  auto policy2 = make_balancing_policy("weighted_round_robin", {});
  auto b2 = weighted({0.5, 1.5, 3});
  const auto picks = open_picks(*policy2, b2, 20, rng);
  for (int w = 0; w < 2; ++w) {
    std::map<int, int> counts;
    for (int i = 0; i < 10; ++i) ++counts[picks[static_cast<std::size_t>(w * 10 + i)]];
    CHECK(counts[0] == 1);
    CHECK(counts[1] == 3);
    CHECK(counts[2] == 6);
  }
}

TEST_CASE("least-score policies never pick a backend with a worse score", "[balancing]") {
  Rng rng(7);
  const std::map<std::string, double (*)(const BackendState&)> scores = {
      {"least_loaded", [](const BackendState& b) { return b.cpu_utilisation / b.weight; }},
      {"least_bandwidth", [](const BackendState& b) { return b.bandwidth_bps / b.weight; }},
      {"least_response_time", [](const BackendState& b) { return b.response_time_s / b.weight; }},
  };
  for (const auto& [name, score] : scores) {
    auto policy = make_balancing_policy(name, {});
    for (int trial = 0; trial < 300; ++trial) {
      std::vector<BackendState> backends(1 + rng.below(10));
      for (auto& b : backends) {
        b.weight = 1.0 + static_cast<double>(rng.below(3));
        b.eligible = rng.uniform01() < 0.7;
        b.cpu_utilisation = static_cast<double>(rng.below(5)) / 4.0;
        b.bandwidth_bps = static_cast<double>(rng.below(5)) * 1000.0;
        b.response_time_s = static_cast<double>(rng.below(5)) * 0.01;
      }
      const int chosen = policy->pick(backends, {}, rng);
      const bool any = std::any_of(backends.begin(), backends.end(), [](const BackendState& b) { return b.eligible; });
      REQUIRE((chosen == kNoBackend) == !any);
      if (chosen == kNoBackend) continue;
      for (const auto& b : backends) {
        if (b.eligible) CHECK(score(backends[static_cast<std::size_t>(chosen)]) <= score(b));
      }
    }
  }
}

TEST_CASE("least_response_time can weigh active connections", "[balancing]") {
  Rng rng(1);
  auto backends = weighted({1, 1});
  backends[0].response_time_s = 0.010;
  backends[0].active_connections = 9;  // expected wait 0.1 s
  backends[1].response_time_s = 0.020;
  backends[1].active_connections = 1;  // expected wait 0.04 s
  CHECK(make_balancing_policy("least_response_time", {})->pick(backends, {}, rng) == 0);
  CHECK(make_balancing_policy("least_response_time", {{"connections_exponent", 1}})->pick(backends, {}, rng) == 1);
}

TEST_CASE("custom_load picks the lowest weighted score over the load vector", "[balancing]") {
  Rng rng(3);
  auto policy = make_balancing_policy("custom_load", {{"cpu", 2}, {"memory", 0}, {"connections", 0.1}, {"metric1", 5}});
  auto backends = weighted({1, 1, 2});
  backends[0].cpu_utilisation = 0.5;  // 1.0
  backends[1].cpu_utilisation = 0.1;  // 0.2 + 3 conns * 0.1 + metric1 0.2 * 5 = 1.5
  backends[1].active_connections = 3;
  backends[1].metrics = {100.0, 0.2};  // metrics[0] has coefficient 0
  backends[2].cpu_utilisation = 0.9;  // 1.8 / weight 2 = 0.9
  CHECK(policy->pick(backends, {}, rng) == 2);
  backends[2].eligible = false;
  CHECK(policy->pick(backends, {}, rng) == 0);
  const auto* custom = dynamic_cast<const wsfleet::models::CustomLoad*>(policy.get());
  REQUIRE(custom != nullptr);
  CHECK(custom->score(backends[1]) == Approx(1.5));
}

TEST_CASE("every policy picks only eligible backends and kNoBackend when none is", "[balancing]") {
  for (const auto& info : wsfleet::models::balancing_policies()) {
    auto policy = make_balancing_policy(info.name, {});
    Rng rng(11);
    for (int trial = 0; trial < 60; ++trial) {
      // A fleet of fixed size whose eligibility changes between picks (never signalled).
      std::vector<BackendState> backends = weighted({1, 2, 1, 3, 1});
      for (auto& b : backends) {
        b.eligible = rng.uniform01() < 0.6;
        b.active_connections = static_cast<std::int64_t>(rng.below(5));
      }
      const bool any = std::any_of(backends.begin(), backends.end(), [](const BackendState& b) { return b.eligible; });
      const int chosen = policy->pick(backends, {rng.next_u64()}, rng);
      INFO(info.name);
      REQUIRE((chosen == kNoBackend) == !any);
      if (chosen != kNoBackend) CHECK(backends[static_cast<std::size_t>(chosen)].eligible);
    }
    std::vector<BackendState> none;
    INFO(info.name);
    CHECK(policy->pick(none, {}, rng) == kNoBackend);
  }
}

TEST_CASE("consistent hashing moves about 1/n of the keys when a backend is added", "[balancing]") {
  for (const char* name : {"consistent_hash", "maglev", "nginx_hash_consistent", "haproxy_source_consistent",
                           "envoy_ring_hash", "envoy_maglev"}) {
    INFO(name);
    auto before_policy = make_balancing_policy(name, {});
    auto after_policy = make_balancing_policy(name, {});
    const auto before = assignment(*before_policy, weighted(std::vector<double>(10, 1.0)), 20000);
    const auto after = assignment(*after_policy, weighted(std::vector<double>(11, 1.0)), 20000);
    int moved = 0, moved_to_new = 0;
    for (std::size_t k = 0; k < before.size(); ++k) {
      if (before[k] != after[k]) {
        ++moved;
        if (after[k] == 10) ++moved_to_new;
      }
    }
    const double fraction = moved / 20000.0;
    CHECK(fraction > 0.4 / 11);
    CHECK(fraction < 2.0 / 11);
    // Envoy's ring gives every host fewer entries when one is added (ring size ~1024 shared out),
    // so some keys also move between old hosts; the other structures only give to the newcomer.
    if (std::string(name) != "envoy_ring_hash") CHECK(moved_to_new >= 0.9 * moved);
  }
  // Modulo hashing, for contrast, remaps most keys.
  auto a = make_balancing_policy("ip_hash", {});
  auto b = make_balancing_policy("ip_hash", {});
  const auto before = assignment(*a, weighted(std::vector<double>(10, 1.0)), 5000);
  const auto after = assignment(*b, weighted(std::vector<double>(11, 1.0)), 5000);
  int moved = 0;
  for (std::size_t k = 0; k < before.size(); ++k) moved += before[k] != after[k] ? 1 : 0;
  CHECK(moved > 5000 / 3);
}

TEST_CASE("maglev's table is balanced and follows the weights", "[balancing]") {
  wsfleet::models::Maglev maglev(65537);
  Rng rng(1);
  auto backends = weighted({1, 1, 1, 1, 2});
  REQUIRE(maglev.pick(backends, {1}, rng) >= 0);
  std::vector<int> counts(backends.size(), 0);
  for (const auto slot : maglev.table()) ++counts[slot];
  for (std::size_t b = 0; b < 4; ++b) CHECK(counts[b] == Approx(65537.0 / 6).epsilon(0.02));
  CHECK(counts[4] == Approx(2 * 65537.0 / 6).epsilon(0.02));
  // A backend going down is noticed at pick time and its slots are refilled by the others.
  backends[4].eligible = false;
  for (int k = 0; k < 2000; ++k) CHECK(maglev.pick(backends, {wsfleet::sim::mix64(static_cast<std::uint64_t>(k))}, rng) != 4);
}

TEST_CASE("ip_hash is deterministic per key and skips ineligible backends", "[balancing]") {
  auto policy = make_balancing_policy("ip_hash", {});
  Rng rng(1);
  auto backends = weighted({1, 1, 1, 1});
  const int first = policy->pick(backends, {42}, rng);
  for (int i = 0; i < 10; ++i) CHECK(policy->pick(backends, {42}, rng) == first);
  backends[static_cast<std::size_t>(first)].eligible = false;
  const int second = policy->pick(backends, {42}, rng);
  CHECK(second != first);
  CHECK(second >= 0);
  CHECK(policy->pick(backends, {42}, rng) == second);
}

TEST_CASE("power of two choices keeps the max-load gap far below random's", "[balancing]") {
  auto gap = [](const std::string& name) {
    auto policy = make_balancing_policy(name, {});
    Rng rng(5);
    auto backends = weighted(std::vector<double>(100, 1.0));
    open_picks(*policy, backends, 100000, rng);
    std::int64_t max_load = 0;
    for (const auto& b : backends) max_load = std::max(max_load, b.active_connections);
    return static_cast<double>(max_load) - 1000.0;
  };
  const double random_gap = gap("random");
  for (const char* name : {"random_two_choices", "nginx_random_two_least_conn", "haproxy_random", "envoy_least_request"}) {
    INFO(name);
    CHECK(gap(name) * 5 < random_gap);
  }
}

TEST_CASE("bad balancing parameters are rejected naming the parameter", "[balancing]") {
  auto param_of = [](const std::string& name, const wsfleet::models::Params& params) {
    try {
      make_balancing_policy(name, params);
    } catch (const ParamError& e) {
      return e.param();
    }
    return std::string("(accepted)");
  };
  CHECK(param_of("maglev", {{"table_size", 65536}}) == "table_size");
  CHECK(param_of("envoy_maglev", {{"table_size", 1000}}) == "table_size");
  CHECK(param_of("custom_load", {{"cpu", 0}, {"memory", 0}}) == "cpu");
  CHECK(param_of("envoy_ring_hash", {{"minimum_ring_size", 4096}, {"maximum_ring_size", 2048}}) == "minimum_ring_size");
  CHECK(param_of("nginx_round_robin", {{"max_fails", 0}}) == "max_fails");
  CHECK(param_of("haproxy_random", {{"draws", 1.5}}) == "draws");
  CHECK(param_of("consistent_hash", {{"points", 10}}) == "points");
  CHECK(param_of("maglev", {{"table_size", 5003}}) == "(accepted)");
}
