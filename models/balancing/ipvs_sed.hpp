#pragma once
// Linux IPVS `sed` (shortest expected delay) scheduler (net/netfilter/ipvs/ip_vs_sed.c).
#include "models/balancing/ipvs_lc.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `ipvs_sed`: the eligible destination with the smallest (active + 1) / weight, compared by
/// cross-multiplication (`loh * weight > doh * least.weight` replaces the candidate, so the first
/// in list order wins a tie; the list runs newest first with `newest_first`, see IpvsLc). IPVS
/// weights are whole numbers: round(weight), at least 1.
class IpvsSed final : public BalancingPolicy {
 public:
  explicit IpvsSed(bool newest_first = true) : newest_first_(newest_first) {}
  std::string name() const override { return "ipvs_sed"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;

 private:
  bool newest_first_;
};

/// IPVS's whole-number weight for a balancer weight: round(weight), at least 1.
std::int64_t ipvs_weight(double weight);

}  // namespace wsfleet::models
