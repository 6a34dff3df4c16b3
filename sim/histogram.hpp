#pragma once
// Placeholder log-bucketed histogram (replaced by the kernel branch's LogHistogram).
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

namespace wsfleet::sim {

class LogHistogram {
 public:
  explicit LogHistogram(double relative_accuracy = 0.01)
      : gamma_((1 + relative_accuracy) / (1 - relative_accuracy)), log_gamma_(std::log(gamma_)) {}
  void record(double v) {
    if (!(v >= 0)) throw std::invalid_argument("LogHistogram::record: negative or NaN");
    ++count_;
    sum_ += v;
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
    if (v < 1e-9) { ++zero_; return; }
    const int k = static_cast<int>(std::ceil(std::log(v) / log_gamma_));
    if (counts_.empty()) { offset_ = k; counts_.assign(1, 0); }
    if (k < offset_) { counts_.insert(counts_.begin(), static_cast<std::size_t>(offset_ - k), 0); offset_ = k; }
    const auto i = static_cast<std::size_t>(k - offset_);
    if (i >= counts_.size()) counts_.resize(i + 1, 0);
    ++counts_[i];
  }
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : std::numeric_limits<double>::quiet_NaN(); }
  double min() const { return count_ ? min_ : std::numeric_limits<double>::quiet_NaN(); }
  double max() const { return count_ ? max_ : std::numeric_limits<double>::quiet_NaN(); }
  double quantile(double q) const {
    if (!(q >= 0 && q <= 1)) throw std::invalid_argument("quantile must be in [0,1]");
    if (count_ == 0) return std::numeric_limits<double>::quiet_NaN();
    const double rank = q * static_cast<double>(count_ - 1);
    double seen = static_cast<double>(zero_);
    if (rank < seen) return 0.0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += static_cast<double>(counts_[i]);
      if (rank < seen) {
        const double v = 2 * std::pow(gamma_, static_cast<int>(i) + offset_) / (gamma_ + 1);
        return std::min(std::max(v, min_), max_);
      }
    }
    return max_;
  }
  void merge(const LogHistogram& o) {
    (void)o;
    throw std::logic_error("not implemented");
  }
  void reset() { *this = LogHistogram((gamma_ - 1) / (gamma_ + 1)); }

 private:
  double gamma_, log_gamma_;
  std::vector<std::uint64_t> counts_;
  int offset_ = 0;
  std::uint64_t zero_ = 0, count_ = 0;
  double sum_ = 0, min_ = std::numeric_limits<double>::infinity(), max_ = 0;
};

}  // namespace wsfleet::sim
