#pragma once
// Linux IPVS `lc` scheduler (net/netfilter/ipvs/ip_vs_lc.c), kube-proxy's --ipvs-scheduler=lc.
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `ipvs_lc`: the eligible destination with the smallest overhead `active * 256 + inactive`
/// (active_connections, inactive_connections); weights are ignored; the first in list (index)
/// order wins a tie.
class IpvsLc final : public BalancingPolicy {
 public:
  std::string name() const override { return "ipvs_lc"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;
};

}  // namespace wsfleet::models
