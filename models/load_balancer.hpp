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
  /// With several workers, the pick is the current worker's (see accept()), over its own counts and caps.
  int pick(std::uint64_t key);
  /// A connection to backend `b` was opened (counts toward its active connections) by the current worker.
  void connection_opened(int b);
  /// A connection to backend `b` that worker `worker` opened closed.
  void connection_closed(int b, std::uint32_t worker = 0);
  /// All connections to backend `b` are gone (it crashed).
  void drop_all(int b);

  /// NGINX without a shared `zone`: the balancer runs 1 + more.size() worker processes, each with its
  /// own policy (its own smooth-WRR state), its own count of connections per backend (least_conn reads
  /// it) and its own cap (max_conns applies per worker); health and weights are the balancer's. Each
  /// new connection is accepted by one worker (accept()). `accept_rng` is drawn from with `reuseport`.
  void set_workers(std::vector<std::unique_ptr<BalancingPolicy>> more, bool reuseport, sim::Rng accept_rng);
  /// Worker processes (1 unless set_workers).
  std::uint32_t workers() const { return static_cast<std::uint32_t>(1 + more_.size()); }
  /// The worker that accepts the next connection: with `reuseport`, the kernel's hash of the
  /// connection's 4-tuple (a fresh source port each time: a uniform draw); without, the workers take
  /// turns (round robin). Nothing with one worker.
  void accept();
  /// The current worker (the one the last accept() chose).
  std::uint32_t worker() const { return worker_; }
  /// Worker `w` goes on with a connection it accepted earlier (its next pick and open are its own).
  void resume(std::uint32_t w) { worker_ = w; }
  /// Connections worker `w` has open to backend `b`.
  std::int64_t worker_connections(std::uint32_t w, int b) const {
    return more_.empty() ? backends_.at(static_cast<std::size_t>(b)).active_connections
                         : per_worker_.at(static_cast<std::size_t>(w) * backends_.size() + static_cast<std::size_t>(b));
  }
  /// Marks backend `b` up or down (the kBlockDown reason).
  void set_eligible(int b, bool eligible) { eligible ? unblock(b, kBlockDown) : block(b, kBlockDown); }
  /// Adds or removes one reason that keeps backend `b` from being picked.
  void block(int b, Block reason);
  void unblock(int b, Block reason);
  /// The reasons that currently keep `b` out for the current worker (0 = eligible): the balancer's
  /// own, plus kBlockPassive when the current worker's max_fails took it out.
  std::uint8_t blocks(int b) const {
    const std::uint8_t shared = blocks_.at(static_cast<std::size_t>(b));
    return passive_in(worker_, b) ? static_cast<std::uint8_t>(shared | kBlockPassive) : shared;
  }
  /// The reasons that keep `b` out for every worker: kBlockPassive only when all workers took it out.
  std::uint8_t blocks_everywhere(int b) const;

  /// NGINX `max_fails` per worker (no shared `zone`): worker `w` takes backend `b` out, or back. With
  /// one worker this is the balancer's kBlockPassive.
  void block_passive(std::uint32_t w, int b);
  void unblock_passive(std::uint32_t w, int b);
  /// Whether worker `w` has taken `b` out after its own failed tries (the balancer's block with one worker).
  bool passive_in(std::uint32_t w, int b) const {
    if (more_.empty()) return (blocks_.at(static_cast<std::size_t>(b)) & kBlockPassive) != 0;
    return worker_passive_.at(static_cast<std::size_t>(w) * backends_.size() + static_cast<std::size_t>(b)) != 0;
  }
  /// Caps every backend at `cap` connections from this balancer (0 = no cap).
  void set_connection_cap(std::int64_t cap);
  /// Sets backend `b`'s effective weight (> 0) and tells the policy.
  void set_weight(int b, double weight);
  /// A connection attempt to backend `b` failed (tells the policy: NGINX lowers its effective weight).
  void failure(int b);
  /// Updates the load a backend last reported.
  void set_load(int b, double cpu_utilisation, double response_time_s, double bandwidth_bps);

  /// Backends nothing blocks (for at least one worker, with several).
  std::size_t eligible_count() const;
  /// The balancer's current view.
  std::span<const BackendState> backends() const { return backends_; }
  /// The policy's registry name.
  std::string policy_name() const { return policy_->name(); }

 private:
  BackendState& at(int b);
  void update_cap(int b);
  /// Tells the policy that backend b's connections or eligibility changed (BalancingPolicy::track).
  void changed(int b);
  /// The policy of worker `w`.
  BalancingPolicy& policy_of(std::uint32_t w) { return w == 0 ? *policy_ : *more_[w - 1]; }
  std::unique_ptr<BalancingPolicy> policy_;
  std::vector<std::unique_ptr<BalancingPolicy>> more_;  ///< workers 1.. (NGINX without a zone)
  std::vector<std::int64_t> per_worker_;                 ///< worker x backend: its open connections
  std::vector<std::uint8_t> worker_passive_;             ///< worker x backend: out after that worker's max_fails
  std::size_t worker_passive_count_ = 0;                 ///< entries of worker_passive_ that are set
  std::vector<BackendState> view_;                       ///< the current worker's view, rebuilt per pick
  std::uint32_t worker_ = 0, next_worker_ = 0;
  bool reuseport_ = false;
  sim::Rng accept_rng_{0};
  std::vector<BackendState> backends_;
  std::vector<std::uint8_t> blocks_;
  std::int64_t cap_ = 0;
  std::size_t eligible_ = 0;
  sim::Rng rng_;
};

}  // namespace wsfleet::models
