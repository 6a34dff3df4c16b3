#pragma once
// The server pool and the balancer tier of a fleet as components alone: a FleetState on its own
// simulator, no clients' lifecycle, no connections component, no faults. Shared by the tests that
// drive the tier and the pool by hand.
#include <cstdint>
#include <memory>

#include "models/fleet/balancer_tier.hpp"
#include "models/fleet/server_pool.hpp"
#include "models/server_classes.hpp"

namespace wsfleet::testing {

/// Servers and balancers of `config`, with `clients` client slots, and nothing else. No listener
/// is registered: a test registers the ones it observes.
struct PoolAndTier {
  explicit PoolAndTier(const models::FleetConfig& config, std::uint32_t clients = 8) : cfg(config), st(cfg, sim) {
    st.specs = models::server_specs(cfg);
    st.latency_ns.assign(st.topo.regions() * st.topo.sites(), 0.0);
    st.clients.resize(clients);
    st.gens.assign(clients, 0);
    pool = std::make_unique<models::ServerPool>(st);
    st.parts.servers = pool.get();
    tier = std::make_unique<models::BalancerTier>(st);
    st.parts.balancers = tier.get();
  }

  models::FleetConfig cfg;
  sim::Simulator sim;
  models::FleetState st;
  std::unique_ptr<models::ServerPool> pool;
  std::unique_ptr<models::BalancerTier> tier;
};

}  // namespace wsfleet::testing
