// A shedding server's Retry-After, per client library: the presets whose library reads it wait for
// it, the others retry on their own backoff; clients.honour_retry_after overrides both.
#include <string>

#include "experiments/scenario_error.hpp"
#include "experiments/scenario_loader.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

using namespace wsfleet;
using testing::conserved;
using testing::fleet_sum;

namespace {

/// One server admitting 0.125 handshakes a second (a bucket of one token, full at the start) and two
/// clients that both arrive at t = 0: the first takes the token, the second is refused (shed) at once
/// with a Retry-After of 5 s. The bucket holds 0.125 t tokens at time t after that: the next attempt at
/// or after 8 s is admitted. Samples every millisecond, so each retry shows in its own sample.
models::FleetConfig one_refusal(const std::string& policy, models::Params params) {
  models::FleetConfig cfg = testing::small_fleet();
  cfg.run.duration_s = 20.0;
  cfg.run.sample_interval_s = 0.001;
  cfg.fleet.servers = 1;
  cfg.clients.count = 2;
  cfg.clients.ramp_s = 0.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.fleet.admission.max_handshakes_per_s = 0.125;
  cfg.fleet.admission.retry_after_s = 5.0;
  cfg.backoff.policy = policy;
  cfg.backoff.params = std::move(params);
  return cfg;
}

/// The retries of a run in the sample ending at `t` (s), the sample being (t - 1 ms, t].
double retries_at(const models::RunResult& r, double t) { return fleet_sum(r, t - 0.0005, t + 0.0005, "retries"); }

}  // namespace

TEST_CASE("the presets declare whether their library reads Retry-After: only the AWS SDK does", "[retry_after]") {
  for (const auto& p : models::backoff_client_presets()) {
    INFO(p.name);
    CHECK(p.honours_retry_after == (p.name == "aws_standard"));
    CHECK(models::backoff_honours_retry_after(p.name) == p.honours_retry_after);
  }
  CHECK(models::backoff_honours_retry_after("full_jitter") == models::kGenericHonoursRetryAfter);
  CHECK(models::backoff_honours_retry_after("constant"));
}

TEST_CASE("a preset that ignores Retry-After retries on its own schedule after a shed refusal", "[retry_after]") {
  // Phoenix (reconnectAfterMs: 10, 50, 100, 150, 200, 250, 500, 1000, 2000, 5000 ms): the refused
  // client retries at 0.010, 0.060, 0.160, 0.310, 0.510, 0.760, 1.260, 2.260 and 4.260 s, each
  // refused (the bucket holds 0.125 t < 1 token), and at 9.260 s, admitted. The 5 s hint changes nothing.
  const models::RunResult r = models::Fleet(one_refusal("phoenix", {})).run();
  REQUIRE(conserved(r));
  CHECK(r.summary.connections.rejected_shed == 10);
  CHECK(r.summary.connections.attempted == 12);
  CHECK(r.summary.connections.established == 2);
  for (double t : {0.010, 0.060, 0.160, 0.310, 0.510, 0.760, 1.260, 2.260, 4.260, 9.260}) {
    INFO(t);
    CHECK(retries_at(r, t) == 1.0);
  }
  CHECK(fleet_sum(r, 0.0, 20.0, "retries") == 10.0);
}

TEST_CASE("a preset that honours Retry-After waits for it after a shed refusal", "[retry_after]") {
  // The AWS SDK's standard retry waits max(Retry-After, its backoff): its backoff for retries 0 and
  // 1 is at most 100 and 200 ms (floor(random() * min(100 ms * 2^i, 20 s))), so the hint decides:
  // the refused client retries at 5 s (0.625 tokens: refused again) and at 10 s (admitted).
  const models::RunResult r = models::Fleet(one_refusal("aws_standard", {})).run();
  REQUIRE(conserved(r));
  CHECK(r.summary.connections.rejected_shed == 2);
  CHECK(r.summary.connections.attempted == 4);
  CHECK(r.summary.connections.established == 2);
  CHECK(fleet_sum(r, 0.0, 4.999, "retries") == 0.0);
  CHECK(retries_at(r, 5.0) == 1.0);
  CHECK(retries_at(r, 10.0) == 1.0);
  CHECK(fleet_sum(r, 0.0, 20.0, "retries") == 2.0);
}

TEST_CASE("clients.honour_retry_after overrides the policy's default", "[retry_after]") {
  // A generic policy honours the hint by default: constant 1 s retries wait 5 s instead, at 5 s
  // (refused) and at 10 s (admitted).
  models::FleetConfig cfg = one_refusal("constant", {{"delay_s", 1.0}});
  const models::RunResult honoured = models::Fleet(cfg).run();
  REQUIRE(conserved(honoured));
  CHECK(honoured.summary.connections.rejected_shed == 2);
  CHECK(retries_at(honoured, 5.0) == 1.0);
  CHECK(retries_at(honoured, 10.0) == 1.0);
  // "off": every second from 1 s, refused until the bucket holds a token at 8 s: 7 refused retries.
  cfg.clients.honour_retry_after = models::HonourRetryAfter::Off;
  const models::RunResult ignored = models::Fleet(cfg).run();
  REQUIRE(conserved(ignored));
  CHECK(ignored.summary.connections.rejected_shed == 8);
  for (double t : {1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0}) {
    INFO(t);
    CHECK(retries_at(ignored, t) == 1.0);
  }
  // "on" makes Phoenix wait too: at 5 s (0.625 tokens, refused), then its second retry's 50 ms is
  // shorter than the hint: 10 s, admitted.
  models::FleetConfig phoenix = one_refusal("phoenix", {});
  phoenix.clients.honour_retry_after = models::HonourRetryAfter::On;
  const models::RunResult forced = models::Fleet(phoenix).run();
  REQUIRE(conserved(forced));
  CHECK(forced.summary.connections.rejected_shed == 2);
  CHECK(retries_at(forced, 5.0) == 1.0);
  CHECK(retries_at(forced, 10.0) == 1.0);
}

TEST_CASE("clients.honour_retry_after is read from a scenario, and a bad value is refused at its place", "[retry_after]") {
  const std::string base = "[fleet]\nservers = 2\n\n[clients]\ncount = 10\n";
  CHECK(experiments::load_scenario_string(base, "t.toml").clients.honour_retry_after == models::HonourRetryAfter::Preset);
  CHECK(experiments::load_scenario_string(base + "honour_retry_after = \"on\"\n", "t.toml").clients.honour_retry_after ==
        models::HonourRetryAfter::On);
  CHECK(experiments::load_scenario_string(base, "t.toml", {"clients.honour_retry_after=off"}).clients.honour_retry_after ==
        models::HonourRetryAfter::Off);
  try {
    experiments::load_scenario_string(base + "honour_retry_after = \"yes\"\n", "t.toml");
    FAIL("no error");
  } catch (const experiments::ScenarioError& e) {
    const std::string text = e.what();
    CHECK(text == "t.toml:6:22: clients.honour_retry_after must be one of preset, on, off (got 'yes')");
  }
}
