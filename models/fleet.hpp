#pragma once
// A fleet run: the orchestrator that builds the components of models/fleet/ (connections, servers,
// the balancer tier, faults, scaling, rebalancing, sampling) and the optional ones (pub/sub,
// fallback transports) from a validated scenario, runs them on one simulator, and gathers their
// summary, time series and conservation checks.
#include <cstdint>
#include <functional>
#include <memory>

#include "models/fleet/autoscaler.hpp"
#include "models/fleet/balancer_tier.hpp"
#include "models/fleet/connections.hpp"
#include "models/fleet/fault_injector.hpp"
#include "models/fleet/fleet_state.hpp"
#include "models/fleet/rebalancer.hpp"
#include "models/fleet/sampler.hpp"
#include "models/fleet/scaling.hpp"
#include "models/fleet/server_pool.hpp"
#include "models/fleet/summary_helpers.hpp"
#include "models/fleet_config.hpp"
#include "models/run_summary.hpp"
#include "sim/simulator.hpp"

namespace wsfleet::models {

class PubSub;
class ChannelJoins;
class FallbackTransports;
class Deployer;
class GrayFailures;

/// One simulation of a fleet. Build it from a validated FleetConfig, call run() once.
class Fleet {
 public:
  /// Progress callback: simulated time now, events processed so far.
  using ProgressFn = std::function<void(sim::SimTime now, std::uint64_t events)>;

  /// Builds the model (policies are constructed and validated here; throws ParamError on bad ones,
  /// std::invalid_argument naming the key on a scenario that cannot run).
  explicit Fleet(const FleetConfig& config);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  /// Runs to the configured duration and returns the result. Throws ConservationError if an
  /// invariant fails. `progress` (optional) is called every `progress_every_events` events.
  RunResult run(const ProgressFn& progress = {}, std::uint64_t progress_every_events = 1u << 20);

 private:
  RunSummary make_summary() const;
  void check_conservation(RunSummary& summary) const;

  FleetConfig cfg_;
  sim::Simulator sim_;
  FleetState st_;
  std::unique_ptr<Connections> connections_;
  std::unique_ptr<ServerPool> servers_;
  std::unique_ptr<BalancerTier> balancers_;
  std::unique_ptr<PubSub> pubsub_;                  ///< null without [pubsub]
  std::unique_ptr<ChannelJoins> joins_;             ///< null unless [pubsub] with a library that joins channels (phoenix)
  std::unique_ptr<FaultInjector> faults_;
  std::unique_ptr<Scaling> scaling_;
  std::unique_ptr<Deployer> deployer_;              ///< null without [[deploys]]
  std::unique_ptr<GrayFailures> gray_;              ///< null without slow_server or health_flap faults
  std::unique_ptr<Rebalancer> rebalancer_;
  std::unique_ptr<Autoscaler> autoscaler_;         ///< null without [autoscaler]
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<PusherFallbackRace> race_;        ///< null unless the clients race pusher-js's HTTP fallback
  std::unique_ptr<SessionOpening> opening_;         ///< null unless the clients' library sends HTTP requests before its WebSocket
  std::unique_ptr<AttemptSteps> steps_;             ///< null unless opening_ or race_ is set
  std::unique_ptr<SignalRFallback> signalr_;        ///< null unless SignalR clients may fall back to SSE and long polling
  std::unique_ptr<FallbackTransports> transports_;  ///< null unless a fallback share or a websocket_block fault is configured
};

}  // namespace wsfleet::models
