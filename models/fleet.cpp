#include "models/fleet.hpp"

#include <chrono>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "models/fleet/attempt_steps.hpp"
#include "models/fleet/deployer.hpp"
#include "models/fleet/gray_failures.hpp"
#include "models/pubsub/channel_joins.hpp"
#include "models/pubsub/pubsub.hpp"
#include "models/transport/fallback_transports.hpp"
#include "models/transport/pusher_fallback.hpp"
#include "models/transport/session_opening.hpp"
#include "models/transport/signalr_fallback.hpp"

namespace wsfleet::models {

Fleet::Fleet(const FleetConfig& config) : cfg_(config), st_(cfg_, sim_) {
  if (cfg_.fleet.servers == 0) throw std::invalid_argument("fleet.servers must be >= 1");
  if (cfg_.fleet.servers >= (1u << 24) - 1) throw std::invalid_argument("fleet.servers must be below 16777215");
  if (cfg_.clients.count > std::numeric_limits<std::uint32_t>::max() - 1) {
    throw std::invalid_argument("clients.count is too large for one run");
  }
  if (st_.end <= 0 || sim::from_seconds(cfg_.run.sample_interval_s) <= 0) {
    throw std::invalid_argument("run.duration_s and run.sample_interval_s must be > 0");
  }
  if (cfg_.total_servers() >= (1u << 24) - 1) {
    throw std::invalid_argument("fleet.servers plus [[scaling]] additions, times 1 + the [[deploys]], must be below 16777215");
  }
  st_.specs = server_specs(cfg_);  // per-server limits, cores, memory and weight ([[fleet.classes]])
  for (std::size_t r = 0; r < st_.topo.regions(); ++r) {
    for (std::size_t site = 0; site < st_.topo.sites(); ++site) {
      st_.latency_ns.push_back(static_cast<double>(sim::from_seconds(st_.topo.latency_ms(r, site) / 1000.0)));
    }
  }
  Components& parts = st_.parts;
  connections_ = std::make_unique<Connections>(st_);
  parts.connections = connections_.get();
  servers_ = std::make_unique<ServerPool>(st_);
  parts.servers = servers_.get();
  balancers_ = std::make_unique<BalancerTier>(st_);
  parts.balancers = balancers_.get();
  if (cfg_.pubsub.enabled()) {
    pubsub_ = std::make_unique<PubSub>(st_);
    parts.pubsub = pubsub_.get();
    if (ChannelJoins::needed(cfg_)) joins_ = std::make_unique<ChannelJoins>(st_);
  }
  if (FallbackTransports::needed(cfg_)) {
    transports_ = std::make_unique<FallbackTransports>(st_);
    parts.transports = transports_.get();
  }
  if (PusherFallbackRace::needed(cfg_)) {
    race_ = std::make_unique<PusherFallbackRace>(st_);
    parts.race = race_.get();
  }
  if (SessionOpening::needed(cfg_)) {
    opening_ = std::make_unique<SessionOpening>(st_);
    parts.opening = opening_.get();
  }
  if (SignalRFallback::needed(cfg_)) {
    signalr_ = std::make_unique<SignalRFallback>(st_);
    parts.signalr = signalr_.get();
  }
  if (AttemptSteps::needed(st_)) {
    steps_ = std::make_unique<AttemptSteps>(st_);
    parts.steps = steps_.get();
  }
  if (GrayFailures::needed(cfg_)) {
    gray_ = std::make_unique<GrayFailures>(st_);
    parts.gray = gray_.get();
  }
  faults_ = std::make_unique<FaultInjector>(st_);
  scaling_ = std::make_unique<Scaling>(st_);
  if (!cfg_.deploys.empty()) {
    deployer_ = std::make_unique<Deployer>(st_);
    parts.deployer = deployer_.get();
  }
  rebalancer_ = std::make_unique<Rebalancer>(st_);
  if (cfg_.autoscaler.enabled()) {
    autoscaler_ = std::make_unique<Autoscaler>(st_);
    parts.autoscaler = autoscaler_.get();
  }
  sampler_ = std::make_unique<Sampler>(st_);
  // Who is told of what, in this order (part of a run's definition).
  st_.listeners.servers.push_back(balancers_.get());
  if (pubsub_) {
    st_.listeners.connections.push_back(pubsub_.get());
    st_.listeners.servers.push_back(pubsub_.get());
  }
  if (joins_) st_.listeners.connections.push_back(joins_.get());
  if (transports_) st_.listeners.connections.push_back(transports_.get());
  if (race_) st_.listeners.connections.push_back(race_.get());
  if (signalr_) st_.listeners.connections.push_back(signalr_.get());
  if (opening_ && cfg_.clients.remember_upgrade) st_.listeners.connections.push_back(opening_.get());  // priorWebsocketSuccess  // after the transports: the connection's transport is set
}

Fleet::~Fleet() = default;

RunResult Fleet::run(const ProgressFn& progress, std::uint64_t progress_every_events) {
  const auto wall_start = std::chrono::steady_clock::now();
  // The order of these first events is part of the run's definition (same-time events run in the
  // order they were scheduled).
  connections_->start();
  faults_->start();
  sampler_->start();
  scaling_->start();
  balancers_->start_health_checks();
  balancers_->start_load_reports();
  rebalancer_->start();
  if (pubsub_) pubsub_->start();
  if (deployer_) deployer_->start();
  if (autoscaler_) autoscaler_->start();
  if (progress) sim_.set_progress([&](sim::SimTime now, std::uint64_t n) { progress(now, n); }, progress_every_events);

  sim_.run_until(st_.end);
  sampler_->finish();
  if (deployer_) deployer_->finish();

  RunResult result;
  result.summary = make_summary();
  if (pubsub_) pubsub_->finish(result.summary);
  if (joins_) joins_->summarise(result.summary);
  if (opening_) opening_->summarise(result.summary);
  if (race_) race_->summarise(result.summary);
  if (signalr_) signalr_->summarise(result.summary);
  result.summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  check_conservation(result.summary);
  sampler_->take_series(result);
  return result;
}

RunSummary Fleet::make_summary() const {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  RunSummary s;
  s.scenario_name = cfg_.name;
  s.scenario_description = cfg_.description;
  s.seed = cfg_.run.seed;
  s.replication = cfg_.run.replication;
  s.simulated_seconds = sim::to_seconds(sim_.now());
  s.events_processed = sim_.events_processed();
  s.servers = cfg_.fleet.servers;
  s.total_servers = static_cast<std::uint32_t>(st_.servers.size());
  s.max_connections_per_server = 0;  // the largest limit (the classes' limits are in s.classes)
  for (const ServerSpec& spec : st_.specs) s.max_connections_per_server = std::max(s.max_connections_per_server, spec.max_connections);
  s.classes = fleet_classes(cfg_.fleet);
  for (const ServerSpec& spec : st_.specs) s.server_class.push_back(spec.class_index);
  s.balancer = cfg_.balancer.policy;
  s.backoff = cfg_.backoff.policy;
  s.clients = cfg_.clients.count;
  s.connections = st_.conn;
  s.connections.pending_at_end = st_.connecting;
  s.connections.active_at_end = st_.connected;
  s.connections.waiting_at_end = st_.waiting;
  servers_->summarise(s);
  sampler_->summarise(s);
  connections_->summarise(s);
  for (const auto& f : st_.faults) s.faults.push_back(f.outcome);
  if (deployer_) deployer_->summarise(s);
  balancers_->summarise(s);
  if (autoscaler_) autoscaler_->summarise(s);
  HeartbeatOutcome& hb = s.heartbeat;
  hb.frames_per_message = st_.msgs.sent > 0 ? static_cast<double>(st_.beats.sent) / static_cast<double>(st_.msgs.sent) : kNaN;
  hb.bytes = static_cast<double>(st_.beats.sent) * cfg_.heartbeat.frame_bytes;
  for (const auto& srv : st_.servers) hb.ghosts_at_end += srv.ghosts;
  if (transports_) {
    transports_->summarise(s, st_.connected);
  } else {
    s.transport.at_end.websocket = st_.connected;
    s.transport.peak.websocket = s.peak_connections;
    s.transport.fallback_share_at_end = st_.connected > 0 ? 0.0 : kNaN;
    s.transport.peak_fallback_share = s.peak_connections > 0 ? 0.0 : kNaN;
  }
  const Topology& topo = st_.topo;
  if (cfg_.topology.enabled()) {
    for (std::uint32_t site = 0; site < topo.sites(); ++site) {
      SiteOutcome out{topo.site_name(site), topo.site_servers(site), 0};
      for (std::uint32_t b = topo.first_server(site); b < topo.first_server(site + 1); ++b) out.active_at_end += st_.servers[b].connected;
      s.sites.push_back(out);
    }
    std::vector<std::uint64_t> per_region(topo.regions(), 0);
    for (const Client& c : st_.clients) ++per_region[c.region];
    for (std::uint32_t r = 0; r < topo.regions(); ++r) {
      const std::uint32_t nearest = topo.nearest_sites(r).front();
      s.regions.push_back({topo.region_name(r), per_region[r], topo.site_name(nearest), topo.latency_ms(r, nearest)});
    }
  }
  return s;
}

void Fleet::check_conservation(RunSummary& summary) const {
  // Each component checks what it accounts for.
  connections_->conservation(summary);
  servers_->conservation(summary);
  balancers_->conservation(summary);
  FallbackTransports::conservation(summary, transports_.get());
  if (pubsub_) pubsub_->conservation(summary);
  if (joins_) joins_->conservation(summary);
  if (opening_) opening_->conservation(summary);
  if (race_) race_->conservation(summary);
  if (signalr_) signalr_->conservation(summary);
  if (deployer_) deployer_->conservation(summary, autoscaler_ ? autoscaler_->drained() : scaling_->drained());
  if (autoscaler_) autoscaler_->conservation(summary);
  if (gray_) gray_->conservation(summary);
  sampler_->conservation(summary);
  std::ostringstream broken;
  for (const auto& c : summary.conservation) {
    if (!c.ok) broken << "\n  " << c.name << ": " << c.equation << " does not hold: " << c.values;
  }
  if (!broken.str().empty()) throw ConservationError("conservation check failed (a bug in wsfleet):" + broken.str());
}

}  // namespace wsfleet::models
