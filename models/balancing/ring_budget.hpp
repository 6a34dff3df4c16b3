#pragma once
// The size bound of hash rings. A ring holds points per backend in proportion to its weight
// (consistent_hash: points_per_weight x weight; NGINX: 160 x weight), so allowed weights (up to
// 1e6 and beyond) asked for billions of points: 76 s and 4.6 GB for two backends. Above the
// budget every backend's points are scaled down by one factor: the proportions, which are all a
// ring's balance depends on, are kept; only the granularity changes, as Envoy's
// maximum_ring_size does.
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace wsfleet::models {

/// The most points one ring holds: 2^22 (about 64 MiB with its index; built in well under a
/// second). 10,000 backends at the default 100 points each fit 4 times over.
inline constexpr double kMaxRingPoints = 4194304.0;

/// The factor (<= 1) applied to every backend's wanted points so that their total fits the budget.
inline double ring_scale(double total_points) {
  return total_points > kMaxRingPoints ? kMaxRingPoints / total_points : 1.0;
}

/// One backend's points: its wanted points times `scale`, rounded, at least 1 (a backend on the
/// ring stays reachable).
inline std::uint64_t ring_points(double wanted, double scale) {
  return static_cast<std::uint64_t>(std::max(1.0, std::round(std::min(wanted * scale, kMaxRingPoints))));
}

}  // namespace wsfleet::models
