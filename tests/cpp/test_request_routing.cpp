// Request-level routing against queueing theory: random = n M/M/1 queues, round robin = E_n/M/1,
// power of d choices = the supermarket model, one multi-core server = M/M/c (Erlang C), and the
// ordering JSQ <= power of d <= random, round robin < random at high load.
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "models/requests/request_routing.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/queueing_theory.hpp"

using namespace wsfleet;
using wsfleet::testing::en_m1_response;
using wsfleet::testing::erlang_c;
using wsfleet::testing::mm1_response;
using wsfleet::testing::mmc_response;
using wsfleet::testing::supermarket_response;
using wsfleet::testing::supermarket_share;

namespace {

/// Poisson arrivals at total rate `lambda` (1/s) and exponential service of mean 1 s over `servers`.
models::RequestRoutingConfig poisson(std::int64_t servers, double lambda, const std::string& policy,
                                     double duration_s, double warmup_s) {
  models::RequestRoutingConfig cfg;
  cfg.servers = servers;
  cfg.interarrival_s = sim::Distribution::exponential(1.0 / lambda);
  cfg.service_s = sim::Distribution::exponential(1.0);
  cfg.policy = policy;
  cfg.duration_s = duration_s;
  cfg.warmup_s = warmup_s;
  cfg.seed = 42;
  return cfg;
}

/// The mean of a measure over independent replications and its standard error.
struct Estimate {
  double mean;
  double stderr_;
};

/// Runs `reps` replications and estimates every figure `measure` returns (a vector of doubles).
template <class Measure>
std::vector<Estimate> replicate(models::RequestRoutingConfig cfg, int reps, Measure&& measure) {
  std::vector<double> sum, sum2;
  for (int i = 0; i < reps; ++i) {
    cfg.replication = static_cast<std::uint64_t>(i);
    const auto r = models::route_requests(cfg);
    REQUIRE(r.conserved);
    REQUIRE(r.measured > 10000);
    const std::vector<double> m = measure(r);
    sum.resize(m.size(), 0.0);
    sum2.resize(m.size(), 0.0);
    for (std::size_t k = 0; k < m.size(); ++k) {
      sum[k] += m[k];
      sum2[k] += m[k] * m[k];
    }
  }
  std::vector<Estimate> out;
  for (std::size_t k = 0; k < sum.size(); ++k) {
    const double mean = sum[k] / reps;
    const double var = std::max(0.0, (sum2[k] - reps * mean * mean) / (reps - 1));
    out.push_back({mean, std::sqrt(var / reps)});
  }
  return out;
}

Estimate mean_response(const models::RequestRoutingConfig& cfg, int reps) {
  return replicate(cfg, reps, [](const models::RequestRoutingResult& r) { return std::vector<double>{r.mean_response_s}; })
      .front();
}

/// Within 3 standard errors (plus `slack` relative, for the histogram-free mean only rounding) and
/// never more than `max_rel` off: a simulation that is wrong by a few percent fails.
void check_close(const Estimate& e, double expected, double max_rel, double slack = 0.002) {
  INFO("simulated " << e.mean << " +- " << e.stderr_ << " (1 s.e.), theory " << expected << ", deviation "
                    << 100.0 * (e.mean - expected) / expected << " %");
  CHECK(std::fabs(e.mean - expected) < 3.0 * e.stderr_ + slack * expected);
  CHECK(std::fabs(e.mean - expected) / expected < max_rel);
}

}  // namespace

TEST_CASE("queueing formulas reproduce the reference values", "[theory][requests]") {
  // validation.md: C(12, 10) = 0.449388 with Wq = 0.224694 at mu = 1; C(3, 2) = 0.444444.
  CHECK(erlang_c(12, 10.0) == Approx(0.449388).margin(1e-6));
  CHECK(mmc_response(12, 10.0, 1.0) - 1.0 == Approx(0.224694).margin(1e-6));
  CHECK(erlang_c(3, 2.0) == Approx(0.444444).margin(1e-6));
  CHECK(mm1_response(0.9, 1.0) == Approx(10.0));
  // E_1/M/1 is M/M/1 (sigma = rho); more phases make arrivals more regular and the queue shorter.
  CHECK(en_m1_response(1, 0.9, 1.0) == Approx(10.0).epsilon(1e-9));
  CHECK(en_m1_response(10, 9.0, 1.0) < en_m1_response(2, 1.8, 1.0));
  // T_2(0.9) = 1 + 0.9^2 + 0.9^6 + 0.9^14 + 0.9^30 + ... = 2.61406 (Mitzenmacher's prediction 2.6136
  // for lambda = 0.9, d = 2); s_2 = rho^(d+1) for d choices.
  CHECK(supermarket_response(0.9, 2) == Approx(2.614057).margin(1e-6));
  CHECK(supermarket_share(0.9, 2, 2) == Approx(0.729));
  CHECK(supermarket_share(0.9, 3, 2) == Approx(0.6561));
}

TEST_CASE("a deterministic request stream gives exact latencies, utilisation and occupancy", "[requests]") {
  // D/D/1: one request every second needing 0.25 s: every response is 0.25 s, the server is busy a
  // quarter of the time and holds one request a quarter of the time.
  models::RequestRoutingConfig cfg;
  cfg.servers = 1;
  cfg.interarrival_s = sim::Distribution::constant(1.0);
  cfg.service_s = sim::Distribution::constant(0.25);
  cfg.policy = "round_robin";
  cfg.duration_s = 100.0;
  cfg.warmup_s = 10.0;
  const auto r = models::route_requests(cfg);
  CHECK(r.arrived == 99);  // at 1, 2, ..., 99 s (arrivals stop before the end)
  CHECK(r.completed == 99);
  CHECK(r.in_flight == 0);
  CHECK(r.conserved);
  CHECK(r.measured == 90);  // arrivals at 10 .. 99 s
  CHECK(r.mean_response_s == Approx(0.25).epsilon(1e-12));
  CHECK(r.max_response_s == Approx(0.25).epsilon(1e-12));
  CHECK(r.p99_response_s == Approx(0.25).epsilon(0.005));
  REQUIRE(r.utilisation.size() == 1);
  CHECK(r.utilisation[0] == Approx(90 * 0.25 / 90.0).epsilon(1e-12));
  CHECK(r.served == std::vector<std::uint64_t>{90});
  REQUIRE(r.share_at_least.size() == 2);
  CHECK(r.share_at_least[1] == Approx(0.25).epsilon(1e-12));
  CHECK(r.mean_outstanding == Approx(0.25).epsilon(1e-12));

  // Requests still queued at the end are in flight: conservation holds with a backlog.
  cfg.service_s = sim::Distribution::constant(1.5);
  const auto over = models::route_requests(cfg);
  CHECK(over.in_flight > 30);
  CHECK(over.arrived == over.completed + over.in_flight);
  CHECK(over.conserved);
}

TEST_CASE("round robin over a multi-core server set is exact for deterministic work", "[requests]") {
  // 3 servers x 2 cores, a request every 0.1 s of 0.5 s work: each server gets one every 0.3 s and
  // never has more than 2 at once, so nothing waits.
  models::RequestRoutingConfig cfg;
  cfg.servers = 3;
  cfg.cores = 2;
  cfg.interarrival_s = sim::Distribution::constant(0.1);
  cfg.service_s = sim::Distribution::constant(0.5);
  cfg.policy = "round_robin";
  cfg.duration_s = 60.0;
  cfg.warmup_s = 6.0;
  const auto r = models::route_requests(cfg);
  CHECK(r.conserved);
  CHECK(r.max_response_s == Approx(0.5).epsilon(1e-12));
  for (const double u : r.utilisation) CHECK(u == Approx(0.5 / 0.3 / 2.0).epsilon(0.01));
  CHECK(r.served[0] == Approx(r.served[1]).margin(1));
  CHECK(r.served[1] == Approx(r.served[2]).margin(1));
}

TEST_CASE("the same seed and replication give the same result bit for bit", "[requests][determinism]") {
  auto cfg = poisson(8, 6.0, "random_two_choices", 2000.0, 100.0);
  const auto a = models::route_requests(cfg);
  const auto b = models::route_requests(cfg);
  CHECK(a.arrived == b.arrived);
  CHECK(a.mean_response_s == b.mean_response_s);  // exact equality on purpose
  CHECK(a.p99_response_s == b.p99_response_s);
  CHECK(a.served == b.served);
  CHECK(a.utilisation == b.utilisation);
  CHECK(a.share_at_least == b.share_at_least);
  cfg.replication = 1;
  const auto c = models::route_requests(cfg);
  CHECK(c.mean_response_s != a.mean_response_s);
  // Service times come from their own stream, in arrival order: another policy sees the same work.
  cfg.policy = "round_robin";
  const auto d = models::route_requests(cfg);
  CHECK(d.arrived == c.arrived);
  double work_c = 0.0, work_d = 0.0;
  for (const double u : c.utilisation) work_c += u;
  for (const double u : d.utilisation) work_d += u;
  CHECK(work_c == Approx(work_d).epsilon(0.02));  // same requests; only what is unfinished at the edges differs
}

TEST_CASE("random routing over n servers is n independent M/M/1 queues", "[theory][requests]") {
  // n = 10, lambda = 8 (0.8 per server), mu = 1: mean response 1 / (1 - 0.8) = 5 s.
  const auto cfg = poisson(10, 8.0, "random", 40000.0, 1000.0);
  check_close(mean_response(cfg, 8), mm1_response(0.8, 1.0), 0.02);
  // Each queue's length is geometric: P(at least i) = rho^i; utilisation = rho.
  const auto r = models::route_requests(cfg);
  for (const double u : r.utilisation) CHECK(u == Approx(0.8).epsilon(0.03));
  REQUIRE(r.share_at_least.size() > 4);
  for (int i = 1; i <= 4; ++i) CHECK(r.share_at_least[static_cast<std::size_t>(i)] == Approx(std::pow(0.8, i)).epsilon(0.04));
  CHECK(r.mean_outstanding == Approx(0.8 / 0.2).epsilon(0.05));
  // An M/M/1 response time is exponential with rate mu - lambda: median ln 2 / 0.2, p99 ln 100 / 0.2.
  CHECK(r.p50_response_s == Approx(std::log(2.0) / 0.2).epsilon(0.04));
  CHECK(r.p99_response_s == Approx(std::log(100.0) / 0.2).epsilon(0.05));
}

TEST_CASE("round robin over n servers is E_n/M/1 per server", "[theory][requests]") {
  // n = 10 at rho = 0.9: sigma = 0.82333, mean response 5.6603 s (M/M/1 would be 10 s).
  const auto cfg = poisson(10, 9.0, "round_robin", 40000.0, 1000.0);
  check_close(mean_response(cfg, 8), en_m1_response(10, 9.0, 1.0), 0.02);
}

TEST_CASE("power of d choices matches the supermarket model for many servers", "[theory][requests]") {
  // n = 1000 servers at rho = 0.9: T_2 = 2.6141, T_3 = 2.0279 as n -> infinity. Finite n is slightly
  // slower (measured: +0.7 % at n = 100, +0.2 % at n = 500 for d = 2), within the tolerance here.
  for (const int d : {2, 3}) {
    auto cfg = poisson(1000, 900.0, "random_two_choices", 2000.0, 200.0);
    cfg.params = {{"choices", static_cast<double>(d)}};
    INFO("d = " << d);
    // The mean response and s_1..s_3 (share of queues with at least i requests) from the same runs.
    const auto e = replicate(cfg, 3, [](const models::RequestRoutingResult& r) {
      return std::vector<double>{r.mean_response_s, r.share_at_least.at(1), r.share_at_least.at(2),
                                 r.share_at_least.at(3)};
    });
    check_close(e[0], supermarket_response(0.9, d), 0.01, 0.003);
    for (int i = 1; i <= 3; ++i) {
      INFO("share of queues with at least " << i);
      check_close(e[static_cast<std::size_t>(i)], supermarket_share(0.9, d, i), 0.01 * i * i, 0.005 * i);
    }
  }
}

TEST_CASE("one server with c cores is M/M/c (Erlang C)", "[theory][requests]") {
  struct Case {
    std::int64_t cores;
    double lambda;
  };
  for (const Case k : {Case{12, 10.0}, Case{3, 2.0}}) {
    auto cfg = poisson(1, k.lambda, "round_robin", 400000.0 / k.lambda, 500.0);
    cfg.cores = k.cores;
    INFO("c = " << k.cores << ", A = " << k.lambda);
    check_close(mean_response(cfg, 6), mmc_response(static_cast<int>(k.cores), k.lambda, 1.0), 0.01);
  }
}

TEST_CASE("at rho = 0.9 JSQ beats power of two, which beats random by far", "[theory][requests]") {
  // n = 20, lambda = 18: random = M/M/1 at 0.9 (10 s); power of two near the supermarket's 2.61 s;
  // JSQ (least outstanding requests) lower still, but never below the pooled M/M/20 queue, which no
  // dispatcher to FCFS servers can beat.
  const auto base = poisson(20, 18.0, "random", 20000.0, 1000.0);
  auto run = [&](const std::string& policy, double d) {
    auto cfg = base;
    cfg.policy = policy;
    if (d > 0) cfg.params = {{"choices", d}};
    return mean_response(cfg, 3);
  };
  const Estimate random = run("random", 0);
  const Estimate rr = run("round_robin", 0);
  const Estimate two = run("random_two_choices", 2);
  const Estimate three = run("random_two_choices", 3);
  const Estimate jsq = run("least_connections", 0);
  INFO("random " << random.mean << ", round robin " << rr.mean << ", power of 2 " << two.mean << ", power of 3 "
                 << three.mean << ", JSQ " << jsq.mean << ", M/M/20 " << mmc_response(20, 18.0, 1.0));
  CHECK(jsq.mean < three.mean);
  CHECK(three.mean < two.mean);
  CHECK(two.mean < random.mean / 2.5);
  CHECK(rr.mean < random.mean);
  CHECK(jsq.mean > mmc_response(20, 18.0, 1.0));
  CHECK(jsq.mean < 0.75 * two.mean);
}

TEST_CASE("bad request routing configs are refused with the field named", "[requests][errors]") {
  auto expect_error = [](const models::RequestRoutingConfig& cfg, const std::string& field) {
    try {
      models::route_requests(cfg);
      FAIL("no error for " << field);
    } catch (const std::invalid_argument& e) {
      INFO(e.what());
      CHECK(std::string(e.what()).rfind(field, 0) == 0);
    }
  };
  const auto ok = poisson(4, 2.0, "random", 100.0, 10.0);
  auto c = ok;
  c.servers = 0;
  expect_error(c, "servers");
  c = ok;
  c.cores = 0;
  expect_error(c, "cores");
  c = ok;
  c.cores = 5000;
  expect_error(c, "cores");
  c = ok;
  c.interarrival_s = sim::Distribution::never();
  expect_error(c, "interarrival_s");
  c = ok;
  c.service_s = sim::Distribution::constant(0.0);
  expect_error(c, "service_s");
  c = ok;
  c.service_s = sim::Distribution::pareto(1.0, 0.5);  // infinite mean
  expect_error(c, "service_s");
  c = ok;
  c.duration_s = std::nan("");
  expect_error(c, "duration_s");
  c = ok;
  c.warmup_s = 100.0;
  expect_error(c, "warmup_s");
  c = ok;
  c.warmup_s = -1.0;
  expect_error(c, "warmup_s");
  c = ok;
  c.interarrival_s = sim::Distribution::exponential(1e-9);
  c.duration_s = 1e6;
  expect_error(c, "duration_s");  // 1e15 requests
  c = ok;
  c.policy = "least_conections";
  CHECK_THROWS_WITH(models::route_requests(c), Catch::Matchers::Contains("did you mean 'least_connections'"));
  c = ok;
  c.policy = "random_two_choices";
  c.params = {{"choices", 1.0}};
  CHECK_THROWS_AS(models::route_requests(c), models::ParamError);
}
