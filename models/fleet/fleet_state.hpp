#pragma once
// The state every component of a fleet run shares, made explicit: the scenario, the simulator, the
// network, the servers and the clients, the connection ledger and the faults' outcomes. Each
// component owns the rest of its state (its events, its random streams, its own counters), asks
// others for work through their public interfaces (`Components`), and learns of connections and
// servers through listeners (models/fleet/listeners.hpp).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "models/client.hpp"
#include "models/fleet/listeners.hpp"
#include "models/fleet/refusal_tally.hpp"
#include "models/fleet_config.hpp"
#include "models/run_summary.hpp"
#include "models/server.hpp"
#include "models/server_classes.hpp"
#include "models/topology.hpp"
#include "sim/random.hpp"
#include "sim/simulator.hpp"

namespace wsfleet::models {

class Connections;
class ServerPool;
class BalancerTier;
class PubSub;
class FallbackTransports;
class SessionOpening;
class PusherFallbackRace;
class AttemptSteps;
class SignalRFallback;
class Deployer;
class GrayFailures;
class Autoscaler;

/// Scenario durations (ramp, heartbeat interval, timeout, recovery delay, session lengths, message
/// gaps) may be far longer than any run: the loader accepts e.g. recover_after_s = 1e300, meaning
/// "not within this run". sim::from_seconds cannot represent such times, so they saturate to a time
/// past the end of the run that can still be added to any time up to `end` without overflow.
/// Durations sim::from_seconds can represent keep their exact value.
inline sim::SimTime duration_ns(double seconds, sim::SimTime end) {
  const sim::SimTime far = std::numeric_limits<sim::SimTime>::max() - end;
  if (!(seconds < 9.0e9)) return far;  // from_seconds' limit; also +inf and NaN
  return std::min(sim::from_seconds(seconds), far);
}

/// Connection counters of the current sample interval (the clients' view: some attempts never
/// reach a server).
struct IntervalCounts {
  std::uint64_t retries = 0, gave_up = 0, attempts = 0, rejected = 0, failed = 0;
};

/// What the run knows of one fault (a configured one, or an out-of-memory kill) while it runs.
struct FaultState {
  FaultOutcome outcome;
  std::uint64_t outstanding = 0;     ///< clients it dropped that are not connected again
  bool incomplete = false;           ///< one of them gave up: it never fully recovers
  std::uint64_t pending_nodes = 0;   ///< server crash: bit per running balancer that still sends it new connections
};

/// The components of a run, for the ones that call each other (set by the Fleet; optional ones null).
struct Components {
  Connections* connections = nullptr;
  ServerPool* servers = nullptr;
  BalancerTier* balancers = nullptr;
  PubSub* pubsub = nullptr;                  ///< null without [pubsub]
  FallbackTransports* transports = nullptr;  ///< null without fallback clients or websocket_block faults
  PusherFallbackRace* race = nullptr;        ///< null unless the clients race pusher-js's HTTP fallback (clients.pusher_fallback)
  SessionOpening* opening = nullptr;         ///< null unless the clients' library sends HTTP requests before its WebSocket
  AttemptSteps* steps = nullptr;             ///< null unless `opening` or `race` is set (the steps around the WebSocket handshake)
  SignalRFallback* signalr = nullptr;        ///< null unless SignalR clients may fall back to SSE and long polling
  Deployer* deployer = nullptr;              ///< null without [[deploys]]
  GrayFailures* gray = nullptr;              ///< null without slow_server or health_flap faults
  Autoscaler* autoscaler = nullptr;          ///< null without [autoscaler]
};

/// The shared state of one fleet run.
struct FleetState {
  FleetState(const FleetConfig& config, sim::Simulator& simulator)
      : cfg(config),
        sim(simulator),
        streams(config.run.seed, config.run.replication),
        end(sim::from_seconds(config.run.duration_s)),
        topo(config.topology, config.total_servers(), config.autoscaler_site_slots()) {}

  const FleetConfig& cfg;
  sim::Simulator& sim;
  sim::StreamFactory streams;         ///< every component draws its own named streams from it
  sim::SimTime end = 0;               ///< the run's end, ns
  Topology topo;
  std::vector<double> latency_ns;     ///< regions x sites: one-way network latency, ns
  std::vector<ServerSpec> specs;      ///< per server: its class's limits, cores, memory and weight
  std::vector<Server> servers;        ///< every server that ever exists (absent ones until a [[scaling]] add)
  std::vector<Client> clients;
  std::vector<std::uint32_t> gens;    ///< per client: generation of its current attempt/connection
  ConnectionCounts conn;              ///< the whole run's connection ledger
  /// Per [[topology.sites]] site: connection attempts by the clients whose nearest site it is (the
  /// demand its front door sees, wherever the attempt is then sent). Sized only for per-site
  /// autoscalers (their KEDA activation from zero); empty otherwise.
  std::vector<std::uint64_t> home_attempts;
  MessageCounts msgs, beats;          ///< data messages and heartbeats, as servers see them
  std::uint64_t connected = 0, connecting = 0, waiting = 0;
  IntervalCounts iv;
  RefusalTally refusals;              ///< refusals per server and balancer by cause (sized and sampled by the Sampler)
  std::vector<FaultState> faults;     ///< configured faults first, then out-of-memory kills
  Components parts;
  Listeners listeners;                ///< who is told of connections and servers (models/fleet/listeners.hpp)

  /// The duration, saturated past the end of the run (see duration_ns).
  sim::SimTime duration(double seconds) const { return duration_ns(seconds, end); }
  /// One-way latency from region `region` to site `site`, ns.
  double latency(std::uint32_t region, std::uint32_t site) const {
    return latency_ns[static_cast<std::size_t>(region) * topo.sites() + site];
  }
  /// Timers of clients carry (generation << 32 | client).
  static std::uint64_t pack(std::uint32_t client, std::uint32_t gen) {
    return (static_cast<std::uint64_t>(gen) << 32) | client;
  }
};

}  // namespace wsfleet::models
