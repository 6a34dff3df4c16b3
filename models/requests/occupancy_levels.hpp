#pragma once
// Time-averaged queue-length distribution over a set of servers: for every level i, the share of
// servers holding at least i outstanding requests, averaged over time (the supermarket model's s_i).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/time.hpp"

namespace wsfleet::models {

/// Counts servers per occupancy level and integrates those counts over time, O(1) per change.
class OccupancyLevels {
 public:
  /// `servers` servers, all empty at time 0; the averaging window starts at 0.
  explicit OccupancyLevels(std::size_t servers);

  /// A server went from level-1 to `level` (>= 1) outstanding requests at `now`.
  void up(std::int64_t level, sim::SimTime now);
  /// A server went from `level` (>= 1) to level-1 outstanding requests at `now`.
  void down(std::int64_t level, sim::SimTime now);
  /// Forgets what was integrated so far: the averaging window starts at `now`.
  void restart(sim::SimTime now);
  /// Share of servers with at least i outstanding requests averaged over [window start, now], for
  /// i = 0 .. highest level ever reached (entry 0 is 1). All zeros past 0 for an empty window.
  std::vector<double> shares(sim::SimTime now) const;

 private:
  struct Level {
    std::uint64_t count = 0;   ///< servers at this level or above, now
    sim::SimTime since = 0;    ///< when `area` was last brought up to date
    double area = 0.0;         ///< integral of count over time since the window start, server-ns
  };
  Level& level_at(std::int64_t level, sim::SimTime now);
  static void advance(Level& l, sim::SimTime now);

  std::size_t servers_;
  sim::SimTime window_start_ = 0;
  std::vector<Level> levels_;  ///< levels_[i] for i >= 1 (index 0 unused)
};

}  // namespace wsfleet::models
