#include "models/balancing/envoy_round_robin.hpp"

#include <algorithm>
#include <cmath>

namespace wsfleet::models {

bool eligible_weights_equal(std::span<const BackendState> backends) {
  const BackendState* first = nullptr;
  for (const BackendState& b : backends) {
    if (!b.eligible) continue;
    if (first == nullptr) {
      first = &b;
    } else if (b.weight != first->weight) {
      return false;
    }
  }
  return true;
}

void EnvoyRoundRobin::refresh(std::span<const BackendState> backends) {
  hosts_.clear();
  for (std::size_t i = 0; i < backends.size(); ++i) {
    if (backends[i].eligible) hosts_.push_back(i);
  }
  // Envoy keeps the unweighted index across host-set and health changes (refreshHostSource:
  // rr_indexes_.insert({source, seed_}) "on purpose so that we don't overwrite the index"): it starts
  // at the seed once and then only advances.
  if (!indexed_) {
    rr_index_ = seed_;
    indexed_ = true;
  }
  weighted_ = hosts_.size() > 1 && !eligible_weights_equal(backends);
  edf_.clear();
  if (!weighted_) return;
  double total = 0.0, smallest = backends[hosts_.front()].weight;
  for (const std::size_t h : hosts_) {
    edf_.add(h, backends[h].weight);
    total += backends[h].weight;
    smallest = std::min(smallest, backends[h].weight);
  }
  if (!random_start_) return;
  const std::uint64_t cycle = static_cast<std::uint64_t>(std::ceil(total / smallest));
  for (std::uint64_t skip = seed_ % std::max<std::uint64_t>(cycle, 1); skip > 0; --skip) {
    const std::size_t h = edf_.pop();
    edf_.add(h, backends[h].weight);
  }
}

int EnvoyRoundRobin::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  if (!seeded_) {
    seed_ = random_start_ ? rng.next_u64() : 0;
    seeded_ = true;
  }
  const bool members = snapshot_.members_changed(backends);  // weights are read when re-adding
  const bool health = snapshot_.eligibility_changed(backends);
  if (members || health) refresh(backends);
  if (hosts_.empty()) return kNoBackend;
  if (!weighted_) return static_cast<int>(hosts_[rr_index_++ % hosts_.size()]);
  const std::size_t h = edf_.pop();
  edf_.add(h, backends[h].weight);
  return static_cast<int>(h);
}

}  // namespace wsfleet::models
