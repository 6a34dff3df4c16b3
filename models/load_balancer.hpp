#pragma once
// The balancer in front of the fleet: keeps its view of every backend and asks its policy to pick.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "models/balancing_policy.hpp"
#include "sim/random.hpp"

namespace wsfleet::models {

/// One load balancer: a policy plus the balancer's own view of the backends. A backend is eligible
/// when nothing blocks it; the reasons are kept apart so that, say, a health check bringing a backend
/// back does not undo a drain.
class LoadBalancer {
 public:
  /// Why a backend may not be picked (bit flags).
  enum Block : std::uint8_t {
    kBlockDown = 1,       ///< health checks (or the oracle) say it is down
    kBlockPassive = 2,    ///< out for fail_timeout after too many failed tries
    kBlockDraining = 4,   ///< being removed: no new connections
    kBlockCapped = 8,     ///< at max_connections_per_backend
    kBlockAbsent = 16,    ///< not (yet, or no longer) part of the fleet
    kBlockTried = 32,     ///< already tried for the connection being routed
  };
  /// The reasons that mean the balancer has taken a backend out (rather than a passing cap or try).
  static constexpr std::uint8_t kOutOfService = kBlockDown | kBlockPassive | kBlockDraining;

  /// A balancer over one backend per weight (weights > 0), drawing from its own random stream.
  LoadBalancer(std::unique_ptr<BalancingPolicy> policy, const std::vector<double>& weights, sim::Rng rng);

  /// Picks a backend for a new connection from a client with stable identity `key`; kNoBackend if none is eligible.
  int pick(std::uint64_t key);
  /// A connection to backend `b` was opened (counts toward its active connections).
  void connection_opened(int b);
  /// A connection to backend `b` closed.
  void connection_closed(int b);
  /// All connections to backend `b` are gone (it crashed).
  void drop_all(int b);
  /// Marks backend `b` up or down (the kBlockDown reason).
  void set_eligible(int b, bool eligible) { eligible ? unblock(b, kBlockDown) : block(b, kBlockDown); }
  /// Adds or removes one reason that keeps backend `b` from being picked.
  void block(int b, Block reason);
  void unblock(int b, Block reason);
  /// The reasons that currently keep `b` out (0 = eligible).
  std::uint8_t blocks(int b) const { return blocks_.at(static_cast<std::size_t>(b)); }
  /// Caps every backend at `cap` connections from this balancer (0 = no cap).
  void set_connection_cap(std::int64_t cap);
  /// Sets backend `b`'s effective weight (> 0) and tells the policy.
  void set_weight(int b, double weight);
  /// A connection attempt to backend `b` failed (tells the policy: NGINX lowers its effective weight).
  void failure(int b);
  /// Updates the load a backend last reported.
  void set_load(int b, double cpu_utilisation, double response_time_s, double bandwidth_bps);

  /// Backends nothing blocks.
  std::size_t eligible_count() const { return eligible_; }
  /// The balancer's current view.
  std::span<const BackendState> backends() const { return backends_; }
  /// The policy's registry name.
  std::string policy_name() const { return policy_->name(); }

 private:
  BackendState& at(int b);
  void update_cap(int b);
  std::unique_ptr<BalancingPolicy> policy_;
  std::vector<BackendState> backends_;
  std::vector<std::uint8_t> blocks_;
  std::int64_t cap_ = 0;
  std::size_t eligible_ = 0;
  sim::Rng rng_;
};

}  // namespace wsfleet::models
