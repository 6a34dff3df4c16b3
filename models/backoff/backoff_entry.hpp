#pragma once
// One row of the backoff registry, and the parameter specifications its rows share.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/backoff_policy.hpp"

namespace wsfleet::models {

/// One registered backoff policy: its description and how to build it from resolved parameters.
struct BackoffEntry {
  PolicyInfo info;
  std::function<std::unique_ptr<BackoffPolicy>(const Params&)> make;
};

/// Longest delay a parameter may give, s (one day: longer waits are configuration mistakes).
inline constexpr double kMaxBackoffDelayS = 86400.0;
/// Shortest positive delay, s (one nanosecond, the clock's resolution).
inline constexpr double kMinBackoffDelayS = 1e-9;

/// The `max_retries` parameter: retries after a failure before the client gives up, 0 = unlimited.
inline ParamSpec max_retries_spec() {
  return {"max_retries", 0.0, 0.0, 1e6, true, "retries after a failure before the client gives up, 0 = unlimited (count)"};
}
/// The resolved `max_retries`.
inline std::uint32_t max_retries_of(const Params& p) { return static_cast<std::uint32_t>(p.at("max_retries")); }

/// Throws ParamError naming `high` unless p[high] >= p[low] ("<policy>.<high> must be >= <low> (got ...)").
inline void require_not_below(const std::string& policy, const Params& p, const std::string& high, const std::string& low) {
  if (p.at(high) < p.at(low)) {
    throw ParamError(high, policy + "." + high + " must be >= " + low + " (got " + high + " " + format_number(p.at(high)) +
                               ", " + low + " " + format_number(p.at(low)) + ")");
  }
}

/// The client-library presets, in listing order (models/backoff/presets/registry.cpp).
const std::vector<BackoffEntry>& client_preset_entries();

}  // namespace wsfleet::models
