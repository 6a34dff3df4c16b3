#include "models/balancing/nginx_random_two_least_conn.hpp"

#include <algorithm>
#include <cstdint>

namespace wsfleet::models {

int NginxRandomTwoLeastConn::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  wrr_.sync(backends);
  const std::size_t n = backends.size();
  if (n < 2) return nginx_round_robin_pick(wrr_, backends);
  range_.resize(n);
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    range_[i] = total;
    total += wrr_.weight(i);
  }
  int prev = kNoBackend;
  for (int tries = 0; tries <= 20; ++tries) {
    const auto x = static_cast<double>(rng.below(static_cast<std::uint64_t>(total)));
    // The last peer whose range start is <= x.
    const auto i = static_cast<std::size_t>(std::upper_bound(range_.begin(), range_.end(), x) - range_.begin()) - 1;
    if (static_cast<int>(i) == prev || !nginx_available(backends[i])) continue;
    if (prev == kNoBackend) {
      prev = static_cast<int>(i);
      continue;
    }
    const BackendState& first = backends[static_cast<std::size_t>(prev)];
    const double second_load = static_cast<double>(backends[i].active_connections) * wrr_.weight(static_cast<std::size_t>(prev));
    const double first_load = static_cast<double>(first.active_connections) * wrr_.weight(i);
    return second_load > first_load ? prev : static_cast<int>(i);
  }
  return nginx_round_robin_pick(wrr_, backends);
}

}  // namespace wsfleet::models
