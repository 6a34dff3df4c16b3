#pragma once
// What every component uses to write its part of the summary: latency percentiles and
// conservation checks.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/run_summary.hpp"
#include "sim/histogram.hpp"

namespace wsfleet::models {

/// Percentiles of a histogram (NaN fields when it is empty).
LatencyStats stats_of(const sim::LogHistogram& h);
/// Appends the check `lhs = sum(rhs)` (named, with its equation and the numbers) to the summary.
void add_conservation_check(RunSummary& summary, std::string name, std::string equation, std::uint64_t lhs,
                            const std::vector<std::uint64_t>& rhs);

/// Thrown when an end-of-run invariant does not hold: the numbers are wrong, the run is void.
class ConservationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace wsfleet::models
