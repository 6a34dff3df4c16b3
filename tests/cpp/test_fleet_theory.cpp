// The engine against queueing theory (see shared/reference/validation.md): a server's CPU queue
// against M/M/1, M/D/1 and M/M/c (Erlang C), and a hard connection limit against Erlang B.
#include <utility>
#include <cmath>

#include "models/fleet.hpp"
#include "tests/cpp/catch.hpp"

using namespace wsfleet;

namespace {

/// Erlang B by the stable recursion.
double erlang_b(int c, double a) {
  double b = 1.0;
  for (int k = 1; k <= c; ++k) b = a * b / (k + a * b);
  return b;
}

/// One server whose CPU sees Poisson message arrivals at rate lambda (1/s) with mean service 1/mu.
models::FleetConfig cpu_queue_scenario(double lambda, double mu, std::uint32_t cores, models::ServiceTime service,
                                       double duration_s, std::uint64_t seed) {
  models::FleetConfig cfg;
  cfg.run.duration_s = duration_s;
  cfg.run.sample_interval_s = duration_s / 10;
  cfg.run.seed = seed;
  cfg.fleet.servers = 1;
  cfg.fleet.cpu_cores = cores;
  cfg.fleet.max_connections = 1000000;
  cfg.fleet.cpu = {0.0, 1e6 / mu, 0.0, 0.0, service};
  cfg.clients.count = 1000;
  cfg.clients.ramp_s = 0.0;  // all connected at t = 0 (handshakes cost nothing)
  cfg.clients.session_s = sim::Distribution::never();
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.clients.replies_per_message = 0.0;
  // The superposition of 1000 Poisson streams is a Poisson stream of the summed rate.
  cfg.clients.messages_per_minute = lambda * 60.0 / static_cast<double>(cfg.clients.count);
  cfg.balancer.policy = "round_robin";
  cfg.backoff.policy = "full_jitter";
  return cfg;
}

double mean_latency_s(const models::FleetConfig& cfg) {
  models::Fleet fleet(cfg);
  const auto r = fleet.run();
  REQUIRE(r.summary.messages.delivered > 100000);
  return r.summary.message_latency.mean_ms / 1e3;
}

/// Mean over several independent replications, and the half-width of a ~99.7% interval.
std::pair<double, double> replicate(models::FleetConfig cfg, int reps) {
  double sum = 0, sum2 = 0;
  for (int i = 0; i < reps; ++i) {
    cfg.run.replication = static_cast<std::uint64_t>(i);
    const double m = mean_latency_s(cfg);
    sum += m;
    sum2 += m * m;
  }
  const double mean = sum / reps;
  const double var = (sum2 - reps * mean * mean) / (reps - 1);
  return {mean, 3.0 * std::sqrt(var / reps)};
}

}  // namespace

TEST_CASE("CPU queue matches M/M/1: mean time in system 1/(mu - lambda)", "[theory][cpu]") {
  // lambda = 0.9, mu = 1 in units of 1/ms: expected mean time in system 10 ms.
  const auto cfg = cpu_queue_scenario(900.0, 1000.0, 1, models::ServiceTime::Exponential, 600.0, 11);
  const auto [mean, half] = replicate(cfg, 6);
  const double expected = 1.0 / (1000.0 - 900.0);
  INFO("mean " << mean << " s, expected " << expected << " s, CI half-width " << half);
  CHECK(std::fabs(mean - expected) < half + 0.005 * expected);
  CHECK(std::fabs(mean - expected) / expected < 0.02);
}

TEST_CASE("CPU queue matches M/D/1 (Pollaczek-Khinchine) with deterministic costs", "[theory][cpu]") {
  const double lambda = 800.0, mu = 1000.0, rho = lambda / mu;
  const auto cfg = cpu_queue_scenario(lambda, mu, 1, models::ServiceTime::Deterministic, 300.0, 12);
  const auto [mean, half] = replicate(cfg, 5);
  const double expected = 1.0 / mu + rho / (2.0 * mu * (1.0 - rho));
  INFO("mean " << mean << " s, expected " << expected << " s, CI half-width " << half);
  CHECK(std::fabs(mean - expected) / expected < 0.015);
}

TEST_CASE("multi-core CPU matches M/M/c (Erlang C waiting time)", "[theory][cpu]") {
  // c = 3, A = 2 (lambda = 2000/s, mu = 1000/s): C = 0.444444, Wq = C / (c mu - lambda) = 0.444 ms.
  const auto cfg = cpu_queue_scenario(2000.0, 1000.0, 3, models::ServiceTime::Exponential, 200.0, 13);
  const auto [mean, half] = replicate(cfg, 5);
  const double c_prob = 0.444444;
  const double expected = c_prob / (3 * 1000.0 - 2000.0) + 1.0 / 1000.0;
  INFO("mean " << mean << " s, expected " << expected << " s, CI half-width " << half);
  CHECK(std::fabs(mean - expected) / expected < 0.015);
}

TEST_CASE("a hard connection limit blocks the Erlang B fraction of Poisson attempts", "[theory][connections]") {
  struct Case {
    std::uint32_t c;
    double a;
    double expected;
  };
  // Values from validation.md, and the recursion for a third.
  for (const Case k : {Case{10, 10.0, 0.214582}, Case{30, 25.0, 0.05260}, Case{110, 100.0, 0.027463}}) {
    CHECK(std::fabs(erlang_b(static_cast<int>(k.c), k.a) - k.expected) < 5e-6);
    models::FleetConfig cfg;
    const double lambda = 20.0;                 // attempts per second
    const double holding_s = k.a / lambda;      // mean session
    cfg.run.duration_s = 10000.0;
    cfg.run.sample_interval_s = 100.0;
    cfg.run.seed = 21;
    cfg.fleet.servers = 1;
    cfg.fleet.max_connections = k.c;
    cfg.fleet.cpu = {0.0, 0.0, 0.0, 0.0, models::ServiceTime::Deterministic};  // connecting is instant
    cfg.clients.count = static_cast<std::uint64_t>(lambda * cfg.run.duration_s);
    cfg.clients.ramp_s = cfg.run.duration_s;
    cfg.clients.session_s = sim::Distribution::exponential(holding_s);
    cfg.clients.on_session_end = models::SessionEnd::Leave;
    cfg.clients.heartbeat_interval_s = 0.0;
    cfg.clients.messages_per_minute = 0.0;
    cfg.balancer.policy = "round_robin";
    cfg.backoff.policy = "none";  // blocked attempts are lost (M/M/c/c)
    models::Fleet fleet(cfg);
    const auto r = fleet.run();
    const auto& conn = r.summary.connections;
    REQUIRE(conn.retries == 0);
    REQUIRE(conn.gave_up == conn.rejected);
    const double blocking = static_cast<double>(conn.rejected) / static_cast<double>(conn.attempted);
    const double se = std::sqrt(k.expected * (1 - k.expected) / static_cast<double>(conn.attempted));
    INFO("c=" << k.c << " A=" << k.a << " blocking " << blocking << " expected " << k.expected);
    CHECK(std::fabs(blocking - k.expected) < 5 * se + 0.0005);
  }
}
