#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/distribution.hpp"
#include "sim/histogram.hpp"
#include "sim/random.hpp"
#include "tests/cpp/catch.hpp"

using wsfleet::sim::Distribution;
using wsfleet::sim::LogHistogram;
using wsfleet::sim::Rng;

namespace {

// The sorted sample of 0-based rank floor(q (n - 1)): what LogHistogram::quantile estimates.
double exact_quantile(const std::vector<double>& sorted, double q) {
  const auto rank = static_cast<std::size_t>(std::floor(q * static_cast<double>(sorted.size() - 1)));
  return sorted[rank];
}

std::vector<double> draw(const Distribution& d, std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<double> v(n);
  for (double& x : v) x = d.sample(rng);
  return v;
}

// Checks every quantile on a fine grid (and the usual tail ones) against the exact sample quantile.
void check_quantiles(const LogHistogram& h, std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const double a = h.relative_accuracy();
  std::vector<double> qs = {0.5, 0.9, 0.99, 0.999, 0.9999};
  for (int i = 0; i <= 1000; ++i) qs.push_back(i / 1000.0);
  double worst = 0.0;
  for (double q : qs) {
    const double exact = exact_quantile(values, q);
    const double estimate = h.quantile(q);
    INFO("q = " << q << ", exact " << exact << ", estimate " << estimate);
    REQUIRE(std::fabs(estimate - exact) <= a * exact);
    if (exact > 0) worst = std::max(worst, std::fabs(estimate - exact) / exact);
  }
  // The estimates are genuinely approximate (buckets, not stored samples) yet use the error budget.
  CHECK(worst > a / 10);
}

}  // namespace

TEST_CASE("histogram quantiles are within the relative accuracy", "[histogram]") {
  struct Case {
    std::string name;
    Distribution dist;
  };
  const std::vector<Case> cases = {
      {"exponential(mean 50 ms)", Distribution::exponential(0.050)},
      {"lognormal(mean 0.1 s, sd 0.3 s)", Distribution::lognormal(0.1, 0.3)},
      {"uniform[1 ms, 2 s)", Distribution::uniform(0.001, 2.0)},
      {"pareto(1 ms, 1.2): heavy tail", Distribution::pareto(0.001, 1.2)},
  };
  for (const double accuracy : {0.01, 0.001, 0.05}) {
    for (const Case& c : cases) {
      INFO(c.name << ", accuracy " << accuracy);
      const std::vector<double> values = draw(c.dist, 200'000, 11);
      LogHistogram h(accuracy);
      for (double v : values) h.record(v);
      REQUIRE(h.count() == values.size());
      check_quantiles(h, values);
    }
  }
}

TEST_CASE("histogram min, max and mean are exact", "[histogram]") {
  const std::vector<double> values = draw(Distribution::lognormal(0.02, 0.05), 50'000, 5);
  LogHistogram h;
  double sum = 0.0;
  for (double v : values) {
    h.record(v);
    sum += v;
  }
  CHECK(h.count() == values.size());
  CHECK(h.min() == *std::min_element(values.begin(), values.end()));
  CHECK(h.max() == *std::max_element(values.begin(), values.end()));
  CHECK(h.sum() == sum);  // same order of additions
  CHECK(h.mean() == sum / static_cast<double>(values.size()));
  CHECK(h.quantile(0.0) == h.min());
  CHECK(h.quantile(1.0) == h.max());
}

TEST_CASE("histogram memory follows the dynamic range, not the sample count", "[histogram]") {
  LogHistogram h(0.01);
  Rng rng(1);
  // 1 us .. 1000 s: 30 factors of two at ~0.5 / 0.01 = 50 buckets each.
  for (int i = 0; i < 1'000'000; ++i) h.record(std::pow(10.0, rng.uniform(-6.0, 3.0)));
  const std::size_t buckets = h.bucket_count();
  CHECK(buckets > 1000);
  CHECK(buckets < 2500);
  for (int i = 0; i < 1'000'000; ++i) h.record(std::pow(10.0, rng.uniform(-6.0, 3.0)));
  CHECK(h.bucket_count() == buckets);
  CHECK(h.count() == 2'000'000);
  // Narrow range: a few buckets only.
  LogHistogram narrow(0.01);
  for (int i = 0; i < 100'000; ++i) narrow.record(rng.uniform(1.0, 2.0));
  CHECK(narrow.bucket_count() < 150);
}

TEST_CASE("histogram merge equals recording everything in one", "[histogram]") {
  const std::vector<double> fast = draw(Distribution::exponential(0.002), 30'000, 21);
  const std::vector<double> slow = draw(Distribution::lognormal(5.0, 2.0), 20'000, 22);
  LogHistogram a, b, all;
  for (double v : fast) {
    a.record(v);
    all.record(v);
  }
  for (double v : slow) {
    b.record(v);
    all.record(v);
  }
  all.record(0.0);
  b.record(0.0);
  a.merge(b);
  CHECK(a.count() == all.count());
  CHECK(a.zero_count() == 1);
  CHECK(a.min() == all.min());
  CHECK(a.max() == all.max());
  CHECK_THAT(a.sum(), Catch::Matchers::WithinRel(all.sum(), 1e-12));
  for (int i = 0; i <= 1000; ++i) {
    const double q = i / 1000.0;
    REQUIRE(a.quantile(q) == all.quantile(q));
  }
  std::vector<double> everything = fast;
  everything.insert(everything.end(), slow.begin(), slow.end());
  everything.push_back(0.0);
  check_quantiles(a, everything);

  SECTION("merging into an empty histogram copies") {
    LogHistogram empty;
    empty.merge(all);
    CHECK(empty.count() == all.count());
    CHECK(empty.quantile(0.37) == all.quantile(0.37));
    CHECK(empty.min() == all.min());
  }
  SECTION("merging an empty histogram changes nothing") {
    const double p99 = all.quantile(0.99);
    all.merge(LogHistogram{});
    CHECK(all.count() == fast.size() + slow.size() + 1);
    CHECK(all.quantile(0.99) == p99);
  }
  SECTION("merging into itself doubles every count") {
    LogHistogram twice = b;
    twice.merge(twice);
    CHECK(twice.count() == 2 * b.count());
    CHECK(twice.quantile(0.5) == b.quantile(0.5));
    CHECK(twice.sum() == 2 * b.sum());
  }
  SECTION("different accuracies cannot be merged") {
    LogHistogram coarse(0.05);
    coarse.record(1.0);
    CHECK_THROWS_AS(a.merge(coarse), std::invalid_argument);
    CHECK(a.count() == all.count());
  }
}

TEST_CASE("empty histogram", "[histogram]") {
  LogHistogram h;
  CHECK(h.count() == 0);
  CHECK(h.sum() == 0.0);
  CHECK(std::isnan(h.mean()));
  CHECK(std::isnan(h.min()));
  CHECK(std::isnan(h.max()));
  CHECK(std::isnan(h.quantile(0.5)));
  CHECK(std::isnan(h.quantile(0.0)));
  CHECK(std::isnan(h.quantile(1.0)));
  CHECK_THROWS_AS(h.quantile(1.5), std::invalid_argument);
  CHECK(h.relative_accuracy() == 0.01);
}

TEST_CASE("histogram rejects bad input", "[histogram]") {
  LogHistogram h;
  h.record(1.0);
  CHECK_THROWS_AS(h.record(-1.0), std::invalid_argument);
  CHECK_THROWS_AS(h.record(-1e-300), std::invalid_argument);
  CHECK_THROWS_AS(h.record(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  CHECK_THROWS_AS(h.record(std::numeric_limits<double>::infinity()), std::invalid_argument);
  CHECK_THROWS_AS(h.record(-std::numeric_limits<double>::infinity()), std::invalid_argument);
  // Nothing was recorded by the failed calls.
  CHECK(h.count() == 1);
  CHECK(h.sum() == 1.0);
  CHECK(h.min() == 1.0);
  CHECK_THROWS_AS(h.quantile(-0.01), std::invalid_argument);
  CHECK_THROWS_AS(h.quantile(1.01), std::invalid_argument);
  CHECK_THROWS_AS(h.quantile(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  CHECK_THROWS_AS(LogHistogram(0.0), std::invalid_argument);
  CHECK_THROWS_AS(LogHistogram(-0.01), std::invalid_argument);
  CHECK_THROWS_AS(LogHistogram(0.6), std::invalid_argument);
  CHECK_THROWS_AS(LogHistogram(1e-9), std::invalid_argument);
  CHECK_THROWS_AS(LogHistogram(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
}

TEST_CASE("histogram zero and tiny values", "[histogram]") {
  LogHistogram h;
  for (int i = 0; i < 6; ++i) h.record(0.0);
  h.record(1e-320);  // subnormal: zero bucket
  h.record(1.0);
  h.record(2.0);
  h.record(3.0);
  CHECK(h.count() == 10);
  CHECK(h.zero_count() == 7);
  CHECK(h.min() == 0.0);
  // Sorted: six zeros (ranks 0-5), 1e-320 (6), 1 (7), 2 (8), 3 (9); rank = floor(q * 9).
  CHECK(h.quantile(0.5) == 0.0);   // rank 4
  CHECK(h.quantile(0.66) == 0.0);  // rank 5
  CHECK(h.quantile(0.7) == 0.0);   // rank 6: the subnormal, estimated as 0 (absolute error 1e-320)
  CHECK_THAT(h.quantile(0.8), Catch::Matchers::WithinRel(1.0, 0.01));  // rank 7
  CHECK_THAT(h.quantile(0.9), Catch::Matchers::WithinRel(2.0, 0.01));  // rank 8
  CHECK(h.quantile(1.0) == 3.0);
}

TEST_CASE("histogram handles the whole double range", "[histogram]") {
  const double big = std::numeric_limits<double>::max();
  const double tiny = LogHistogram::kMinIndexable;
  LogHistogram h;
  const std::vector<double> values = {tiny, tiny * 3.7, 1e-300, 3e-300, 1.0, 1e300, big / 3, big / 1.5, big};
  for (double v : values) h.record(v);
  for (std::size_t rank = 0; rank < values.size(); ++rank) {
    const double q = static_cast<double>(rank) / static_cast<double>(values.size() - 1);
    const double estimate = h.quantile(q);
    INFO("rank " << rank << " value " << values[rank] << " estimate " << estimate);
    REQUIRE(std::isfinite(estimate));
    REQUIRE(std::fabs(estimate - values[rank]) <= 0.01 * values[rank]);
  }
  // Ranges that grow downwards and upwards are merged correctly too.
  LogHistogram low, high;
  low.record(1e-200);
  high.record(1e200);
  high.merge(low);
  CHECK(high.quantile(0.0) == 1e-200);
  CHECK(high.quantile(1.0) == 1e200);
}

TEST_CASE("histogram reset forgets everything", "[histogram]") {
  LogHistogram h(0.02);
  for (int i = 1; i <= 1000; ++i) h.record(i * 0.001);
  h.record(0.0);
  h.reset();
  CHECK(h.count() == 0);
  CHECK(h.zero_count() == 0);
  CHECK(h.sum() == 0.0);
  CHECK(std::isnan(h.min()));
  CHECK(std::isnan(h.quantile(0.5)));
  CHECK(h.relative_accuracy() == 0.02);
  h.record(7.0);
  h.record(9.0);
  h.record(8.0);
  CHECK(h.min() == 7.0);
  CHECK(h.max() == 9.0);
  CHECK(h.mean() == 8.0);
  CHECK_THAT(h.quantile(0.5), Catch::Matchers::WithinRel(8.0, 0.02));
}

TEST_CASE("histogram cumulative counts at a bound agree with the sample within the accuracy", "[histogram]") {
  // count_at_most(x) is a Prometheus bucket count with le = x: the values <= x, except that a value
  // within the relative accuracy of x may fall on either side.
  const Distribution d = Distribution::lognormal(50.0, 80.0);
  std::vector<double> values = draw(d, 20000, 17);
  values.push_back(0.0);  // the zero bucket counts below every bound >= 0
  LogHistogram h(0.01);
  for (double v : values) h.record(v);
  std::sort(values.begin(), values.end());
  const double a = h.relative_accuracy();
  for (double x : {0.0, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0}) {
    const auto n = h.count_at_most(x);
    const auto surely_below = static_cast<std::uint64_t>(std::upper_bound(values.begin(), values.end(), x * (1 - a)) - values.begin());
    const auto at_most_above = static_cast<std::uint64_t>(std::upper_bound(values.begin(), values.end(), x * (1 + a)) - values.begin());
    INFO("x = " << x << ": " << n << " in [" << surely_below << ", " << at_most_above << "]");
    CHECK(n >= surely_below);
    CHECK(n <= at_most_above);
  }
  // Exact outside the sample's range, and consistent with quantile(): q's estimate is <= x exactly
  // when q's rank is among the values counted at x.
  CHECK(h.count_at_most(-1.0) == 0);
  CHECK(h.count_at_most(std::nan("")) == 0);
  CHECK(h.count_at_most(values.back()) == h.count());
  CHECK(h.count_at_most(1e300) == h.count());
  for (double q : {0.1, 0.5, 0.9, 0.99, 0.999}) {
    const double estimate = h.quantile(q);
    const auto rank = static_cast<std::uint64_t>(std::floor(q * static_cast<double>(h.count() - 1)));
    CHECK(h.count_at_most(estimate) > rank);
    CHECK(h.count_at_most(std::nextafter(estimate, 0.0)) <= rank);
  }
  LogHistogram empty(0.01);
  CHECK(empty.count_at_most(1.0) == 0);
}
