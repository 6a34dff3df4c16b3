#pragma once
// Linux IPVS `sh` (source hashing) scheduler (net/netfilter/ipvs/ip_vs_sh.c).
#include <cstdint>
#include <vector>

#include "models/balancing/backend_changes.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `ipvs_sh`: a 256-bucket table filled by walking the destinations in order, each taking
/// `weight` consecutive buckets (whole-number weights, at least 1), round and round; the client
/// maps to bucket hash_32(ip, 8) (ip = client_ipv4(key), source port not used). kube-proxy takes
/// unready endpoints out of the service, so the table is rebuilt over the eligible destinations
/// when eligibility or weights change: most clients move when one destination leaves.
class IpvsSh final : public BalancingPolicy {
 public:
  std::string name() const override { return "ipvs_sh"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;

 private:
  void rebuild(std::span<const BackendState> backends);
  std::vector<int> buckets_;
  BackendSnapshot snapshot_;
};

}  // namespace wsfleet::models
