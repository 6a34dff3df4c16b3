#include "models/balancer/slow_start.hpp"

#include <algorithm>
#include <cmath>

namespace wsfleet::models {

double slow_start_factor(const SlowStartSection& slow_start, sim::SimTime elapsed) {
  const double window = slow_start.window_s;
  if (!(window > 0.0)) return 1.0;
  const double t = sim::to_seconds(elapsed);
  if (t >= window) return 1.0;
  if (slow_start.curve == SlowStartCurve::Linear) {
    const double whole_seconds = std::floor(t);
    return std::min(1.0, (16.0 * whole_seconds + window) / (16.0 * window));
  }
  const double ramp = std::pow(std::max(0.0, t) / window, 1.0 / slow_start.aggression);
  return std::clamp(std::max(ramp, slow_start.min_weight_percent / 100.0), 1e-6, 1.0);
}

sim::SimTime slow_start_next_step(const SlowStartSection& slow_start, sim::SimTime elapsed) {
  const sim::SimTime step = std::max(sim::from_seconds(1.0), sim::from_seconds(slow_start.window_s / 20.0));
  return (elapsed / step + 1) * step;
}

}  // namespace wsfleet::models
