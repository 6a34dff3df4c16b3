// Random streams and distributions: exact draws are pinned (a change to the generator, the seeding
// or the stream derivation must be deliberate), and the samplers are checked statistically with
// tolerances derived from their theoretical moments.
#include <utility>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/distribution.hpp"
#include "sim/random.hpp"
#include "tests/cpp/catch.hpp"

using wsfleet::sim::Distribution;
using wsfleet::sim::Rng;
using wsfleet::sim::splitmix64;
using wsfleet::sim::stream_name_hash;
using wsfleet::sim::StreamFactory;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Draws that go through libm (log, exp, pow) are compared to 1e-14 relative rather than bit for
// bit: glibc picks FMA or non-FMA code paths by CPU and may differ in the last bit. Any change to
// the generator or the seeding changes the values completely, which this still catches.
constexpr double kLibmRel = 1e-14;

// Upper critical value of the chi-square distribution with k degrees of freedom at p = 0.001
// (Wilson-Hilferty approximation, accurate to ~1 % for k >= 1).
double chi_square_critical_p001(double k) {
  const double z = 3.090232;  // standard normal 0.999 quantile
  const double h = 2.0 / (9.0 * k);
  return k * std::pow(1.0 - h + z * std::sqrt(h), 3.0);
}

// Raw moments E[X], E[X^2], E[X^3], E[X^4] of a distribution.
using RawMoments = std::array<double, 4>;

// Checks the sample mean and variance of n draws against theory. Tolerances: 5 standard errors,
// SE(mean) = sigma / sqrt(n), SE(variance) = sqrt((mu4 - sigma^4) / n) with mu4 the fourth central
// moment. A false failure has probability ~1e-6 per check (and the seed is fixed anyway).
void check_mean_variance(const std::function<double()>& sample, const RawMoments& m, int n) {
  const double mean = m[0];
  const double var = m[1] - mean * mean;
  const double mu4 = m[3] - 4 * m[2] * mean + 6 * m[1] * mean * mean - 3 * std::pow(mean, 4);
  double sum = 0;
  double sum_sq = 0;
  for (int i = 0; i < n; ++i) {
    const double x = sample();
    sum += x;
    sum_sq += x * x;
  }
  const double dn = static_cast<double>(n);
  const double sample_mean = sum / dn;
  const double sample_var = (sum_sq - dn * sample_mean * sample_mean) / (dn - 1);
  INFO("mean " << sample_mean << " vs " << mean << ", variance " << sample_var << " vs " << var);
  CHECK(std::fabs(sample_mean - mean) <= 5 * std::sqrt(var / dn));
  CHECK(std::fabs(sample_var - var) <= 5 * std::sqrt((mu4 - var * var) / dn));
}

// Kolmogorov-Smirnov test of n draws against a continuous CDF at the 0.001 level
// (critical D = 1.949 / sqrt(n) for large n).
void check_ks(const std::function<double()>& sample, const std::function<double(double)>& cdf, int n) {
  std::vector<double> xs(static_cast<std::size_t>(n));
  for (double& x : xs) x = sample();
  std::sort(xs.begin(), xs.end());
  double d = 0;
  const double dn = static_cast<double>(n);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double f = cdf(xs[i]);
    d = std::max({d, static_cast<double>(i + 1) / dn - f, f - static_cast<double>(i) / dn});
  }
  INFO("KS D = " << d);
  CHECK(d < 1.949 / std::sqrt(dn));
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Pinned values

TEST_CASE("splitmix64 and FNV-1a match their published test vectors", "[random][pinned]") {
  std::uint64_t state = 0;
  CHECK(splitmix64(state) == 0xe220a8397b1dcdafULL);
  CHECK(splitmix64(state) == 0x6e789e6aa1b965f4ULL);
  CHECK(splitmix64(state) == 0x06c45d188009454fULL);
  CHECK(stream_name_hash("") == 0xcbf29ce484222325ULL);
  CHECK(stream_name_hash("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(stream_name_hash("foobar") == 0x85944171f73967e8ULL);
}

TEST_CASE("pinned raw draws of xoshiro256** for given seeds", "[random][pinned]") {
  const std::vector<std::pair<std::uint64_t, std::array<std::uint64_t, 4>>> expected = {
      {0, {0x99ec5f36cb75f2b4ULL, 0xbf6e1f784956452aULL, 0x1a5f849d4933e6e0ULL, 0x6aa594f1262d2d2cULL}},
      {42, {0x15780b2e0c2ec716ULL, 0x6104d9866d113a7eULL, 0xae17533239e499a1ULL, 0xecb8ad4703b360a1ULL}},
      {0xdeadbeef, {0xc5555444a74d7e83ULL, 0x65c30d37b4b16e38ULL, 0x54f773200a4efa23ULL, 0x429aed75fb958af7ULL}},
  };
  for (const auto& [seed, values] : expected) {
    Rng rng(seed);
    for (std::uint64_t v : values) CHECK(rng.next_u64() == v);
  }
}

TEST_CASE("pinned uniform draws", "[random][pinned]") {
  // uniform01 is exact (53 bits / 2^53): compared bit for bit.
  Rng a(42);
  CHECK(a.uniform01() == 0.083862971059882163);
  CHECK(a.uniform01() == 0.37898025066266861);
  CHECK(a.uniform01() == 0.68004341102813937);
  CHECK(a.uniform01() == 0.92469294532538759);
  // The same raw draws, shifted by 2^-53 so that 0 cannot occur.
  Rng b(42);
  CHECK(b.uniform_open0() == 0.083862971059882274);
  CHECK(b.uniform_open0() == 0.37898025066266872);
  CHECK(b.uniform_open0() == 0.68004341102813948);
  Rng c(42);
  CHECK(c.uniform(2, 5) == 2.2515889131796465);
  CHECK(c.uniform(2, 5) == 3.1369407519880057);
  CHECK(c.uniform(2, 5) == 4.040130233084418);
}

TEST_CASE("pinned below(n) draws", "[random][pinned]") {
  Rng a(7);
  const std::vector<std::uint64_t> ten = {7, 2, 8, 9, 9, 8, 0, 1, 4, 1};
  for (std::uint64_t v : ten) CHECK(a.below(10) == v);
  Rng b(7);
  for (std::uint64_t v : {700ULL, 278ULL, 839ULL, 981ULL, 990ULL}) CHECK(b.below(1000) == v);
  // n = 2^63 + 1 rejects about half the raw draws: pins the rejection loop as well.
  Rng c(7);
  for (std::uint64_t v : {6461677535414237997ULL, 7744196453246319819ULL, 9049029322324588832ULL,
                          9139072988219048332ULL, 1400256439129669809ULL}) {
    CHECK(c.below((std::uint64_t{1} << 63) + 1) == v);
  }
}

TEST_CASE("pinned exponential and normal draws", "[random][pinned]") {
  using Catch::Matchers::WithinRel;
  Rng a(9);
  CHECK_THAT(a.exponential(2.5), WithinRel(14.896583891172545, kLibmRel));
  CHECK_THAT(a.exponential(2.5), WithinRel(3.4508863678274544, kLibmRel));
  CHECK_THAT(a.exponential(2.5), WithinRel(5.0536439473932013, kLibmRel));
  CHECK_THAT(a.exponential(2.5), WithinRel(0.77756636545747326, kLibmRel));
  // Marsaglia polar: values come in pairs (the second is the cached spare).
  Rng b(9);
  CHECK_THAT(b.standard_normal(), WithinRel(-0.63056392231779379, kLibmRel));
  CHECK_THAT(b.standard_normal(), WithinRel(0.39922078645911546, kLibmRel));
  CHECK_THAT(b.standard_normal(), WithinRel(0.28669230468581175, kLibmRel));
  CHECK_THAT(b.standard_normal(), WithinRel(0.16660150399524096, kLibmRel));
  CHECK_THAT(b.standard_normal(), WithinRel(2.0050789199736978, kLibmRel));
}

TEST_CASE("pinned distribution samples", "[random][pinned]") {
  using Catch::Matchers::WithinRel;
  Rng a(5);
  const Distribution lognormal = Distribution::lognormal(2.0, 1.0);
  CHECK_THAT(lognormal.sample(a), WithinRel(0.85389449498009495, kLibmRel));
  CHECK_THAT(lognormal.sample(a), WithinRel(2.5557940152420335, kLibmRel));
  CHECK_THAT(lognormal.sample(a), WithinRel(2.259390347328059, kLibmRel));
  Rng b(5);
  const Distribution pareto = Distribution::pareto(1.0, 2.5);
  CHECK_THAT(pareto.sample(b), WithinRel(1.644353300752982, kLibmRel));
  CHECK_THAT(pareto.sample(b), WithinRel(1.2250043938541426, kLibmRel));
  CHECK_THAT(pareto.sample(b), WithinRel(1.1883813828822223, kLibmRel));
}

TEST_CASE("pinned StreamFactory streams for (seed, replication, name, index)", "[random][pinned]") {
  struct Pin {
    std::uint64_t seed, replication;
    const char* name;
    std::uint64_t index;
    std::array<std::uint64_t, 3> draws;
  };
  const std::vector<Pin> pins = {
      {1, 0, "clients.arrivals", 0, {0x304f3995a90060e2ULL, 0x88f12200745f3c31ULL, 0xc5f192dec39091bcULL}},
      {1, 1, "clients.arrivals", 0, {0x5baff3cb353b4726ULL, 0x159746f92c8a83ccULL, 0xcd6aa82508ac11c9ULL}},
      {1, 0, "server", 3, {0x7ca1a07ca90c8cc3ULL, 0x86294056021a806cULL, 0xb88b0f9c7ea9c2f7ULL}},
      {20240601, 7, "balancer", 0, {0x86054d7df507aa9aULL, 0x6503af44448d09bbULL, 0xec24385bdb2cc63fULL}},
  };
  for (const Pin& p : pins) {
    INFO(p.seed << "/" << p.replication << "/" << p.name << "/" << p.index);
    const StreamFactory factory(p.seed, p.replication);
    CHECK(factory.seed() == p.seed);
    CHECK(factory.replication() == p.replication);
    Rng rng = factory.stream(p.name, p.index);
    for (std::uint64_t v : p.draws) CHECK(rng.next_u64() == v);
  }
  // The unindexed stream is index 0.
  Rng named = StreamFactory(1, 0).stream("clients.arrivals");
  CHECK(named.next_u64() == 0x304f3995a90060e2ULL);
}

// ---------------------------------------------------------------------------------------------
// Stream independence

TEST_CASE("streams are reproducible and copies continue the same sequence", "[random]") {
  Rng a(42), b(42);
  for (int i = 0; i < 1000; ++i) REQUIRE(a.next_u64() == b.next_u64());
  a.standard_normal();  // leaves a cached spare normal
  Rng copy = a;
  for (int i = 0; i < 100; ++i) REQUIRE(copy.standard_normal() == a.standard_normal());
  const StreamFactory f(3, 4);
  Rng s1 = f.stream("x", 9), s2 = f.stream("x", 9);
  for (int i = 0; i < 100; ++i) REQUIRE(s1.next_u64() == s2.next_u64());
}

TEST_CASE("streams with different seeds, replications, names or indices differ", "[random]") {
  // First two outputs of many neighbouring streams: all distinct (a collision of 128 random bits
  // would be a bug, not bad luck).
  std::set<std::pair<std::uint64_t, std::uint64_t>> seen;
  std::size_t streams = 0;
  for (std::uint64_t seed : {0ULL, 1ULL, 2ULL}) {
    for (std::uint64_t rep : {0ULL, 1ULL, 2ULL, 3ULL}) {
      const StreamFactory f(seed, rep);
      for (const char* name : {"", "a", "b", "server", "servers", "clients.arrivals", "clients.departures"}) {
        for (std::uint64_t index : {0ULL, 1ULL, 2ULL, 256ULL, 1000ULL, 1ULL << 32, 1ULL << 63}) {
          Rng r = f.stream(name, index);
          const std::uint64_t first = r.next_u64();
          seen.insert({first, r.next_u64()});
          ++streams;
        }
      }
    }
  }
  CHECK(seen.size() == streams);
  // Plain seeds too.
  std::set<std::uint64_t> firsts;
  for (std::uint64_t seed = 0; seed < 1000; ++seed) firsts.insert(Rng(seed).next_u64());
  CHECK(firsts.size() == 1000);
}

TEST_CASE("neighbouring streams are uncorrelated", "[random]") {
  // Pearson correlation of uniform draws from streams that differ in one coordinate only:
  // |r| < 5 / sqrt(n) (r has standard error 1/sqrt(n) under independence).
  const int n = 100'000;
  const StreamFactory f(1, 0), g(1, 1);
  const std::vector<std::pair<Rng, Rng>> pairs = {
      {f.stream("server", 0), f.stream("server", 1)},
      {f.stream("server", 0), g.stream("server", 0)},
      {f.stream("a"), f.stream("b")},
      {Rng(0), Rng(1)},
  };
  for (auto [x, y] : pairs) {
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (int i = 0; i < n; ++i) {
      const double u = x.uniform01(), v = y.uniform01();
      sx += u;
      sy += v;
      sxx += u * u;
      syy += v * v;
      sxy += u * v;
    }
    const double dn = n;
    const double r = (sxy - sx * sy / dn) / std::sqrt((sxx - sx * sx / dn) * (syy - sy * sy / dn));
    CHECK(std::fabs(r) < 5.0 / std::sqrt(dn));
  }
}

TEST_CASE("successive draws are uncorrelated (lag 1)", "[random]") {
  // Lag-1 autocorrelation |r| < 5 / sqrt(n), for raw uniforms and for normals (whose values come
  // in pairs from one polar-method step).
  const int n = 200'000;
  Rng rng(61);
  for (const bool normal : {false, true}) {
    std::vector<double> xs(static_cast<std::size_t>(n));
    for (double& x : xs) x = normal ? rng.standard_normal() : rng.uniform01();
    double mean = 0;
    for (double x : xs) mean += x;
    mean /= n;
    double num = 0, den = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      den += (xs[i] - mean) * (xs[i] - mean);
      if (i > 0) num += (xs[i] - mean) * (xs[i - 1] - mean);
    }
    INFO((normal ? "normal" : "uniform") << " lag-1 r = " << num / den);
    CHECK(std::fabs(num / den) < 5.0 / std::sqrt(static_cast<double>(n)));
  }
}

// ---------------------------------------------------------------------------------------------
// below(n)

TEST_CASE("below(n) stays below n", "[random]") {
  Rng rng(11);
  const std::vector<std::uint64_t> ns = {1,
                                         2,
                                         3,
                                         7,
                                         10,
                                         1000,
                                         (std::uint64_t{1} << 32) + 1,
                                         (std::uint64_t{1} << 63) + 1,
                                         std::numeric_limits<std::uint64_t>::max()};
  for (std::uint64_t n : ns) {
    std::uint64_t largest = 0;
    for (int i = 0; i < 20'000; ++i) {
      const std::uint64_t v = rng.below(n);
      REQUIRE(v < n);
      largest = std::max(largest, v);
    }
    if (n > 1 && n <= 1000) CHECK(largest == n - 1);  // the top value does occur
  }
  CHECK(Rng(1).below(1) == 0);
  CHECK_THROWS_AS(rng.below(0), std::invalid_argument);
}

TEST_CASE("below(n) is unbiased (chi-square)", "[random]") {
  Rng rng(12);
  for (std::uint64_t n : {2ULL, 3ULL, 5ULL, 6ULL, 7ULL, 10ULL, 17ULL, 100ULL}) {
    const int draws = 200'000;
    std::vector<double> counts(n, 0.0);
    for (int i = 0; i < draws; ++i) counts[rng.below(n)] += 1;
    const double expected = draws / static_cast<double>(n);
    double chi2 = 0;
    for (double c : counts) chi2 += (c - expected) * (c - expected) / expected;
    INFO("n = " << n << ", chi2 = " << chi2);
    CHECK(chi2 < chi_square_critical_p001(static_cast<double>(n - 1)));
  }
}

TEST_CASE("below(n) has no modulo bias for large n", "[random]") {
  // n = 3 * 2^62: a naive next_u64() % n would put half the draws in [0, 2^62) (that range is hit
  // twice) instead of a third. Count the three equal thirds of [0, n).
  const std::uint64_t third = std::uint64_t{1} << 62;
  const std::uint64_t n = 3 * third;
  Rng rng(13);
  const int draws = 300'000;
  std::array<double, 3> counts{};
  for (int i = 0; i < draws; ++i) counts[rng.below(n) / third] += 1;
  const double expected = draws / 3.0;
  double chi2 = 0;
  for (double c : counts) chi2 += (c - expected) * (c - expected) / expected;
  INFO("thirds: " << counts[0] << " " << counts[1] << " " << counts[2]);
  CHECK(chi2 < chi_square_critical_p001(2));
}

// ---------------------------------------------------------------------------------------------
// Moments and shapes

TEST_CASE("sample means and variances match theory", "[random]") {
  const int n = 400'000;
  Rng rng(21);
  SECTION("exponential(mean 2)") {
    const Distribution d = Distribution::exponential(2.0);
    check_mean_variance([&] { return d.sample(rng); }, {2.0, 2 * 4.0, 6 * 8.0, 24 * 16.0}, n);
  }
  SECTION("uniform[1, 3)") {
    const Distribution d = Distribution::uniform(1.0, 3.0);
    RawMoments m{};
    for (int k = 1; k <= 4; ++k) m[k - 1] = (std::pow(3.0, k + 1) - 1.0) / ((k + 1) * 2.0);
    check_mean_variance([&] { return d.sample(rng); }, m, n);
  }
  SECTION("standard normal") {
    check_mean_variance([&] { return rng.standard_normal(); }, {0.0, 1.0, 0.0, 3.0}, n);
  }
  SECTION("lognormal(mean 1.5, sd 0.8)") {
    const Distribution d = Distribution::lognormal(1.5, 0.8);
    const double s2 = std::log1p(0.8 * 0.8 / (1.5 * 1.5));
    const double mu = std::log(1.5) - s2 / 2;
    RawMoments m{};
    for (int k = 1; k <= 4; ++k) m[k - 1] = std::exp(k * mu + k * k * s2 / 2);
    check_mean_variance([&] { return d.sample(rng); }, m, n);
  }
  SECTION("pareto(scale 2, shape 6)") {
    // Shape 6 > 4: the fourth moment, hence the variance's standard error, is finite.
    const Distribution d = Distribution::pareto(2.0, 6.0);
    RawMoments m{};
    for (int k = 1; k <= 4; ++k) m[k - 1] = 6.0 * std::pow(2.0, k) / (6.0 - k);
    check_mean_variance([&] { return d.sample(rng); }, m, n);
  }
}

TEST_CASE("samplers follow their distributions (Kolmogorov-Smirnov)", "[random]") {
  const int n = 100'000;
  Rng rng(31);
  SECTION("exponential") {
    const Distribution d = Distribution::exponential(0.5);
    check_ks([&] { return d.sample(rng); }, [](double x) { return 1 - std::exp(-x / 0.5); }, n);
  }
  SECTION("uniform") {
    const Distribution d = Distribution::uniform(2.0, 7.0);
    check_ks([&] { return d.sample(rng); }, [](double x) { return std::clamp((x - 2.0) / 5.0, 0.0, 1.0); }, n);
  }
  SECTION("standard normal") {
    check_ks([&] { return rng.standard_normal(); }, normal_cdf, n);
  }
  SECTION("lognormal") {
    const Distribution d = Distribution::lognormal(1.0, 2.0);
    const double s = std::sqrt(std::log1p(4.0));
    const double mu = -s * s / 2;
    check_ks([&] { return d.sample(rng); }, [=](double x) { return normal_cdf((std::log(x) - mu) / s); }, n);
  }
  SECTION("pareto") {
    const Distribution d = Distribution::pareto(3.0, 1.5);
    check_ks([&] { return d.sample(rng); }, [](double x) { return x < 3.0 ? 0.0 : 1 - std::pow(3.0 / x, 1.5); }, n);
  }
}

TEST_CASE("uniform01 and uniform_open0 ranges", "[random]") {
  Rng rng(41);
  for (int i = 0; i < 100'000; ++i) {
    const double u = rng.uniform01();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    const double v = rng.uniform_open0();
    REQUIRE(v > 0.0);
    REQUIRE(v <= 1.0);
    const double w = rng.uniform(-3.0, -1.0);
    REQUIRE(w >= -3.0);
    REQUIRE(w < -1.0);
  }
}

// ---------------------------------------------------------------------------------------------
// Distribution parameters and means

TEST_CASE("Distribution constructors reject bad parameters", "[random][distribution]") {
  CHECK_THROWS_AS(Distribution::constant(-1.0), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::constant(kNaN), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::constant(kInf), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::exponential(0.0), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::exponential(-2.0), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::exponential(kNaN), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::exponential(kInf), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::uniform(-1.0, 2.0), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::uniform(3.0, 2.0), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::uniform(0.0, kInf), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::uniform(kNaN, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::lognormal(0.0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::lognormal(-1.0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::lognormal(1.0, -0.5), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::lognormal(1.0, kNaN), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::lognormal(kInf, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::pareto(0.0, 2.0), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::pareto(1.0, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::pareto(-1.0, 2.0), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::pareto(1.0, kInf), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::pareto(kNaN, 2.0), std::invalid_argument);
  // Boundary values that are valid.
  CHECK_NOTHROW(Distribution::constant(0.0));
  CHECK_NOTHROW(Distribution::uniform(0.0, 0.0));
  CHECK_NOTHROW(Distribution::uniform(2.0, 2.0));
  CHECK_NOTHROW(Distribution::lognormal(1.0, 0.0));
}

TEST_CASE("Distribution mean() matches theory", "[random][distribution]") {
  using Catch::Matchers::WithinRel;
  CHECK(Distribution::constant(3.0).mean() == 3.0);
  CHECK(Distribution::exponential(2.0).mean() == 2.0);
  CHECK(Distribution::uniform(1.0, 3.0).mean() == 2.0);
  CHECK_THAT(Distribution::lognormal(1.5, 0.8).mean(), WithinRel(1.5, 1e-12));
  CHECK_THAT(Distribution::lognormal(0.02, 0.5).mean(), WithinRel(0.02, 1e-12));
  CHECK(Distribution::pareto(2.0, 3.0).mean() == 3.0);  // alpha x_m / (alpha - 1)
  CHECK_THAT(Distribution::pareto(1.0, 1.5).mean(), WithinRel(3.0, 1e-15));
  CHECK(Distribution::pareto(2.0, 1.0).mean() == kInf);
  CHECK(Distribution::pareto(2.0, 0.5).mean() == kInf);
  CHECK(Distribution::never().mean() == kInf);
}

TEST_CASE("degenerate distributions", "[random][distribution]") {
  Rng rng(51);
  const Distribution c = Distribution::constant(4.5);
  const Distribution u = Distribution::uniform(2.0, 2.0);
  const Distribution l = Distribution::lognormal(0.7, 0.0);
  const Distribution never = Distribution::never();
  for (int i = 0; i < 100; ++i) {
    CHECK(c.sample(rng) == 4.5);
    CHECK(u.sample(rng) == 2.0);
    CHECK_THAT(l.sample(rng), Catch::Matchers::WithinRel(0.7, 1e-14));
    CHECK(never.sample(rng) == kInf);
  }
  CHECK(c.kind() == Distribution::Kind::Constant);
  CHECK(never.kind() == Distribution::Kind::Never);
  CHECK(Distribution::exponential(600).describe() == "exponential(mean=600)");
  CHECK(Distribution::kind_names() ==
        std::vector<std::string>{"constant", "exponential", "uniform", "lognormal", "pareto", "never"});
}

TEST_CASE("the ziggurat exponential follows the exponential distribution", "[random]") {
  Rng rng(47);
  // Moments of Exp(mean 2): E[X^k] = k! 2^k.
  check_mean_variance([&] { return rng.exponential_ziggurat(2.0); }, RawMoments{2.0, 8.0, 48.0, 384.0}, 400'000);
  check_ks([&] { return rng.exponential_ziggurat(0.5); }, [](double x) { return 1 - std::exp(-x / 0.5); }, 400'000);
  // Each part of the ziggurat is reached and right: the layers' rectangles (most draws), the wedges
  // beyond them, and the tail past r = 7.697 (probability exp(-r) = 4.5e-4). Counts of X > t over
  // n draws are binomial: within 5 standard deviations of n exp(-t).
  const int n = 2'000'000;
  std::array<double, 4> at{0.05, 1.0, 5.0, 9.0};
  std::array<int, 4> above{};
  double smallest = kInf;
  for (int i = 0; i < n; ++i) {
    const double x = rng.exponential_ziggurat(1.0);
    REQUIRE(x >= 0.0);
    smallest = std::min(smallest, x);
    for (std::size_t k = 0; k < at.size(); ++k) above[k] += x > at[k] ? 1 : 0;
  }
  for (std::size_t k = 0; k < at.size(); ++k) {
    const double p = std::exp(-at[k]);
    INFO("P(X > " << at[k] << ") = " << above[k] / static_cast<double>(n) << " vs " << p);
    CHECK(std::fabs(above[k] - n * p) <= 5.0 * std::sqrt(n * p * (1 - p)));
  }
  CHECK(smallest < 1e-5);  // the smallest of 2M draws: about 5e-7
}
