#pragma once
// Channel popularity: channel r (0-based; rank r + 1) is chosen with probability proportional to
// 1 / (r + 1)^s (a Zipf law; s = 0 is uniform).
#include <cstdint>
#include <span>
#include <vector>

#include "sim/random.hpp"

namespace wsfleet::models {

class ZipfChannels {
 public:
  /// `channels` >= 1, `s` >= 0; throws std::invalid_argument otherwise.
  ZipfChannels(std::uint32_t channels, double s);

  /// One channel drawn by popularity.
  std::uint32_t sample(sim::Rng& rng) const;
  /// `out.size()` distinct channels drawn by popularity (successive draws without replacement),
  /// in the order drawn. out.size() must be <= channels().
  void sample_distinct(sim::Rng& rng, std::span<std::uint32_t> out) const;
  /// The probability of channel r in one draw.
  double probability(std::uint32_t r) const;
  std::uint32_t channels() const { return static_cast<std::uint32_t>(cdf_.size()); }

 private:
  std::vector<double> cdf_;  ///< cumulative probabilities, cdf_.back() == 1
};

}  // namespace wsfleet::models
