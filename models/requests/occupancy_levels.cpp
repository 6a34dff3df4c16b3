#include "models/requests/occupancy_levels.hpp"

#include <stdexcept>

namespace wsfleet::models {

OccupancyLevels::OccupancyLevels(std::size_t servers) : servers_(servers), levels_(1) {
  if (servers == 0) throw std::invalid_argument("OccupancyLevels: needs at least one server");
}

void OccupancyLevels::advance(Level& l, sim::SimTime now) {
  l.area += static_cast<double>(l.count) * static_cast<double>(now - l.since);
  l.since = now;
}

OccupancyLevels::Level& OccupancyLevels::level_at(std::int64_t level, sim::SimTime now) {
  if (level < 1) throw std::logic_error("OccupancyLevels: levels start at 1");
  const auto i = static_cast<std::size_t>(level);
  // A new level starts empty, so its area since the window start is 0.
  while (levels_.size() <= i) levels_.push_back(Level{0, now, 0.0});
  Level& l = levels_[i];
  advance(l, now);
  return l;
}

void OccupancyLevels::up(std::int64_t level, sim::SimTime now) {
  Level& l = level_at(level, now);
  if (l.count >= servers_) throw std::logic_error("OccupancyLevels: more servers at a level than servers");
  ++l.count;
}

void OccupancyLevels::down(std::int64_t level, sim::SimTime now) {
  Level& l = level_at(level, now);
  if (l.count == 0) throw std::logic_error("OccupancyLevels: no server at the level being left");
  --l.count;
}

void OccupancyLevels::restart(sim::SimTime now) {
  window_start_ = now;
  for (Level& l : levels_) {
    l.since = now;
    l.area = 0.0;
  }
}

std::vector<double> OccupancyLevels::shares(sim::SimTime now) const {
  std::vector<double> out(levels_.size(), 0.0);
  out[0] = 1.0;
  const double span = static_cast<double>(now - window_start_) * static_cast<double>(servers_);
  if (!(span > 0.0)) return out;
  for (std::size_t i = 1; i < levels_.size(); ++i) {
    const Level& l = levels_[i];
    out[i] = (l.area + static_cast<double>(l.count) * static_cast<double>(now - l.since)) / span;
  }
  return out;
}

}  // namespace wsfleet::models
