#pragma once
// HAProxy `balance source` with `hash-type consistent` (src/backend.c get_server_sh, src/lb_chash.c).
#include "models/balancing/haproxy_chash.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `haproxy_source_consistent`: h = the client's IPv4 address (client_ipv4(key)), through
/// full_hash only with `avalanche` = 1 (HAProxy hashes the raw address for `source` unless the
/// avalanche modifier is set), looked up in HAProxy's consistent-hash tree (see HaproxyChash).
/// When a server goes down only its clients move.
class HaproxySourceConsistent final : public BalancingPolicy {
 public:
  explicit HaproxySourceConsistent(bool avalanche) : avalanche_(avalanche) {}
  std::string name() const override { return "haproxy_source_consistent"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;

 private:
  bool avalanche_;
  HaproxyChash tree_;
};

}  // namespace wsfleet::models
