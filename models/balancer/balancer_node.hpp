#pragma once
// One balancer of the tier as the fleet runs it: the LoadBalancer (policy and view) plus what this
// balancer alone knows and limits: its belief about each backend's health, passive failure counts
// (NGINX max_fails/fail_timeout), slow-start ramps, its new-connection rate limit, its source ports
// and its stick table.
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "models/balancer/health_state.hpp"
#include "models/fleet_config.hpp"
#include "models/load_balancer.hpp"
#include "sim/time.hpp"
#include "sim/token_bucket.hpp"

namespace wsfleet::models {

/// Counters of one balancer over a run.
struct BalancerCounts {
  std::uint64_t routed = 0;            ///< connections it handed to a backend
  std::uint64_t rate_limited = 0;      ///< new connections it refused over its rate limit
  std::uint64_t port_exhausted = 0;    ///< tries that found no free source port to the backend
  std::uint64_t failed_tries = 0;      ///< tries to a backend that was down (refused)
  std::uint64_t marked_down = 0;       ///< health or passive transitions to "down"
  std::uint64_t peak_ports = 0;        ///< most source ports in use towards one backend
  std::uint64_t connect_timeouts = 0;  ///< its connects to a server that never answered (site_partition), timed out
  std::uint64_t connect_completions = 0;  ///< of those connects, answered at a SYN retransmission after the partition healed
  // HAProxy presets only (models/balancer/haproxy_backend.hpp): the maxconn queue and the retries.
  std::uint64_t queued = 0;            ///< connections that waited in its queue (every server at maxconn)
  std::uint64_t dequeued = 0;          ///< of those, the ones a freed slot took
  std::uint64_t queue_timeouts = 0;    ///< of those, the ones `timeout queue` answered with a 503
  std::uint64_t queue_abandoned = 0;   ///< of those, the ones whose client timed out first
  std::uint64_t queue_cut = 0;         ///< of those, the ones lost when the balancer crashed
  std::uint64_t retry_waits = 0;       ///< retries that waited the turn-around (min(timeout connect, 1 s))
  std::uint64_t retry_resumed = 0;     ///< of those, the ones whose wait ended with the retry
  std::uint64_t retry_abandoned = 0;   ///< of those, the ones whose client timed out first
  std::uint64_t retry_cut = 0;         ///< of those, the ones lost when the balancer crashed
  std::uint64_t redispatches = 0;      ///< retries sent to another server (option redispatch)
  // Envoy presets only (models/balancer/envoy_outlier.hpp).
  std::uint64_t ejections = 0;         ///< hosts outlier detection ejected
  std::uint64_t ejections_overflow = 0;  ///< ejections max_ejection_percent prevented
  std::uint64_t unejections = 0;       ///< ejected hosts back in the rotation
  std::uint64_t panic_picks = 0;       ///< picks made among every host (below the healthy panic threshold)
};

/// HAProxy: a connection waiting in a balancer's queue.
struct QueuedConnection {
  std::uint32_t client = 0;
  sim::SimTime since = 0;  ///< when it joined the queue
};

/// The state of one balancer during a run.
struct BalancerNode {
  /// A balancer in front of the servers [first, first + backends) of one site.
  BalancerNode(std::unique_ptr<LoadBalancer> balancer, std::uint32_t site_index, std::uint32_t first_server,
               std::size_t backends, double rate_limit)
      : lb(std::move(balancer)),
        site(site_index),
        first(first_server),
        health(backends),
        fails(backends, 0),
        checked(backends, 0),
        warm_since(backends, -1),
        warm_gen(backends, 0),
        base_weight(backends, 1.0),
        limiter(rate_limit, rate_limit) {}

  std::unique_ptr<LoadBalancer> lb;
  std::uint32_t site;                       ///< the site it serves
  std::uint32_t first;                      ///< its backend i is server first + i
  /// Its index of server `server` (which must be in its site).
  int local(std::uint32_t server) const { return static_cast<int>(server - first); }
  /// The same, as a vector index.
  std::size_t slot(std::uint32_t server) const { return server - first; }
  std::vector<HealthState> health;          ///< per backend: the health-check belief
  std::vector<std::uint32_t> fails;         ///< per backend: passive failures in the current window
  std::vector<sim::SimTime> checked;        ///< per backend: time of the last passive failure
  std::vector<sim::SimTime> warm_since;     ///< per backend: start of its slow start, -1 when not warming
  std::vector<std::uint32_t> warm_gen;      ///< per backend: slow-start generation (stale steps are ignored)
  std::vector<double> base_weight;          ///< per backend: configured weight
  sim::TokenBucket limiter;                 ///< new connections per second
  std::vector<std::int32_t> stick;          ///< per client: remembered server (source-IP stickiness), -1 = none
  bool up = true;                           ///< running
  bool resolvable = true;                   ///< clients still reach it by DNS (false after failover_s down)
  std::uint32_t down_gen = 0;               ///< times it went down (stale failover timers are ignored)
  std::deque<QueuedConnection> queue;       ///< HAProxy: clients waiting for a server below maxconn, oldest first
  bool queue_served_soon = false;           ///< HAProxy: a pass over the queue is scheduled
  std::vector<std::uint32_t> eject_backoff;  ///< Envoy: per backend, its ejection backoff (ejectTimeBackoff)
  std::vector<sim::SimTime> ejected_at;      ///< Envoy: per backend, its last ejection
  std::vector<sim::SimTime> unejected_at;    ///< Envoy: per backend, its last return (-1: never ejected)
  BalancerCounts counts;
};

}  // namespace wsfleet::models
