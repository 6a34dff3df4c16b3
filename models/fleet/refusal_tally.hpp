#pragma once
// Refusals by cause and by where they happened, per sample interval: the series behind
// wsfleet_connection_refusals_total{server, cause} and wsfleet_balancer_connection_refusals_total
// {balancer, cause}. Every refused attempt is counted once, on its server when the cause has one
// (server_full, shed, timeout, backend_down, crash) and otherwise on the balancer it went through
// (no_backend, rate_limited, balancer_down, source_ports); the whole-run totals per cause are kept
// for the conservation check against the connection ledger.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "models/fleet/refusal.hpp"

namespace wsfleet::models {

/// Per-interval refusal counts per server and per balancer, by cause.
class RefusalTally {
 public:
  static constexpr std::size_t kCauses = 9;           ///< every Refusal value
  static constexpr std::size_t kServerCauses = 5;     ///< server_full, shed, timeout, backend_down, crash
  static constexpr std::size_t kBalancerCauses = 4;   ///< no_backend, rate_limited, balancer_down, source_ports
  /// The cause names (summary.json's rejected_by / failed_by keys) of server_causes() order.
  static constexpr std::array<std::string_view, kServerCauses> kServerCauseNames = {"server_full", "shed", "timeout",
                                                                                    "backend_down", "crash"};
  /// The cause names of the balancer causes, in their order.
  static constexpr std::array<std::string_view, kBalancerCauses> kBalancerCauseNames = {"no_backend", "rate_limited",
                                                                                        "balancer_down", "source_ports"};

  /// Sizes the tally for `servers` servers, `balancers` balancers and `clients` clients.
  void size(std::size_t servers, std::size_t balancers, std::size_t clients) {
    servers_ = servers;
    balancers_ = balancers;
    server_iv_.assign(servers * kServerCauses, 0);
    balancer_iv_.assign(balancers * kBalancerCauses, 0);
    route_server_.assign(clients, -1);
    route_balancer_.assign(clients, 0);
  }
  /// The route of client `c`'s current attempt: the server it reached or last tried (-1: none) and
  /// its balancer. A refusal of this attempt, now or later in its handshake, is counted there.
  void routed(std::uint32_t c, std::int32_t server, std::uint32_t balancer) {
    if (c >= route_server_.size()) return;  // not sized (a tally nobody samples)
    route_server_[c] = server;
    route_balancer_[c] = balancer;
  }
  /// Counts a refusal of client `c`'s current attempt.
  void refused(std::uint32_t c, Refusal why) {
    ++total_[static_cast<std::size_t>(why)];
    if (c >= route_server_.size()) return;
    const int sc = server_cause(why);
    if (sc >= 0 && route_server_[c] >= 0) {
      ++server_iv_[static_cast<std::size_t>(route_server_[c]) * kServerCauses + static_cast<std::size_t>(sc)];
    } else if (sc >= 0) {
      ++unplaced_;  // a client timed out while waiting in an HAProxy queue: no server, no balancer cause
    } else {
      ++balancer_iv_[static_cast<std::size_t>(route_balancer_[c]) * kBalancerCauses + balancer_slot(why)];
    }
  }
  /// This interval's count on server `s` of server cause `k` (kServerCauseNames order).
  std::uint64_t server_count(std::size_t s, std::size_t k) const { return server_iv_[s * kServerCauses + k]; }
  /// This interval's count on balancer `b` of balancer cause `k` (kBalancerCauseNames order).
  std::uint64_t balancer_count(std::size_t b, std::size_t k) const { return balancer_iv_[b * kBalancerCauses + k]; }
  /// Starts a new interval.
  void reset_interval() {
    std::fill(server_iv_.begin(), server_iv_.end(), 0);
    std::fill(balancer_iv_.begin(), balancer_iv_.end(), 0);
  }
  /// Whole-run refusals of cause `why`, wherever counted.
  std::uint64_t total(Refusal why) const { return total_[static_cast<std::size_t>(why)]; }
  /// Whole-run refusals of a server cause that reached no server (a connect timeout that ended while
  /// the attempt waited in an HAProxy balancer's queue); in no series.
  std::uint64_t unplaced() const { return unplaced_; }
  std::size_t servers() const { return servers_; }
  std::size_t balancers() const { return balancers_; }

  /// The server-cause index of `why`, or -1 for a balancer cause. A backend_down refusal without a
  /// server tried cannot happen (it is decided by a try); it would be counted on the balancer.
  static int server_cause(Refusal why) {
    switch (why) {
      case Refusal::ServerFull: return 0;
      case Refusal::Shed: return 1;
      case Refusal::Timeout: return 2;
      case Refusal::BackendDown: return 3;
      case Refusal::Crash: return 4;
      default: return -1;
    }
  }

 private:
  static std::size_t balancer_slot(Refusal why) {
    switch (why) {
      case Refusal::NoBackend: return 0;
      case Refusal::RateLimited: return 1;
      case Refusal::BalancerDown: return 2;
      case Refusal::SourcePorts: return 3;
      default: return 0;  // not reached: a server cause without a server is unplaced()
    }
  }

  std::size_t servers_ = 0, balancers_ = 0;
  std::vector<std::uint64_t> server_iv_, balancer_iv_;
  std::vector<std::int32_t> route_server_;
  std::vector<std::uint32_t> route_balancer_;
  std::array<std::uint64_t, kCauses> total_{};
  std::uint64_t unplaced_ = 0;
};

}  // namespace wsfleet::models
