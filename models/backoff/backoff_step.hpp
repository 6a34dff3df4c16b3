#pragma once
// Arithmetic shared by the backoff policies: the capped exponential ceiling and the state update.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "models/backoff_policy.hpp"
#include "sim/time.hpp"

namespace wsfleet::models {

/// min(cap_ns, base_ns * 2^n) in exact integer arithmetic, for any n (no overflow: once base_ns * 2^n
/// would exceed cap_ns the result is cap_ns). Requires 0 < base_ns <= cap_ns. Nanoseconds.
inline sim::SimTime exponential_ceiling_ns(sim::SimTime base_ns, sim::SimTime cap_ns, std::uint32_t n) {
  if (n >= 63) return cap_ns;
  // base * 2^n <= cap  <=>  base <= floor(cap / 2^n), so the shift below cannot overflow.
  if (base_ns > (cap_ns >> n)) return cap_ns;
  return std::min(cap_ns, base_ns << n);
}

/// Records that `delay_ns` was scheduled: last_delay = delay_ns, attempt + 1 (saturating).
inline void record_retry(BackoffState& state, sim::SimTime delay_ns) {
  state.last_delay = delay_ns;
  if (state.attempt < std::numeric_limits<std::uint32_t>::max()) ++state.attempt;
}

/// Throws std::invalid_argument unless 0 < base_ns <= cap_ns (`policy` names the caller in the message).
inline void check_base_cap(const std::string& policy, sim::SimTime base_ns, sim::SimTime cap_ns) {
  if (base_ns <= 0) throw std::invalid_argument(policy + " backoff: base must be > 0 ns");
  if (cap_ns < base_ns) throw std::invalid_argument(policy + " backoff: cap must be >= base");
}

}  // namespace wsfleet::models
