#pragma once
// Random combinations of every feature on small fleets (balancer, health, limits, tiers, stickiness,
// scaling, topology, heartbeats, half-open connections, shedding, pub/sub, fallback transports and
// faults), drawn from a seed: shared by the combination tests and the golden hashes.
#include <algorithm>
#include <string>

#include "sim/random.hpp"
#include "tests/cpp/fleet_fixtures.hpp"

namespace wsfleet::testing {

/// The combination drawn from `seed` (the same seed always gives the same configuration).
inline models::FleetConfig random_config(std::uint64_t seed) {
  sim::Rng rng = sim::StreamFactory(seed, 0).stream("combinations");
  auto pick = [&](int n) { return static_cast<int>(rng.uniform01() * n); };
  auto chance = [&](double p) { return rng.uniform01() < p; };
  auto cfg = small_fleet();
  cfg.run.seed = seed;
  cfg.run.duration_s = 90.0;
  cfg.clients.count = 300 + static_cast<std::uint64_t>(pick(500));
  cfg.fleet.servers = 2 + static_cast<std::uint32_t>(pick(4));
  cfg.fleet.max_connections = 100 + static_cast<std::uint32_t>(pick(400));
  const char* policies[] = {"round_robin", "least_connections", "random", "random_two_choices"};
  cfg.balancer.policy = policies[pick(4)];
  const char* backoffs[] = {"full_jitter", "socketio", "signalr", "ably", "grpc", "aws_standard", "immediate"};
  cfg.backoff.policy = backoffs[pick(7)];
  cfg.backoff.params.clear();
  cfg.balancer.health_check.mode = static_cast<models::HealthCheckMode>(pick(3));
  cfg.balancer.health_check.interval_s = 1.0 + pick(5);
  if (chance(0.5)) cfg.balancer.passive = {static_cast<std::uint32_t>(1 + pick(3)), 5.0};
  cfg.balancer.tries = static_cast<std::uint32_t>(pick(3));
  if (chance(0.3)) cfg.balancer.max_connections_per_backend = 50 + static_cast<std::uint32_t>(pick(200));
  if (chance(0.3)) cfg.balancer.max_new_connections_per_s = 20.0 + pick(100);
  if (chance(0.3)) cfg.balancer.source_ports = 30 + static_cast<std::uint32_t>(pick(100));
  cfg.balancer.count = 1 + static_cast<std::uint32_t>(pick(3));
  cfg.balancer.sticky = static_cast<models::Stickiness>(pick(3));
  if (chance(0.4)) cfg.balancer.slow_start.window_s = 5.0 + pick(20);
  if (chance(0.3)) cfg.balancer.idle_timeout_s = 20.0 + pick(40);
  if (chance(0.5)) {
    cfg.clients.session_s = sim::Distribution::exponential(10.0 + pick(40));
    cfg.clients.on_session_end = chance(0.8) ? models::SessionEnd::Reconnect : models::SessionEnd::Leave;
  }
  if (chance(0.4)) cfg.clients.vanish_share = 0.05 + 0.3 * rng.uniform01();
  cfg.clients.heartbeat_interval_s = chance(0.2) ? 0.0 : 5.0 + pick(30);
  cfg.heartbeat.sender = static_cast<models::HeartbeatSender>(pick(2));
  cfg.heartbeat.mode = static_cast<models::HeartbeatMode>(pick(2));
  cfg.heartbeat.peer_timeout_s = chance(0.5) ? 0.0 : 20.0 + pick(40);
  if (chance(0.3)) cfg.fleet.idle_close_s = 15.0 + pick(60);
  if (chance(0.3)) cfg.fleet.admission = {static_cast<double>(20 + pick(100)), chance(0.5) ? 50.0 : 0.0, 20.0, 0.5 * pick(4)};
  if (chance(0.3)) cfg.fleet.rebalance = {3.0 + pick(5), 0.1, static_cast<std::uint32_t>(5 + pick(50))};
  if (chance(0.4)) {
    models::ScalingEvent e;
    e.at_s = 20.0 + pick(40);
    e.add = static_cast<std::uint32_t>(pick(3));
    e.remove = e.add == 0 ? 1 : static_cast<std::uint32_t>(pick(2));
    e.drain_timeout_s = 5.0 + pick(20);
    cfg.scaling.push_back(e);
  }
  if (chance(0.3)) {
    const std::uint32_t total = cfg.total_servers();
    const std::uint32_t first = total / 2;
    cfg.topology.links = {{"eu", "a", 5.0}, {"a", "b", 30.0}, {"us", "b", 3.0}};
    cfg.topology.sites = {{"a", first}, {"b", total - first}};
    cfg.topology.regions = {{"eu", 0.5}, {"us", 0.5}};
    if (first == 0) cfg.topology = {};
  }
  const std::uint32_t total = cfg.total_servers();
  for (int k = pick(4); k > 0; --k) {
    const int kind = pick(3);
    const double at = 10.0 + pick(60);
    const std::optional<double> back = chance(0.5) ? std::optional<double>(5.0 + pick(30)) : std::nullopt;
    models::CrashFault f = models::CrashFault::of_server(static_cast<std::uint32_t>(pick(static_cast<int>(total))), at, back);
    if (kind == 1) {
      f.target = models::FaultTarget::Balancer;
      f.balancer = static_cast<std::uint32_t>(pick(static_cast<int>(cfg.balancer.count * (cfg.topology.enabled() ? 2 : 1))));
    } else if (kind == 2 && cfg.topology.enabled()) {
      f.target = models::FaultTarget::Site;
      static const std::string kSites[] = {"a", "b"};
      f.site = kSites[pick(2)];
    }
    cfg.faults.push_back(f);
  }
  // Fallback transports (drawn last: the combinations above stay what they were).
  if (chance(0.4)) {
    cfg.transport.long_polling_share = 0.5 * rng.uniform01();
    cfg.transport.sse_share = chance(0.5) ? 0.3 * rng.uniform01() : 0.0;
    cfg.transport.long_polling.poll_timeout_s = 2.0 + pick(25);
    cfg.transport.long_polling.pong_posts = chance(0.7);
  }
  if (chance(0.3)) {
    models::CrashFault f;
    f.target = models::FaultTarget::WebSocketBlock;
    f.at_s = 10.0 + pick(60);
    f.share = 0.1 + 0.9 * rng.uniform01();
    if (chance(0.5)) f.recover_after_s = 5.0 + pick(30);
    cfg.faults.push_back(f);
  }
  // Pub/sub on half of the combinations (its own stream: the draws above stay as they were).
  sim::Rng prng = sim::StreamFactory(seed, 0).stream("combinations.pubsub");
  auto ppick = [&](int n) { return static_cast<int>(prng.uniform01() * n); };
  if (prng.uniform01() < 0.5) {
    models::PubSubSection& p = cfg.pubsub;
    p.channels = 1 + static_cast<std::uint32_t>(ppick(30));
    p.subscriptions = 1 + static_cast<std::uint32_t>(ppick(static_cast<int>(std::min<std::uint32_t>(p.channels, 4))));
    p.zipf_s = 0.5 * ppick(4);
    p.message_bytes = 200.0 + ppick(2000);
    p.client_publish_share = ppick(2) == 0 ? 0.0 : 0.5;
    p.feed.channels = static_cast<std::uint32_t>(ppick(static_cast<int>(p.channels) + 1));
    p.feed.rate_per_s = 1.0 + ppick(30);
    p.feed.process = static_cast<models::FeedProcess>(ppick(2));
    if (ppick(2) == 0) p.links = {{"fast", 0.6, 0.0}, {"slow", 0.4, 1.0 + ppick(20)}};
    p.buffer.policy = static_cast<models::BufferPolicy>(ppick(7));
    p.buffer.limit_kib = 4.0 + ppick(60);
    p.buffer.close_on_limit = p.buffer.policy == models::BufferPolicy::Uws && ppick(2) == 0;
    if (ppick(3) == 0) p.buffer.delta_ratio = 0.3;
    p.broker.mode = static_cast<models::BrokerMode>(ppick(2));
    p.broker.capacity_per_s = 100.0 + ppick(5000);
    if (ppick(2) == 0) p.resume = {10.0 + ppick(60), static_cast<std::uint32_t>(ppick(3) * 50)};
    if (ppick(2) == 0) {
      p.history.size = static_cast<std::uint32_t>(ppick(200));
      p.history.ttl_s = ppick(2) == 0 ? 0.0 : 5.0 + ppick(60);
      if (!p.history.enabled()) p.history.size = 20;
      p.history.fetch = static_cast<models::HistoryFetch>(ppick(2));
      p.history.fetch_ms = ppick(1000);
    }
    if (ppick(2) == 0) {
      cfg.fleet.memory_limit_mib = cfg.fleet.base_memory_mib + 20.0 + ppick(60);
      cfg.fleet.restart_s = 2.0 + ppick(10);
    }
    if (ppick(2) == 0) {
      models::CrashFault outage;
      outage.target = models::FaultTarget::Broker;
      outage.at_s = 10.0 + ppick(60);
      if (ppick(2) == 0) outage.recover_after_s = 1.0 + ppick(10);
      cfg.faults.push_back(outage);
    }
  }
  return cfg;
}

}  // namespace wsfleet::testing
