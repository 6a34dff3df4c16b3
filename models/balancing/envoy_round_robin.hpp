#pragma once
// Envoy's round_robin (source/extensions/load_balancing_policies/round_robin and
// common/load_balancer_impl.cc EdfLoadBalancerBase; scheduler: source/common/upstream/edf_scheduler.h).
#include <cstdint>
#include <vector>

#include "models/balancing/backend_changes.hpp"
#include "models/balancing/edf_scheduler.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `envoy_round_robin`: over the eligible (healthy) hosts, in index order. Equal weights:
/// hosts[index++ % n], the index starting at a per-balancer random value (`random_start` = 1, as
/// each Envoy worker does) or at 0. Unequal weights: an EDF schedule, every host first added with
/// deadline 1/weight in index order; a pick takes the earliest deadline (the earliest added on a
/// tie) and re-adds the host at now + 1/weight with its weight at that moment, so weights 5,1,1
/// give a a a a b c a a a a a a b c (the 5th pick ties at time 1 and b, added earlier, wins; then
/// a's fifth deadline, 0.2 added five times in doubles, lands just before 2.0, as in Envoy).
/// With `random_start` = 1 the schedule first skips a random number of picks below
/// ceil(total weight / smallest weight), Envoy's randomised start (createWithPicks). The
/// schedule is rebuilt when eligibility or the backend set changes (Envoy refreshes on health and
/// membership changes), but the equal-weight index is kept and goes on over the new host list (as
/// Envoy's rr_indexes_); a weight-only change is applied when the host is next re-added, as in Envoy.
class EnvoyRoundRobin final : public BalancingPolicy {
 public:
  explicit EnvoyRoundRobin(bool random_start) : random_start_(random_start) {}
  std::string name() const override { return "envoy_round_robin"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;

 private:
  void refresh(std::span<const BackendState> backends);
  bool random_start_;
  bool seeded_ = false;
  std::uint64_t seed_ = 0;
  std::vector<std::size_t> hosts_;  ///< eligible hosts at the last refresh
  bool weighted_ = false;
  std::uint64_t rr_index_ = 0;
  bool indexed_ = false;  ///< rr_index_ has been set to its start
  EdfScheduler edf_;
  BackendSnapshot snapshot_;
};

/// True when every eligible backend has the same weight (Envoy's hostWeightsAreEqual).
bool eligible_weights_equal(std::span<const BackendState> backends);

}  // namespace wsfleet::models
