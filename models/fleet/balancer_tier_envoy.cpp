// The Envoy presets' outlier detection and panic threshold in the balancer tier (the rules and their
// sources: models/balancer/envoy_outlier.hpp). Outlier detection runs only when configured
// (consecutive_5xx > 0): a host whose connects fail consecutive_5xx times in a row is ejected unless
// that would take the ejected share above max_ejection_percent; it comes back at the first interval
// tick after base_ejection_time x its ejection backoff. Below healthy_panic_threshold percent healthy
// hosts (checks and ejections) the balancer picks among every host.
#include <utility>
#include <vector>

#include "models/fleet/balancer_tier.hpp"

namespace wsfleet::models {

namespace {

constexpr std::uint8_t kUnhealthy = LoadBalancer::kBlockDown | LoadBalancer::kBlockPassive;
constexpr std::uint8_t kNotAHost = LoadBalancer::kBlockAbsent | LoadBalancer::kBlockDraining;  // excluded hosts

}  // namespace

int BalancerTier::pick_for(BalancerNode& node, std::uint64_t key) {
  LoadBalancer& lb = *node.lb;
  if (!envoy_ || envoy_->healthy_panic_threshold <= 0.0) return lb.pick(key);
  std::size_t hosts = 0, healthy = 0;
  for (std::size_t b = 0; b < lb.backends().size(); ++b) {
    const std::uint8_t blocks = lb.blocks(static_cast<int>(b));
    if ((blocks & kNotAHost) != 0) continue;
    ++hosts;
    if ((blocks & kUnhealthy) == 0) ++healthy;
  }
  if (!envoy_->panic(healthy, hosts)) return lb.pick(key);
  // Panic: the load balancer uses every host, healthy or not, for this pick.
  std::vector<std::pair<int, std::uint8_t>> restore;
  for (std::size_t b = 0; b < lb.backends().size(); ++b) {
    const int backend = static_cast<int>(b);
    const std::uint8_t bits = lb.blocks(backend) & kUnhealthy;
    if (bits == 0 || (lb.blocks(backend) & kNotAHost) != 0) continue;
    restore.emplace_back(backend, bits);
    if ((bits & LoadBalancer::kBlockDown) != 0) lb.unblock(backend, LoadBalancer::kBlockDown);
    if ((bits & LoadBalancer::kBlockPassive) != 0) lb.unblock(backend, LoadBalancer::kBlockPassive);
  }
  const int pick = lb.pick(key);
  for (const auto& [backend, bits] : restore) {
    if ((bits & LoadBalancer::kBlockDown) != 0) lb.block(backend, LoadBalancer::kBlockDown);
    if ((bits & LoadBalancer::kBlockPassive) != 0) lb.block(backend, LoadBalancer::kBlockPassive);
  }
  ++node.counts.panic_picks;
  return pick;
}

void BalancerTier::envoy_failure(BalancerNode& node, std::uint32_t server) {
  LoadBalancer& lb = *node.lb;
  const std::size_t b = node.slot(server);
  const int backend = node.local(server);
  if ((lb.blocks(backend) & LoadBalancer::kBlockPassive) != 0) return;  // already ejected
  if (++node.fails[b] < envoy_->consecutive_5xx) return;
  node.fails[b] = 0;  // onConsecutiveErrorWorker resets the counter, ejected or not
  std::size_t hosts = 0, ejected = 0;
  for (std::size_t k = 0; k < lb.backends().size(); ++k) {
    const std::uint8_t blocks = lb.blocks(static_cast<int>(k));
    if ((blocks & LoadBalancer::kBlockAbsent) != 0) continue;  // host_monitors_: the cluster's hosts
    ++hosts;
    if ((blocks & LoadBalancer::kBlockPassive) != 0) ++ejected;
  }
  if (!envoy_->may_eject(ejected, hosts)) {
    ++node.counts.ejections_overflow;
    return;
  }
  lb.block(backend, LoadBalancer::kBlockPassive);
  node.ejected_at[b] = st_.sim.now();
  node.eject_backoff[b] = envoy_->next_backoff(node.eject_backoff[b]);
  ++node.counts.ejections;
  ++node.counts.marked_down;
  note_detection(index_of(node), server);
}

void BalancerTier::uneject(BalancerNode& node, std::size_t backend) {
  node.lb->unblock(static_cast<int>(backend), LoadBalancer::kBlockPassive);
  node.fails[backend] = 0;
  node.unejected_at[backend] = st_.sim.now();
  ++node.counts.unejections;
}

void BalancerTier::outlier_interval(std::uint32_t balancer) {
  const sim::SimTime now = st_.sim.now();
  if (now + envoy_->interval <= st_.end) st_.sim.schedule_at(now + envoy_->interval, self_, kOutlierInterval, balancer);
  BalancerNode& node = nodes_[balancer];
  LoadBalancer& lb = *node.lb;
  for (std::size_t b = 0; b < lb.backends().size(); ++b) {  // checkHostForUneject
    if ((lb.blocks(static_cast<int>(b)) & LoadBalancer::kBlockPassive) == 0) continue;
    if (now - node.ejected_at[b] >= envoy_->ejection_time(node.eject_backoff[b])) uneject(node, b);
  }
  for (std::size_t b = 0; b < lb.backends().size(); ++b) {  // the backoff of hosts back for an interval shrinks
    if ((lb.blocks(static_cast<int>(b)) & LoadBalancer::kBlockPassive) != 0) continue;
    if (node.unejected_at[b] >= 0 && now - node.unejected_at[b] >= envoy_->interval && node.eject_backoff[b] > 0) {
      --node.eject_backoff[b];
    }
  }
}

}  // namespace wsfleet::models
