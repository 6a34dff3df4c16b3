// Checked against the libraries' sources: reconnecting-websocket 4.4 DEFAULT.connectionTimeout 4000;
// centrifuge-js src/centrifuge.ts defaults.timeout 5000; socket.io-client Manager
// `this.timeout(null == opts.timeout ? 20000 : opts.timeout)`; gRPC MIN_CONNECT_TIMEOUT 20 s with
// grpc-java ExponentialBackoffPolicy.currentTimeoutMills() = max(nextBackoff, MIN_CONNECT_TIMEOUT);
// ably-js Defaults.TIMEOUTS.webSocketConnectTimeout 10000; pusher-js timeout 15 s doubling to
// timeoutLimit 60 s (the pusher preset's own parameters).
#include "models/backoff/presets/connect_timeout.hpp"

namespace wsfleet::models {

std::optional<PresetConnectTimeout> preset_connect_timeout(const std::string& preset, const Params& params) {
  if (preset == "reconnecting_websocket") return PresetConnectTimeout{4.0, false, 0.0, "connectionTimeout"};
  if (preset == "centrifuge") return PresetConnectTimeout{5.0, false, 0.0, "timeout"};
  if (preset == "socketio") return PresetConnectTimeout{20.0, false, 0.0, "timeout"};
  if (preset == "grpc") return PresetConnectTimeout{20.0, true, 0.0, "MIN_CONNECT_TIMEOUT"};
  if (preset == "ably") return PresetConnectTimeout{10.0, false, 0.0, "timeouts.webSocketConnectTimeout"};
  if (preset == "pusher") {
    const auto timeout = params.find("timeout_s");
    const auto limit = params.find("timeout_limit_s");
    return PresetConnectTimeout{timeout == params.end() ? 15.0 : timeout->second, false,
                                limit == params.end() ? 60.0 : limit->second, "timeout, timeoutLimit"};
  }
  return std::nullopt;
}

}  // namespace wsfleet::models
