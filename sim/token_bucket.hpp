#pragma once
// A token bucket rate limiter on simulated time: `rate` tokens per second, at most `burst` stored.
#include <algorithm>

#include "sim/time.hpp"

namespace wsfleet::sim {

/// Admits at most `rate` events per second on average, with bursts up to `burst`.
class TokenBucket {
 public:
  /// rate <= 0 means unlimited.
  TokenBucket(double rate = 0.0, double burst = 1.0) : rate_(rate), burst_(std::max(burst, 1.0)), tokens_(burst_) {}
  /// Takes one token at `now` (non-decreasing) if one is available.
  bool take(SimTime now) {
    if (!(rate_ > 0.0)) return true;
    tokens_ = std::min(burst_, tokens_ + to_seconds(now - last_) * rate_);
    last_ = now;
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
  SimTime last_ = 0;
};

}  // namespace wsfleet::sim
