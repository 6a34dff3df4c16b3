#include "sim/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace wsfleet::sim {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Buckets added beyond the requested index when growing, so a slowly widening range does not
// reallocate on every new bucket.
constexpr std::int64_t kGrowthSlack = 32;
}  // namespace

LogHistogram::LogHistogram(double relative_accuracy) : relative_accuracy_(relative_accuracy) {
  if (!(relative_accuracy >= 1e-6 && relative_accuracy <= 0.5)) {
    throw std::invalid_argument("LogHistogram: relative_accuracy must lie in [1e-6, 0.5]");
  }
  // A bucket spanning a factor gamma = (1 + a) / (1 - a) in value has its harmonic-mean
  // representative within a of both ends. One bucket spans at most 1 / multiplier in ln(value),
  // so multiplier >= 1 / ln(gamma); the extra 1e-6 keeps the bound strict despite rounding in
  // index_of (its error is ~1e-13 in ln(value), the margin ~1e-8 * a).
  const double ln_gamma = std::log1p(2.0 * relative_accuracy / (1.0 - relative_accuracy));
  multiplier_ = (1.0 + 1e-6) / ln_gamma;
  min_index_ = index_of(kMinIndexable);
  max_index_ = index_of(std::numeric_limits<double>::max());
}

void LogHistogram::reject(double value) {
  std::ostringstream os;
  os << "LogHistogram::record: value must be finite and >= 0, got " << value;
  throw std::invalid_argument(os.str());
}

double LogHistogram::mean() const { return count_ == 0 ? kNaN : sum_ / static_cast<double>(count_); }
double LogHistogram::min() const { return count_ == 0 ? kNaN : min_; }
double LogHistogram::max() const { return count_ == 0 ? kNaN : max_; }

double LogHistogram::value_of_g(double g) {
  const double whole = std::floor(g);
  return std::ldexp(1.0 + (g - whole), static_cast<int>(whole) - 1023);
}

double LogHistogram::representative(std::int64_t index) const {
  const double lo = value_of_g(static_cast<double>(index) / multiplier_);
  // The top bucket reaches past the largest double: its values end at DBL_MAX.
  const double hi = std::min(value_of_g(static_cast<double>(index + 1) / multiplier_), std::numeric_limits<double>::max());
  // Harmonic mean 2 lo hi / (lo + hi), written so that nothing overflows near DBL_MAX.
  return lo * (2.0 / (1.0 + lo / hi));
}

std::size_t LogHistogram::grow_to_include(std::int64_t index) {
  if (counts_.empty()) {
    offset_ = std::max(min_index_, index - kGrowthSlack);
    const std::int64_t last = std::min(max_index_, index + kGrowthSlack);
    counts_.assign(static_cast<std::size_t>(last - offset_ + 1), 0);
    return static_cast<std::size_t>(index - offset_);
  }
  const std::int64_t size = static_cast<std::int64_t>(counts_.size());
  const std::int64_t slack = std::max(kGrowthSlack, size / 4);
  if (index < offset_) {
    const std::int64_t new_offset = std::max(min_index_, index - slack);
    counts_.insert(counts_.begin(), static_cast<std::size_t>(offset_ - new_offset), 0);
    offset_ = new_offset;
  } else if (index >= offset_ + size) {
    const std::int64_t last = std::min(max_index_, index + slack);
    counts_.resize(static_cast<std::size_t>(last - offset_ + 1), 0);
  }
  return static_cast<std::size_t>(index - offset_);
}

double LogHistogram::quantile(double q) const {
  if (!(q >= 0.0 && q <= 1.0)) throw std::invalid_argument("LogHistogram::quantile: q must lie in [0, 1]");
  if (count_ == 0) return kNaN;
  if (q == 0.0) return min_;
  if (q == 1.0) return max_;
  const auto rank = static_cast<std::uint64_t>(std::floor(q * static_cast<double>(count_ - 1)));
  // Clamping to [min, max] never moves an estimate away from the true sample, which lies there too.
  if (rank < zero_count_) return std::clamp(0.0, min_, max_);
  std::uint64_t seen = zero_count_;
  for (std::size_t k = 0; k < counts_.size(); ++k) {
    seen += counts_[k];
    if (seen > rank) return std::clamp(representative(offset_ + static_cast<std::int64_t>(k)), min_, max_);
  }
  return max_;  // unreachable: the counts add up to count_
}

std::uint64_t LogHistogram::count_at_most(double x) const {
  if (count_ == 0 || !(x >= min_)) return 0;  // NaN counts nothing
  if (x >= max_) return count_;
  std::uint64_t n = std::clamp(0.0, min_, max_) <= x ? zero_count_ : 0;
  for (std::size_t k = 0; k < counts_.size(); ++k) {
    if (counts_[k] == 0) continue;
    if (std::clamp(representative(offset_ + static_cast<std::int64_t>(k)), min_, max_) > x) break;  // estimates ascend
    n += counts_[k];
  }
  return n;
}

void LogHistogram::merge(const LogHistogram& other) {
  if (other.relative_accuracy_ != relative_accuracy_) {
    throw std::invalid_argument("LogHistogram::merge: relative accuracies differ");
  }
  if (other.count_ == 0) return;
  // Copy first: `other` may be *this.
  const std::vector<std::uint64_t> other_counts = other.counts_;
  const std::int64_t other_offset = other.offset_;
  if (!other_counts.empty()) {
    grow_to_include(other_offset);
    grow_to_include(other_offset + static_cast<std::int64_t>(other_counts.size()) - 1);
    for (std::size_t k = 0; k < other_counts.size(); ++k) {
      counts_[static_cast<std::size_t>(other_offset - offset_) + k] += other_counts[k];
    }
  }
  zero_count_ += other.zero_count_;
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LogHistogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  zero_count_ = 0;
  count_ = 0;
  sum_ = 0.0;
  min_ = std::numeric_limits<double>::infinity();
  max_ = -std::numeric_limits<double>::infinity();
}

}  // namespace wsfleet::sim
