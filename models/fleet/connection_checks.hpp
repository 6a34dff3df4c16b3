#pragma once
// The Connections' end-of-run conservation checks: every attempt, connection, close, refusal,
// server slot and client accounted for (models/fleet/connections.hpp adds them).
#include <cstdint>

#include "models/fleet/fleet_state.hpp"
#include "models/run_summary.hpp"

namespace wsfleet::models {

/// Adds the connection checks to `summary` (its connections section filled). `held_off_servers`:
/// pending attempts that hold no server slot now (waiting at a balancer, a swallowed SYN, a connect
/// wait, requests before the WebSocket in flight).
void add_connection_checks(RunSummary& summary, const FleetState& state, std::uint64_t held_off_servers);

}  // namespace wsfleet::models
