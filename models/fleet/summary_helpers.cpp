#include "models/fleet/summary_helpers.hpp"

#include <limits>
#include <sstream>
#include <utility>

namespace wsfleet::models {

LatencyStats stats_of(const sim::LogHistogram& h) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  LatencyStats s{};
  s.count = h.count();
  if (h.count() == 0) {
    s.mean_ms = s.p50_ms = s.p90_ms = s.p99_ms = s.p999_ms = s.max_ms = kNaN;
    return s;
  }
  s.mean_ms = h.mean();
  s.p50_ms = h.quantile(0.5);
  s.p90_ms = h.quantile(0.9);
  s.p99_ms = h.quantile(0.99);
  s.p999_ms = h.quantile(0.999);
  s.max_ms = h.max();
  return s;
}

void add_conservation_check(RunSummary& summary, std::string name, std::string equation, std::uint64_t lhs,
                            const std::vector<std::uint64_t>& rhs) {
  std::uint64_t sum = 0;
  std::ostringstream v;
  v << lhs << " =";
  for (std::size_t i = 0; i < rhs.size(); ++i) {
    sum += rhs[i];
    v << (i ? " + " : " ") << rhs[i];
  }
  summary.conservation.push_back({std::move(name), std::move(equation), v.str(), sum == lhs});
}

}  // namespace wsfleet::models
