#pragma once
// A log-bucketed histogram for latencies and other non-negative quantities with a bounded
// relative error on every quantile (in the manner of DDSketch and HdrHistogram).
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace wsfleet::sim {

/// Histogram of non-negative values (any unit: the caller's, e.g. seconds) whose quantiles are
/// within a relative error `relative_accuracy` of a true sample value of the same rank.
///
/// Buckets are geometric (bucket upper/lower bound <= (1 + a) / (1 - a) for accuracy a), indexed by
/// a piecewise-linear approximation of log2 read straight from the double's exponent and mantissa
/// bits, so record() does no logarithm. Memory grows with the dynamic range of the values (about
/// 0.5 / a buckets of 8 bytes per factor of two: ~1.6k buckets for 1 us .. 1000 s at a = 1 %), never
/// with the number of samples. count, sum, min and max are kept exactly.
///
/// Values below kMinIndexable (zero and subnormal doubles) go into a zero bucket whose quantile
/// estimate is 0 (clamped to min()): their absolute error is below 2.3e-308.
class LogHistogram {
 public:
  /// Smallest value given its own log bucket (the smallest normal double, ~2.2e-308); smaller
  /// non-negative values are counted in the zero bucket.
  static constexpr double kMinIndexable = std::numeric_limits<double>::min();

  /// An empty histogram. `relative_accuracy` (dimensionless) must lie in [1e-6, 0.5]; throws
  /// std::invalid_argument otherwise.
  explicit LogHistogram(double relative_accuracy = 0.01);

  /// Records one value. Throws std::invalid_argument (and records nothing) if the value is
  /// negative, NaN or infinite. O(1); allocates only when the value extends the range seen so far.
  void record(double value) {
    if (!(value >= 0.0 && value <= std::numeric_limits<double>::max())) reject(value);
    ++count_;
    sum_ += value;
    if (value < min_) min_ = value;
    if (value > max_) max_ = value;
    if (value < kMinIndexable) {
      ++zero_count_;
      return;
    }
    const std::int64_t index = index_of(value);
    // One unsigned comparison covers both "below offset_" (wraps to huge) and "past the end".
    auto slot = static_cast<std::size_t>(static_cast<std::uint64_t>(index - offset_));
    if (slot >= counts_.size()) slot = grow_to_include(index);
    ++counts_[slot];
  }

  /// Number of values recorded.
  std::uint64_t count() const { return count_; }
  /// Sum of the values recorded (0 when empty), in the values' unit.
  double sum() const { return sum_; }
  /// Arithmetic mean of the values (sum / count); NaN when empty.
  double mean() const;
  /// Smallest value recorded, exactly; NaN when empty.
  double min() const;
  /// Largest value recorded, exactly; NaN when empty.
  double max() const;
  /// Estimate of the q-quantile, q in [0, 1] (throws std::invalid_argument otherwise, NaN included):
  /// within relative_accuracy() of the sorted sample of 0-based rank floor(q * (count - 1)).
  /// quantile(0) is min() and quantile(1) is max() exactly. Returns NaN when empty.
  /// O(number of buckets).
  double quantile(double q) const;
  /// Number of values counted at or below `x` (any finite x, the values' unit), consistent with
  /// quantile(): a value counts when its bucket's estimate (clamped to [min, max]) is <= x, so the
  /// answer is exact for x below min() or at or above max(), and otherwise within the relative
  /// accuracy (a value within relative_accuracy() of x may be counted on either side). This is a
  /// cumulative bucket count of a Prometheus histogram with upper bound `le` = x. O(buckets).
  std::uint64_t count_at_most(double x) const;
  /// Adds every value recorded in `other`, as if they had been recorded here. Throws
  /// std::invalid_argument if the relative accuracies differ. Merging a histogram into itself
  /// doubles every count.
  void merge(const LogHistogram& other);
  /// Forgets every value (keeps the accuracy and the allocated buckets).
  void reset();

  /// The relative accuracy this histogram guarantees (dimensionless, e.g. 0.01 for 1 %).
  double relative_accuracy() const { return relative_accuracy_; }
  /// Number of bucket counters currently allocated (8 bytes each): the memory footprint.
  std::size_t bucket_count() const { return counts_.size(); }
  /// Number of recorded values below kMinIndexable (including zeros).
  std::uint64_t zero_count() const { return zero_count_; }

 private:
  // Bucket index of a finite value >= kMinIndexable: floor(multiplier * g(value)), where
  // g = biased exponent + (mantissa - 1) is a piecewise-linear log2 (plus 1023) with slope
  // d g / d ln(value) in [1, 2), so one bucket spans at most 1 / multiplier in ln(value).
  std::int64_t index_of(double value) const {
    const auto bits = std::bit_cast<std::uint64_t>(value);
    const auto biased_exponent = static_cast<double>(bits >> 52);
    const double mantissa_minus_one =
        std::bit_cast<double>((bits & 0x000f'ffff'ffff'ffffULL) | 0x3ff0'0000'0000'0000ULL) - 1.0;
    return static_cast<std::int64_t>((biased_exponent + mantissa_minus_one) * multiplier_);
  }
  // The value whose g is `g` (inverse of the mapping above).
  static double value_of_g(double g);
  // Estimate returned for bucket `index`: the harmonic mean of its bounds, within the relative
  // accuracy of every value in the bucket.
  double representative(std::int64_t index) const;
  // Extends counts_ (if needed) so that it covers `index`, a valid bucket index; returns its slot.
  std::size_t grow_to_include(std::int64_t index);
  [[noreturn]] static void reject(double value);

  double relative_accuracy_;
  double multiplier_;        // buckets per unit of g
  std::int64_t min_index_;   // index of kMinIndexable
  std::int64_t max_index_;   // index of the largest finite double
  std::vector<std::uint64_t> counts_;  // counts_[k] counts bucket offset_ + k
  std::int64_t offset_ = 0;
  std::uint64_t zero_count_ = 0;
  std::uint64_t count_ = 0;
  double sum_ = 0.0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

}  // namespace wsfleet::sim
