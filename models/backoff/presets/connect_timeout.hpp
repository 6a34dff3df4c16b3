#pragma once
// The connect timeout each client library applies to one attempt by default. The fleet's clients use
// clients.connect_timeout_s; a preset's own value is exposed here for the fleet to take when a scenario
// leaves that key out (issue 14, deviation 1).
#include <optional>
#include <string>

#include "models/policy_params.hpp"

namespace wsfleet::models {

/// One library's per-attempt connect timeout.
struct PresetConnectTimeout {
  /// The default timeout of one attempt (s).
  double timeout_s = 0.0;
  /// gRPC: an attempt's timeout is max(timeout_s, that attempt's backoff) (MIN_CONNECT_TIMEOUT).
  bool at_least_backoff = false;
  /// pusher-js: each failed attempt doubles the next one's timeout up to this (s); 0 = fixed.
  double doubles_to_s = 0.0;
  /// The library's option or constant that sets it.
  std::string option;
};

/// The connect timeout of client preset `preset` with its resolved parameters `params`; no value for
/// the generic policies and for libraries without their own per-attempt timeout (SignalR, Phoenix,
/// the AWS SDK: the platform's TCP and TLS timeouts apply).
std::optional<PresetConnectTimeout> preset_connect_timeout(const std::string& preset, const Params& params);

}  // namespace wsfleet::models
