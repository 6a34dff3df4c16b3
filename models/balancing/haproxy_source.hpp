#pragma once
// HAProxy `balance source` with the default map-based hash (src/backend.c get_server_sh, src/lb_map.c).
#include "models/balancing/haproxy_map.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `haproxy_source`: h = the client's IPv4 address (client_ipv4(key), as a 32-bit number; XOR of
/// its 32-bit words for IPv6), passed through full_hash only with `avalanche` = 1 (`hash-type
/// map-based avalanche`); the server is map[h % map size] (see HaproxyMap), the map being rebuilt
/// over the usable servers whenever eligibility changes (so most clients move when one server
/// goes down). With a single usable server h is 0.
class HaproxySource final : public BalancingPolicy {
 public:
  explicit HaproxySource(bool avalanche) : avalanche_(avalanche) {}
  std::string name() const override { return "haproxy_source"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;

 private:
  bool avalanche_;
  HaproxyMap map_;
};

}  // namespace wsfleet::models
