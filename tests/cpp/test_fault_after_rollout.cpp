// A fault that names a server after a rollout replaced it hits the replacement: the server now in
// that slot (Deployer::holder_of_slot, docs/operations.md).
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

using namespace wsfleet;
using testing::conserved;
using testing::server_at;

namespace {

/// 2 servers, 200 clients over 10 s under least connections: 100 each. Sessions never end; a failed
/// or closed client retries 1 s later. A rolling deploy at 30 s, one server at a time (maxSurge 1,
/// maxUnavailable 0), each new server ready 10 s after it starts, no preStop: the old servers close
/// their connections at deletion. Server 2 starts at 30 s and is ready at 40 s; then the newest old
/// server (1) is deleted, its 100 clients reconnect at 41 s, all onto server 2 (server 0 holds 100);
/// server 3 starts at 40 s, ready at 50 s; server 0 is deleted and its 100 clients reconnect at 51 s,
/// all onto server 3 (server 2 holds 100). Deleted and started are paired in order: 1 -> 2, 0 -> 3.
models::FleetConfig rollout_then(models::FaultTarget target, std::uint32_t server) {
  models::FleetConfig cfg = testing::small_fleet();
  cfg.run.duration_s = 120.0;
  cfg.fleet.servers = 2;
  cfg.fleet.max_connections = 1000;
  cfg.clients.count = 200;
  cfg.clients.messages_per_minute = 0.0;
  cfg.backoff.policy = "constant";
  cfg.backoff.params = {{"delay_s", 1.0}};
  cfg.balancer.health_check.mode = models::HealthCheckMode::Instant;  // a ready server takes connections at once
  cfg.deploys.push_back(testing::one_at_a_time_deploy(30.0, 10.0));
  models::CrashFault f = models::CrashFault::of_server(server, 90.0);
  f.target = target;
  cfg.faults.push_back(f);
  return cfg;
}

}  // namespace

TEST_CASE("a crash naming a server a rollout replaced crashes its replacement", "[deploys][faults]") {
  const models::RunResult r = models::Fleet(rollout_then(models::FaultTarget::Server, 0)).run();
  REQUIRE(conserved(r));
  REQUIRE(r.summary.deploys.size() == 1);
  CHECK(r.summary.deploys[0].servers_started == 2);
  CHECK(r.summary.deploys[0].servers_terminated == 2);
  CHECK(server_at(r, 2, 89.0, "connections") == 100.0);
  CHECK(server_at(r, 3, 89.0, "connections") == 100.0);
  // Server 0 is gone; its slot is server 3's, which holds the 100 clients server 0 had.
  CHECK(r.summary.faults[0].server == 3);
  CHECK(r.summary.faults[0].connections_dropped == 100);
  CHECK(server_at(r, 3, 91.0, "connections") == 0.0);
  CHECK(server_at(r, 2, 119.0, "connections") == 200.0);  // they reconnect to the only server left
  // Server 1's slot went to server 2.
  const models::RunResult other = models::Fleet(rollout_then(models::FaultTarget::Server, 1)).run();
  REQUIRE(conserved(other));
  CHECK(other.summary.faults[0].server == 2);
  CHECK(other.summary.faults[0].connections_dropped == 100);
}

TEST_CASE("every fault kind that names a server follows the rollout's replacement", "[deploys][faults]") {
  for (models::FaultTarget target : {models::FaultTarget::SlowServer, models::FaultTarget::HandshakeBlackhole,
                                     models::FaultTarget::HealthFlap, models::FaultTarget::DroppedMessages}) {
    const models::RunResult r = models::Fleet(rollout_then(target, 0)).run();
    REQUIRE(conserved(r));
    CHECK(r.summary.faults[0].server == 3);
  }
  // Before the rollout deletes it, server 0 is still its own slot's holder.
  models::FleetConfig early = rollout_then(models::FaultTarget::Server, 0);
  early.faults[0].at_s = 35.0;
  const models::RunResult r = models::Fleet(early).run();
  REQUIRE(conserved(r));
  CHECK(r.summary.faults[0].server == 0);
  CHECK(r.summary.faults[0].connections_dropped == 100);
}
