#pragma once
// One channel's publications: sequence numbers 1, 2, ... and, when resume or history needs them,
// their publish times for as long as they may be asked for.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "sim/time.hpp"

namespace wsfleet::models {

class ChannelLog {
 public:
  /// Records the next publication at `t` (non-decreasing); returns its sequence number.
  std::uint32_t append(sim::SimTime t, bool keep_time) {
    ++last_;
    if (keep_time) {
      if (begin_ == times_.size()) {  // nothing retained: start afresh at this one
        times_.clear();
        begin_ = 0;
        first_ = last_;
      }
      times_.push_back(t);
    }
    return last_;
  }
  /// The last sequence number published (0 = none yet).
  std::uint32_t last() const { return last_; }
  /// The first retained sequence number published at or after `t`; last() + 1 if none.
  std::uint32_t first_since(sim::SimTime t) const {
    const auto from = times_.begin() + static_cast<std::ptrdiff_t>(begin_);
    const auto it = std::lower_bound(from, times_.end(), t);
    return first_ + static_cast<std::uint32_t>(it - from);
  }
  /// The oldest retained sequence number (last() + 1 when nothing is retained).
  std::uint32_t first_retained() const { return begin_ < times_.size() ? first_ : last_ + 1; }
  /// Forgets publications before `t`, except the last `keep` of them.
  void forget_before(sim::SimTime t, std::uint32_t keep) {
    while (begin_ < times_.size() && times_[begin_] < t && times_.size() - begin_ > keep) {
      ++begin_;
      ++first_;
    }
    if (begin_ > 1024 && begin_ * 2 > times_.size()) {
      times_.erase(times_.begin(), times_.begin() + static_cast<std::ptrdiff_t>(begin_));
      begin_ = 0;
    }
  }

 private:
  std::vector<sim::SimTime> times_;  ///< publish times of first_ .. last_ (from begin_)
  std::size_t begin_ = 0;
  std::uint32_t first_ = 1;          ///< sequence number of times_[begin_]
  std::uint32_t last_ = 0;
};

}  // namespace wsfleet::models
