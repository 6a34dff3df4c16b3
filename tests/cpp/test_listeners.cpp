// The listeners (models/fleet/listeners.hpp): the server pool is the one place a server changes
// state, and every server listener is told, in registration order, after the change. Observed on a
// server pool and a balancer tier alone, with a recording listener registered after the tier.
#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/fleet/listeners.hpp"
#include "tests/cpp/catch.hpp"
#include "tests/cpp/fleet_fixtures.hpp"
#include "tests/cpp/tier_fixture.hpp"

using namespace wsfleet;

namespace {

/// Records what it is told, with what the balancer tier (told before it) already shows.
struct Recorder : models::ServerListener {
  explicit Recorder(const models::BalancerTier& balancers) : tier(balancers) {}
  unsigned blocks(std::uint32_t b) const { return tier.nodes()[0].lb->blocks(static_cast<int>(b)); }
  void server_crashed(std::uint32_t b, std::uint32_t fault) override {
    told.push_back("crashed " + std::to_string(b) + " by " + std::to_string(fault));
  }
  void server_restarted(std::uint32_t b) override { told.push_back("restarted " + std::to_string(b)); }
  void server_added(std::uint32_t b) override {
    told.push_back("added " + std::to_string(b) + ((blocks(b) & models::LoadBalancer::kBlockAbsent) ? " absent" : ""));
  }
  void server_draining(std::uint32_t b) override {
    told.push_back("draining " + std::to_string(b) + ((blocks(b) & models::LoadBalancer::kBlockDraining) ? " blocked" : ""));
  }
  void server_removed(std::uint32_t b) override {
    told.push_back("removed " + std::to_string(b) + ((blocks(b) & models::LoadBalancer::kBlockAbsent) ? " absent" : ""));
  }
  const models::BalancerTier& tier;
  std::vector<std::string> told;
};

/// The pool and the tier alone, the tier and then a Recorder its server listeners.
struct PoolAndTier : testing::PoolAndTier {
  explicit PoolAndTier(const models::FleetConfig& config) : testing::PoolAndTier(config, 16) {
    recorder = std::make_unique<Recorder>(*tier);
    st.listeners.servers = {tier.get(), recorder.get()};
  }
  /// Where eight new connections go (the balancer counts each).
  std::vector<std::uint32_t> route_eight() {
    std::vector<std::uint32_t> to;
    for (std::uint32_t c = 0; c < 8; ++c) {
      const models::Route r = tier->connect(c);
      REQUIRE_FALSE(r.refusal);
      to.push_back(r.server);
    }
    return to;
  }

  std::unique_ptr<Recorder> recorder;
};

}  // namespace

TEST_CASE("server listeners: draining, leaving, joining, a crash and a restart are told in order, after the change",
          "[listeners][components]") {
  auto cfg = testing::small_fleet();
  cfg.balancer.policy = "round_robin";
  PoolAndTier t(cfg);
  models::Server& one = t.st.servers[1];

  t.pool->start_draining(1);
  CHECK(one.draining);
  for (std::uint32_t b : t.route_eight()) CHECK(b != 1);  // the tier took it out before the recorder heard

  t.pool->leave(1);
  CHECK_FALSE(one.present);
  CHECK_FALSE(one.up);
  CHECK_FALSE(one.draining);

  t.pool->join(1);
  CHECK(one.present);
  CHECK(one.up);
  std::vector<std::uint32_t> routed = t.route_eight();
  CHECK(std::count(routed.begin(), routed.end(), 1u) == 2);  // round robin over four again

  t.st.faults.emplace_back();
  t.pool->crash(2, 0);
  CHECK_FALSE(t.st.servers[2].up);
  t.pool->crash(2, 0);  // already down: nothing changes, no one is told
  t.pool->restart(2, 0);
  CHECK(t.st.servers[2].up);

  const std::vector<std::string> expected{"draining 1 blocked", "removed 1 absent", "added 1", "crashed 2 by 0", "restarted 2"};
  CHECK(t.recorder->told == expected);
}

TEST_CASE("server listeners: a server cannot leave the fleet while it holds connections", "[listeners][components]") {
  PoolAndTier t(testing::small_fleet());
  t.st.servers[0].members.push_back(3);
  CHECK_THROWS_AS(t.pool->leave(0), std::logic_error);
  CHECK(t.recorder->told.empty());
}
