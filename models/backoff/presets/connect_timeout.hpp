#pragma once
// The connect timeout each client library applies to one attempt by default (issue 14, deviation 1).
// The fleet's clients use clients.connect_timeout_s when the scenario gives it; when it leaves it out,
// each attempt gets the backoff policy's own (BackoffPolicy::attempt_timeout, which the presets
// implement from the constants below); this describes it for listings and reports.
#include <optional>
#include <string>

#include "models/policy_params.hpp"

namespace wsfleet::models {

// The libraries' own per-attempt connect timeouts, s (sources in connect_timeout.cpp).
inline constexpr double kReconnectingWebSocketConnectTimeoutS = 4.0;  ///< reconnecting-websocket connectionTimeout
inline constexpr double kCentrifugeConnectTimeoutS = 5.0;             ///< centrifuge-js timeout
inline constexpr double kSocketIoConnectTimeoutS = 20.0;              ///< socket.io-client Manager timeout
inline constexpr double kAblyConnectTimeoutS = 10.0;                  ///< ably-js timeouts.webSocketConnectTimeout
inline constexpr double kGrpcMinConnectTimeoutS = 20.0;               ///< gRPC MIN_CONNECT_TIMEOUT

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
