// Checked against the libraries' sources: reconnecting-websocket 4.4 DEFAULT.connectionTimeout 4000;
// centrifuge-js src/centrifuge.ts defaults.timeout 5000; socket.io-client Manager
// `this.timeout(null == opts.timeout ? 20000 : opts.timeout)`; gRPC MIN_CONNECT_TIMEOUT 20 s with
// grpc/grpc doc/connection-backoff.md TryConnect(Max(current_deadline, now() + MIN_CONNECT_TIMEOUT)),
// i.e. an attempt's timeout is max(its backoff, MIN_CONNECT_TIMEOUT) (grpc-go resetTransport: dialDuration =
// minConnectTimeout, raised to backoffFor when that is longer; ConnectParams.MinConnectTimeout);
// ably-js Defaults.TIMEOUTS.webSocketConnectTimeout 10000; pusher-js timeout 15 s doubling to
// timeoutLimit 60 s (the pusher preset's own parameters; src/core/strategies/sequential_strategy.ts
// doubles `timeout` before each next attempt of a connect() and caps it at timeoutLimit).
#include "models/backoff/presets/connect_timeout.hpp"

namespace wsfleet::models {

std::optional<PresetConnectTimeout> preset_connect_timeout(const std::string& preset, const Params& params) {
  const auto param = [&](const char* name, double fallback) {
    const auto it = params.find(name);
    return it == params.end() ? fallback : it->second;
  };
  if (preset == "reconnecting_websocket") {
    return PresetConnectTimeout{kReconnectingWebSocketConnectTimeoutS, false, 0.0, "connectionTimeout"};
  }
  if (preset == "centrifuge") return PresetConnectTimeout{kCentrifugeConnectTimeoutS, false, 0.0, "timeout"};
  if (preset == "socketio") return PresetConnectTimeout{kSocketIoConnectTimeoutS, false, 0.0, "timeout"};
  if (preset == "grpc") {
    return PresetConnectTimeout{param("min_connect_timeout_s", kGrpcMinConnectTimeoutS), true, 0.0, "MIN_CONNECT_TIMEOUT"};
  }
  if (preset == "ably") return PresetConnectTimeout{kAblyConnectTimeoutS, false, 0.0, "timeouts.webSocketConnectTimeout"};
  if (preset == "pusher") {
    return PresetConnectTimeout{param("timeout_s", 15.0), false, param("timeout_limit_s", 60.0), "timeout, timeoutLimit"};
  }
  return std::nullopt;
}

}  // namespace wsfleet::models
