#pragma once
// Linux IPVS `lc` scheduler (net/netfilter/ipvs/ip_vs_lc.c), kube-proxy's --ipvs-scheduler=lc.
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `ipvs_lc`: the eligible destination with the smallest overhead `active * 256 + inactive`
/// (active_connections, inactive_connections); weights are ignored; the first in list order wins a
/// tie. The kernel adds each destination at the HEAD of the service's list (list_add_rcu in
/// __ip_vs_update_dest), so the list runs newest first: with `newest_first` the highest index (the
/// backend that joined last) comes first, else index order.
class IpvsLc final : public BalancingPolicy {
 public:
  explicit IpvsLc(bool newest_first = true) : newest_first_(newest_first) {}
  std::string name() const override { return "ipvs_lc"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;

 private:
  bool newest_first_;
};

/// Position k (0 = first) of IPVS's destination list over n backends: index n-1-k when the list
/// runs newest first (destinations join in index order), else k.
inline std::size_t ipvs_list_index(std::size_t k, std::size_t n, bool newest_first) {
  return newest_first ? n - 1 - k : k;
}

}  // namespace wsfleet::models
