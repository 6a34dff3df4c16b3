// NGINX without a shared `zone` (models/balancer/nginx_workers.hpp): each worker process keeps its own
// least_conn counts, max_conns and smooth-WRR state. The sequences are computed by hand from
// ngx_http_upstream_least_conn_module.c: among the peers with the fewest conns, each gets
// current_weight += effective_weight, the highest wins (the first on a tie) and gives back the total.
#include <array>
#include <vector>

#include "models/balancer/nginx_workers.hpp"
#include "models/load_balancer.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

using namespace wsfleet;
using models::LoadBalancer;

namespace {

/// An nginx_least_conn balancer over `backends` equal backends with `workers` workers taking turns.
LoadBalancer least_conn(std::size_t backends, std::uint32_t workers, std::int64_t max_conns = 0) {
  LoadBalancer lb(models::make_balancing_policy("nginx_least_conn", {}), std::vector<double>(backends, 1.0), sim::Rng(1));
  lb.set_connection_cap(max_conns);
  std::vector<std::unique_ptr<models::BalancingPolicy>> more;
  for (std::uint32_t w = 1; w < workers; ++w) more.push_back(models::make_balancing_policy("nginx_least_conn", {}));
  if (workers > 1) lb.set_workers(std::move(more), false, sim::Rng(2));
  return lb;
}

/// Opens `n` connections (each accepted by the next worker); returns the backends picked.
std::vector<int> open(LoadBalancer& lb, int n) {
  std::vector<int> picks;
  for (int i = 0; i < n; ++i) {
    lb.accept();
    const int b = lb.pick(static_cast<std::uint64_t>(i));
    picks.push_back(b);
    if (b != models::kNoBackend) lb.connection_opened(b);
  }
  return picks;
}

std::vector<std::int64_t> totals(const LoadBalancer& lb) {
  std::vector<std::int64_t> out;
  for (const auto& b : lb.backends()) out.push_back(b.active_connections);
  return out;
}

}  // namespace

TEST_CASE("the nginx presets take workers and reuseport, 1 and 0 by default", "[nginx_workers]") {
  const auto w = models::NginxWorkers::of("nginx_least_conn", {});
  REQUIRE(w.has_value());
  CHECK(w->workers == 1);
  CHECK_FALSE(w->reuseport);
  const auto four = models::NginxWorkers::of("nginx_round_robin", {{"workers", 4.0}, {"reuseport", 1.0}});
  CHECK(four->workers == 4);
  CHECK(four->reuseport);
  CHECK_FALSE(models::NginxWorkers::of("haproxy_leastconn", {}).has_value());
  CHECK_NOTHROW(models::make_balancing_policy("nginx_least_conn", {{"workers", 8.0}}));
  CHECK_THROWS_AS(models::make_balancing_policy("nginx_least_conn", {{"workers", 0.0}}), models::ParamError);
  CHECK_THROWS_AS(models::make_balancing_policy("nginx_least_conn", {{"workers", 2.5}}), models::ParamError);
}

TEST_CASE("least_conn per worker: every worker sends its first connection to the first peer", "[nginx_workers]") {
  // One worker (or a shared zone); the pick, then the current weights after it: 0 [-3,1,1,1];
  // 1 [-3,-1,2,2]; peers 2 and 3 tie: 2 [-3,-1,1,3]; peer 3 alone: 3 [-3,-1,1,3]; all four tie,
  // [-2,0,2,4]: 3 [-2,0,2,0]; peers 0, 1, 2 tie, [-1,1,3]: 2. Four workers taking turns: each worker's k-th connection
  // goes to peer k-1 (its own counts tie, its own WRR state), so the first four all go to peer 0, the
  // next ones to peer 1: the spread is as wide as the worker count.
  LoadBalancer shared = least_conn(4, 1);
  CHECK(open(shared, 6) == std::vector<int>{0, 1, 2, 3, 3, 2});
  CHECK(totals(shared) == std::vector<std::int64_t>{1, 1, 2, 2});
  LoadBalancer per_worker = least_conn(4, 4);
  CHECK(open(per_worker, 6) == std::vector<int>{0, 0, 0, 0, 1, 1});
  CHECK(totals(per_worker) == std::vector<std::int64_t>{4, 2, 0, 0});
  CHECK(per_worker.worker_connections(0, 0) == 1);
  CHECK(per_worker.worker_connections(0, 1) == 1);
  CHECK(per_worker.worker_connections(2, 0) == 1);
  CHECK(per_worker.worker_connections(2, 1) == 0);
  // Worker 0's connection to peer 0 closes: its counts are (0, 1, 0, 0).
  per_worker.connection_closed(0, 0);
  CHECK(per_worker.worker_connections(0, 0) == 0);
  // The next connections are accepted by workers 2 and 3 (counts (1, 0, 0, 0), weights [-3,1,1,1]:
  // peer 1), then 0: peers 0, 2, 3 tie at zero and its weights [-3,-1,2,2] become [-2,3,3]: peer 2.
  CHECK(open(per_worker, 3) == std::vector<int>{1, 1, 2});
  CHECK(totals(per_worker) == std::vector<std::int64_t>{3, 4, 1, 0});
}

TEST_CASE("max_conns per worker: a peer takes up to workers x max_conns", "[nginx_workers]") {
  // max_conns = 1, two peers. One worker: peer 0, peer 1, then none (502). Two workers taking turns:
  // worker 0 -> peer 0, worker 1 -> peer 0 (its own count is 0), worker 0 -> peer 1 (peer 0 at its
  // cap), worker 1 -> peer 1, then none: each peer holds 2 = workers x max_conns.
  LoadBalancer shared = least_conn(2, 1, 1);
  CHECK(open(shared, 3) == std::vector<int>{0, 1, models::kNoBackend});
  LoadBalancer per_worker = least_conn(2, 2, 1);
  CHECK(open(per_worker, 5) == std::vector<int>{0, 0, 1, 1, models::kNoBackend});
  CHECK(totals(per_worker) == std::vector<std::int64_t>{2, 2});
  // A close frees the slot of the worker that opened it only: worker 1's peer-1 connection closes;
  // the next connection (worker 1's turn) takes peer 1, then worker 0 finds none.
  per_worker.connection_closed(1, 1);
  CHECK(open(per_worker, 2) == std::vector<int>{1, models::kNoBackend});
  // A crash forgets every worker's connections to the peer.
  per_worker.drop_all(0);
  CHECK(per_worker.worker_connections(0, 0) == 0);
  CHECK(per_worker.worker_connections(1, 0) == 0);
  CHECK(totals(per_worker) == std::vector<std::int64_t>{0, 2});
}

TEST_CASE("in a run, NGINX workers without a zone let a server exceed max_conns", "[nginx_workers]") {
  // 4 servers, 400 clients, nginx_least_conn with max_conns = 50. One worker: 50 per server, 200
  // connections, the rest refused. Four workers taking turns: each accepts 100 connections and
  // spreads them 25 per server over its own counts (no connection closes): 100 per server, twice
  // max_conns, all 400 in (at most workers x max_conns = 200 per server).
  models::FleetConfig cfg;
  cfg.run.duration_s = 30.0;
  cfg.run.sample_interval_s = 1.0;
  cfg.fleet.servers = 4;
  cfg.fleet.max_connections = 1000;
  cfg.clients.count = 400;
  cfg.clients.ramp_s = 10.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.balancer.policy = "nginx_least_conn";
  cfg.balancer.max_connections_per_backend = 50;
  cfg.backoff.policy = "constant";
  cfg.backoff.params = {{"delay_s", 5.0}};
  const models::RunResult one = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(one));
  CHECK(one.summary.connections.active_at_end == 200);
  for (std::size_t s = 0; s < 4; ++s) CHECK(testing::server_at(one, s, 30.0, "connections") == 50.0);
  cfg.balancer.params = {{"workers", 4.0}};
  const models::RunResult four = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(four));
  CHECK(four.summary.connections.active_at_end == 400);
  for (std::size_t s = 0; s < 4; ++s) CHECK(testing::server_at(four, s, 30.0, "connections") == 100.0);
  // With reuseport each connection's worker is a draw: still at most 4 x 50 per server, all in.
  cfg.balancer.params = {{"workers", 4.0}, {"reuseport", 1.0}};
  const models::RunResult hashed = models::Fleet(cfg).run();
  REQUIRE(testing::conserved(hashed));
  CHECK(hashed.summary.connections.active_at_end == 400);
  for (std::size_t s = 0; s < 4; ++s) CHECK(testing::server_at(hashed, s, 30.0, "connections") <= 200.0);
}

TEST_CASE("max_fails per worker: a worker that saw a peer fail skips it, the others still pick it", "[nginx_workers]") {
  // Two workers taking turns, two peers. Worker 1 takes peer 0 out for itself (its own peer->fails
  // reached max_fails): worker 0 still sees peer 0, worker 1 sees only peer 1. The balancer has
  // taken peer 0 out only once both workers have.
  LoadBalancer lb = least_conn(2, 2);
  lb.block_passive(1, 0);
  CHECK_FALSE(lb.passive_in(0, 0));
  CHECK(lb.passive_in(1, 0));
  CHECK((lb.blocks_everywhere(0) & LoadBalancer::kBlockPassive) == 0);
  CHECK(lb.eligible_count() == 2);
  CHECK(open(lb, 4) == std::vector<int>{0, 1, 1, 1});  // worker 0: peer 0, then 1 (least conns); worker 1: peer 1 twice
  lb.accept();  // worker 0 again: its blocks() shows no passive block on peer 0
  CHECK((lb.blocks(0) & LoadBalancer::kBlockPassive) == 0);
  lb.accept();  // worker 1: it does
  CHECK((lb.blocks(0) & LoadBalancer::kBlockPassive) != 0);
  lb.block_passive(0, 0);
  CHECK((lb.blocks_everywhere(0) & LoadBalancer::kBlockPassive) != 0);
  CHECK(lb.eligible_count() == 1);
  lb.block_passive(0, 1);
  lb.block_passive(1, 1);
  CHECK(lb.eligible_count() == 0);
  lb.accept();
  CHECK(lb.pick(7) == models::kNoBackend);
  lb.unblock_passive(1, 0);  // worker 1's fail_timeout ends
  CHECK(lb.eligible_count() == 1);
  lb.accept();  // worker 1: peer 0 again
  CHECK(lb.pick(7) == 0);
  lb.accept();  // worker 0: still nothing
  CHECK(lb.pick(7) == models::kNoBackend);
  // With one worker the per-worker block is the balancer's own kBlockPassive.
  LoadBalancer one = least_conn(2, 1);
  one.block_passive(0, 1);
  CHECK(one.blocks(1) == LoadBalancer::kBlockPassive);
  CHECK(one.eligible_count() == 1);
  one.unblock_passive(0, 1);
  CHECK(one.blocks(1) == 0);
}

TEST_CASE("in a run, each NGINX worker must see a dead server fail max_fails times before it is out", "[nginx_workers]") {
  // A crash at 60 s, no active checks, max_fails = 1 and a fail_timeout longer than the run: with
  // one worker the first failed try takes the server out for good, so exactly 1 try fails. With 4
  // workers taking turns, each worker's own round robin reaches the dead server once and takes it
  // out for itself only: exactly 4 failed tries, 4 "temporarily disabled", and the balancer has
  // taken it out at the 4th. With max_fails = 2: 2 and 8.
  auto cfg = testing::small_fleet();
  cfg.balancer.policy = "nginx_round_robin";
  cfg.balancer.health_check.mode = models::HealthCheckMode::None;
  cfg.balancer.passive.fail_timeout_s = 1000.0;
  cfg.faults.push_back(models::CrashFault::of_server(1, 60.0, std::nullopt));
  for (const std::uint32_t max_fails : {1u, 2u}) {
    cfg.balancer.passive.max_fails = max_fails;
    for (const double reuseport : {0.0, 1.0}) {
      cfg.balancer.params = {};
      const models::RunResult one = models::Fleet(cfg).run();
      REQUIRE(testing::conserved(one));
      CHECK(one.summary.balancers.at(0).failed_tries == max_fails);
      CHECK(one.summary.balancers.at(0).marked_down == 1);
      REQUIRE(one.summary.faults.at(0).detected_within_s.has_value());
      cfg.balancer.params = {{"workers", 4.0}, {"reuseport", reuseport}};
      const models::RunResult four = models::Fleet(cfg).run();
      REQUIRE(testing::conserved(four));
      CHECK(four.summary.balancers.at(0).failed_tries == 4 * max_fails);
      CHECK(four.summary.balancers.at(0).marked_down == 4);
      CHECK(four.summary.faults.at(0).tries_while_undetected == 4 * max_fails);
      REQUIRE(four.summary.faults.at(0).detected_within_s.has_value());
      CHECK(*four.summary.faults.at(0).detected_within_s > *one.summary.faults.at(0).detected_within_s);
      CHECK(four.summary.connections.active_at_end == one.summary.connections.active_at_end);
    }
  }
}
