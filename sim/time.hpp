#pragma once
// Simulated time: signed 64-bit nanoseconds since the start of a run.
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace wsfleet::sim {

/// A point in simulated time or a duration, in nanoseconds.
using SimTime = std::int64_t;

inline constexpr SimTime kNanosPerSecond = 1'000'000'000;
inline constexpr SimTime kNanosPerMilli = 1'000'000;
inline constexpr SimTime kNanosPerMicro = 1'000;
/// Larger than any time a run can reach (about 292 years).
inline constexpr SimTime kTimeNever = std::numeric_limits<SimTime>::max();

/// Seconds (double) to nanoseconds, rounded to nearest; throws if out of range or not finite.
inline SimTime from_seconds(double seconds) {
  if (!std::isfinite(seconds) || std::fabs(seconds) > 9.0e9) {
    throw std::out_of_range("time in seconds is not finite or exceeds the simulable range");
  }
  return static_cast<SimTime>(std::llround(seconds * 1e9));
}
/// Milliseconds (double) to nanoseconds.
inline SimTime from_millis(double ms) { return from_seconds(ms / 1e3); }
/// Microseconds (double) to nanoseconds.
inline SimTime from_micros(double us) { return from_seconds(us / 1e6); }
/// Nanoseconds to seconds.
inline constexpr double to_seconds(SimTime t) { return static_cast<double>(t) / 1e9; }
/// Nanoseconds to milliseconds.
inline constexpr double to_millis(SimTime t) { return static_cast<double>(t) / 1e6; }

}  // namespace wsfleet::sim
