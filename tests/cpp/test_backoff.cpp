// Backoff policies: exact delays, jitter bounds and means, caps for huge retry numbers, max_retries,
// reproducibility and sample_backoff_delays.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "models/backoff_policy.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"
#include "tests/cpp/catch.hpp"

using wsfleet::models::BackoffPolicy;
using wsfleet::models::BackoffState;
using wsfleet::models::make_backoff_policy;
using wsfleet::models::ParamError;
using wsfleet::models::sample_backoff_delays;
using wsfleet::sim::kNanosPerSecond;
using wsfleet::sim::Rng;
using wsfleet::sim::SimTime;

namespace {

const std::vector<std::string> kExponentialFamily = {"exponential", "full_jitter", "equal_jitter", "decorrelated_jitter"};

// The delay for retry n from a state that has already scheduled n retries (no history needed).
SimTime delay_at(const BackoffPolicy& policy, std::uint32_t n, Rng& rng) {
  BackoffState state;
  state.attempt = n;
  return policy.next_delay(state, rng);
}

// min(cap, base * 2^n) in ns, computed independently of the library (exact for the values used).
SimTime expected_ceiling_ns(double base_s, double cap_s, std::uint32_t n) {
  return wsfleet::sim::from_seconds(std::min(cap_s, std::ldexp(base_s, static_cast<int>(std::min<std::uint32_t>(n, 200)))));
}

// The client presets whose delays are random (the others are fixed lists or formulas).
const std::set<std::string> kRandomPresets = {"socketio", "ably", "reconnecting_websocket", "centrifuge", "grpc",
                                              "aws_standard"};

bool is_client_preset(const std::string& name) {
  for (const auto& p : wsfleet::models::backoff_client_presets()) {
    if (p.name == name) return true;
  }
  return false;
}

double mean_of(const std::vector<SimTime>& values) {
  double sum = 0.0;
  for (const SimTime v : values) sum += static_cast<double>(v);
  return sum / static_cast<double>(values.size());
}

}  // namespace

TEST_CASE("immediate retries at once and advances the state", "[backoff]") {
  auto policy = make_backoff_policy("immediate", {});
  Rng rng(1);
  BackoffState state;
  for (std::uint32_t n = 0; n < 5; ++n) {
    REQUIRE(policy->next_delay(state, rng) == 0);
    REQUIRE(state.attempt == n + 1);
    REQUIRE(state.last_delay == 0);
  }
}

TEST_CASE("constant waits delay_s before every retry", "[backoff]") {
  auto policy = make_backoff_policy("constant", {{"delay_s", 2.5}});
  Rng rng(1);
  BackoffState state;
  for (int n = 0; n < 5; ++n) REQUIRE(policy->next_delay(state, rng) == 2'500'000'000);
  CHECK(state.attempt == 5);
  CHECK(state.last_delay == 2'500'000'000);
  CHECK(delay_at(*make_backoff_policy("constant", {}), 7, rng) == kNanosPerSecond);  // default 1 s
}

TEST_CASE("exponential doubles from base_s up to cap_s", "[backoff]") {
  Rng rng(1);
  SECTION("defaults: 1 s doubling, cap 30 s") {
    auto policy = make_backoff_policy("exponential", {});
    BackoffState state;
    std::vector<SimTime> delays;
    for (int n = 0; n < 8; ++n) delays.push_back(policy->next_delay(state, rng));
    const std::vector<SimTime> expected = {1, 2, 4, 8, 16, 30, 30, 30};
    for (std::size_t i = 0; i < expected.size(); ++i) CHECK(delays[i] == expected[i] * kNanosPerSecond);
    CHECK(state.attempt == 8);
    CHECK(state.last_delay == 30 * kNanosPerSecond);
  }
  SECTION("fractional base") {
    auto policy = make_backoff_policy("exponential", {{"base_s", 0.1}, {"cap_s", 1.0}});
    CHECK(delay_at(*policy, 0, rng) == 100'000'000);
    CHECK(delay_at(*policy, 2, rng) == 400'000'000);
    CHECK(delay_at(*policy, 3, rng) == 800'000'000);
    CHECK(delay_at(*policy, 4, rng) == 1'000'000'000);
  }
  SECTION("huge retry numbers give the cap, without overflow") {
    auto policy = make_backoff_policy("exponential", {{"base_s", 0.001}, {"cap_s", 86400.0}});
    CHECK(delay_at(*policy, 26, rng) == 67'108'864'000'000);  // 0.001 * 2^26 s, below the cap
    CHECK(delay_at(*policy, 27, rng) == 86400 * kNanosPerSecond);
    for (const std::uint32_t n : {62u, 63u, 64u, 1000u, std::numeric_limits<std::uint32_t>::max()}) {
      CHECK(delay_at(*policy, n, rng) == 86400 * kNanosPerSecond);
    }
  }
}

TEST_CASE("the attempt counter saturates instead of wrapping", "[backoff]") {
  auto policy = make_backoff_policy("exponential", {});
  Rng rng(1);
  BackoffState state;
  state.attempt = std::numeric_limits<std::uint32_t>::max();
  CHECK(policy->next_delay(state, rng) == 30 * kNanosPerSecond);
  CHECK(state.attempt == std::numeric_limits<std::uint32_t>::max());
}

TEST_CASE("full_jitter draws uniformly below min(cap, base * 2^n) with mean v/2", "[backoff]") {
  auto policy = make_backoff_policy("full_jitter", {{"base_s", 0.5}, {"cap_s", 20.0}});
  Rng rng(2);
  for (const std::uint32_t n : {0u, 1u, 3u, 5u, 6u, 10u, 1000u}) {
    const SimTime v = expected_ceiling_ns(0.5, 20.0, n);
    const std::size_t samples = 20000;
    double sum = 0.0;
    SimTime max_seen = 0;
    for (std::size_t i = 0; i < samples; ++i) {
      const SimTime d = delay_at(*policy, n, rng);
      REQUIRE(d >= 0);
      REQUIRE(d < v);
      sum += static_cast<double>(d);
      max_seen = std::max(max_seen, d);
    }
    // Uniform on [0, v): mean v/2, sd v/sqrt(12); the sample mean's sd is v/sqrt(12 N). Allow 4 of them.
    const double vd = static_cast<double>(v);
    CHECK_THAT(sum / static_cast<double>(samples),
               Catch::Matchers::WithinAbs(vd / 2.0, 4.0 * vd / std::sqrt(12.0 * static_cast<double>(samples))));
    CHECK(static_cast<double>(max_seen) > 0.99 * vd);  // the whole range is used, up to the ceiling
  }
}

TEST_CASE("equal_jitter draws between v/2 and v with mean 3v/4", "[backoff]") {
  auto policy = make_backoff_policy("equal_jitter", {});  // base 1 s, cap 30 s
  Rng rng(3);
  for (const std::uint32_t n : {0u, 1u, 2u, 4u, 5u, 9u, 1000u}) {
    const SimTime v = expected_ceiling_ns(1.0, 30.0, n);
    const std::size_t samples = 20000;
    double sum = 0.0;
    SimTime min_seen = v;
    for (std::size_t i = 0; i < samples; ++i) {
      const SimTime d = delay_at(*policy, n, rng);
      REQUIRE(2 * d >= v);
      REQUIRE(d < v);
      sum += static_cast<double>(d);
      min_seen = std::min(min_seen, d);
    }
    // v/2 + U(0, v/2): mean 3v/4, sd v/(2 sqrt 12); allow 4 sd of the sample mean.
    const double vd = static_cast<double>(v);
    CHECK_THAT(sum / static_cast<double>(samples),
               Catch::Matchers::WithinAbs(0.75 * vd, 4.0 * vd / (2.0 * std::sqrt(12.0 * static_cast<double>(samples)))));
    CHECK(static_cast<double>(min_seen) < 0.51 * vd);  // the lower half-bound is reached
  }
}

TEST_CASE("decorrelated_jitter stays between base and min(cap, 3 * prev)", "[backoff]") {
  const double base_s = 0.2;
  const double cap_s = 10.0;
  auto policy = make_backoff_policy("decorrelated_jitter", {{"base_s", base_s}, {"cap_s", cap_s}});
  const SimTime base = wsfleet::sim::from_seconds(base_s);
  const SimTime cap = wsfleet::sim::from_seconds(cap_s);
  Rng rng(4);
  int at_cap = 0;
  int above_previous = 0;
  for (int client = 0; client < 2000; ++client) {
    BackoffState state;
    SimTime previous = base;  // the first retry draws from [base, 3 * base)
    for (std::uint32_t n = 0; n < 40; ++n) {
      const SimTime d = policy->next_delay(state, rng);
      REQUIRE(d >= base);
      REQUIRE(d <= std::min(cap, 3 * previous));
      REQUIRE(state.last_delay == d);
      REQUIRE(state.attempt == n + 1);
      at_cap += d == cap ? 1 : 0;
      above_previous += d > previous ? 1 : 0;
      previous = d;
    }
  }
  CHECK(at_cap > 0);          // the cap is actually applied
  CHECK(above_previous > 0);  // and delays do grow from base
  // First retry: U(base, 3 base), mean 2 base; sd of the mean of N draws = (2 base)/sqrt(12 N).
  const std::vector<SimTime> first = sample_backoff_delays(*policy, 0, 20000, rng);
  CHECK_THAT(mean_of(first), Catch::Matchers::WithinAbs(2.0 * static_cast<double>(base),
                                                        4.0 * 2.0 * static_cast<double>(base) / std::sqrt(12.0 * 20000.0)));
}

TEST_CASE("every exponential-family policy respects the cap for n = 1000", "[backoff]") {
  Rng rng(5);
  for (const std::string& name : kExponentialFamily) {
    auto policy = make_backoff_policy(name, {{"base_s", 0.05}, {"cap_s", 3.0}});
    const SimTime cap = 3 * kNanosPerSecond;
    for (int i = 0; i < 500; ++i) REQUIRE(delay_at(*policy, 1000, rng) <= cap);
    // Through the history as well (decorrelated jitter depends on it).
    for (const SimTime d : sample_backoff_delays(*policy, 1000, 50, rng)) REQUIRE(d <= cap);
  }
}

TEST_CASE("sample_backoff_delays draws the given retry from fresh, advanced states", "[backoff]") {
  Rng rng(6);
  auto exponential = make_backoff_policy("exponential", {});
  const std::vector<SimTime> delays = sample_backoff_delays(*exponential, 3, 7, rng);
  REQUIRE(delays.size() == 7);
  for (const SimTime d : delays) CHECK(d == 8 * kNanosPerSecond);
  CHECK(sample_backoff_delays(*exponential, 0, 0, rng).empty());
  // Decorrelated jitter's second retry depends on the first: bounded by 3 * (first < 3 base) < 9 base.
  auto decorrelated = make_backoff_policy("decorrelated_jitter", {{"base_s", 1.0}, {"cap_s", 100.0}});
  const std::vector<SimTime> second = sample_backoff_delays(*decorrelated, 1, 5000, rng);
  SimTime largest = 0;
  for (const SimTime d : second) largest = std::max(largest, d);
  CHECK(largest < 9 * kNanosPerSecond);
  CHECK(largest > 6 * kNanosPerSecond);  // beyond the first retry's range [1, 3) s: history was replayed
}

TEST_CASE("none never retries", "[backoff]") {
  auto policy = make_backoff_policy("none", {});
  BackoffState fresh;
  CHECK(policy->gives_up(fresh));
  REQUIRE_THROWS_AS(make_backoff_policy("none", {{"max_retries", 1.0}}), ParamError);
  // Every other policy retries from a fresh state.
  for (const auto& info : wsfleet::models::backoff_policies()) {
    if (info.name != "none") CHECK_FALSE(make_backoff_policy(info.name, {})->gives_up(fresh));
  }
}

TEST_CASE("max_retries is a validated parameter of every retrying generic backoff policy", "[backoff]") {
  for (const auto& info : wsfleet::models::backoff_policies()) {
    if (info.name == "none" || is_client_preset(info.name)) continue;  // nothing to count / the library's options
    CHECK(make_backoff_policy(info.name, {})->max_retries() == 0);
    CHECK(make_backoff_policy(info.name, {{"max_retries", 5.0}})->max_retries() == 5);
    CHECK(make_backoff_policy(info.name, {{"max_retries", 1e6}})->max_retries() == 1'000'000);
    REQUIRE_THROWS_AS(make_backoff_policy(info.name, {{"max_retries", 2.5}}), ParamError);
    REQUIRE_THROWS_AS(make_backoff_policy(info.name, {{"max_retries", -1.0}}), ParamError);
    REQUIRE_THROWS_AS(make_backoff_policy(info.name, {{"max_retries", 2e6}}), ParamError);
  }
}

TEST_CASE("backoff parameters are checked when the policy is built", "[backoff]") {
  REQUIRE_THROWS_WITH(make_backoff_policy("decorrelated_jitter", {{"base_s", 2.0}, {"cap_s", 1.0}}),
                      "decorrelated_jitter.cap_s must be >= base_s (got cap_s 1, base_s 2)");
  REQUIRE_THROWS_WITH(make_backoff_policy("exponential", {{"base_s", 0.0}}),
                      "exponential.base_s must be between 1e-09 and 86400 (got 0)");
  REQUIRE_THROWS_AS(make_backoff_policy("constant", {{"delay_s", -1.0}}), ParamError);
  CHECK(make_backoff_policy("exponential", {{"base_s", 5.0}, {"cap_s", 5.0}}) != nullptr);  // cap == base is fine
}

TEST_CASE("the same seed gives the same delays", "[backoff]") {
  for (const auto& info : wsfleet::models::backoff_policies()) {
    auto policy = make_backoff_policy(info.name, {});
    Rng a(77), b(77), other(78);
    BackoffState sa, sb, so;
    bool differs_with_other_seed = false;
    for (int i = 0; i < 30; ++i) {
      const SimTime da = policy->next_delay(sa, a);
      REQUIRE(da == policy->next_delay(sb, b));
      differs_with_other_seed = differs_with_other_seed || da != policy->next_delay(so, other);
    }
    const bool jittered = info.name.find("jitter") != std::string::npos || kRandomPresets.count(info.name) != 0 ||
                          info.name == "retry_budget" || info.name == "circuit_breaker";  // full jitter, budgeted or broken
    CHECK(differs_with_other_seed == jittered);  // only the jittered policies use the rng
  }
}

TEST_CASE("an unknown backoff policy name lists the known ones", "[backoff]") {
  try {
    make_backoff_policy("expnential", {});
    FAIL("no error for an unknown backoff policy");
  } catch (const ParamError& e) {
    CHECK(e.param().empty());
    CHECK(std::string(e.what()) ==
          "unknown backoff policy 'expnential'; did you mean 'exponential'? "
          "Known: none, immediate, constant, exponential, full_jitter, equal_jitter, decorrelated_jitter, "
          "retry_budget, circuit_breaker, socketio, signalr, ably, phoenix, reconnecting_websocket, centrifuge, pusher, grpc, aws_standard");
  }
  try {
    make_backoff_policy("fibonacci", {});
    FAIL("no error for an unknown backoff policy");
  } catch (const ParamError& e) {
    CHECK(e.param().empty());
    CHECK(std::string(e.what()) ==
          "unknown backoff policy 'fibonacci'. "
          "Known: none, immediate, constant, exponential, full_jitter, equal_jitter, decorrelated_jitter, "
          "retry_budget, circuit_breaker, socketio, signalr, ably, phoenix, reconnecting_websocket, centrifuge, pusher, grpc, aws_standard");
  }
}
