#include "models/heartbeat_presets.hpp"

namespace wsfleet::models {

namespace {

HeartbeatPreset preset(std::string name, std::string summary, double interval_s, HeartbeatSender sender,
                       HeartbeatMode mode, double timeout_s, double peer_timeout_s) {
  HeartbeatSection s;
  s.preset = name;
  s.sender = sender;
  s.mode = mode;
  s.timeout_s = timeout_s;
  s.peer_timeout_s = peer_timeout_s;
  return {std::move(name), std::move(summary), interval_s, s};
}

}  // namespace

const std::vector<HeartbeatPreset>& heartbeat_presets() {
  using S = HeartbeatSender;
  using M = HeartbeatMode;
  static const std::vector<HeartbeatPreset> presets = {
      // engine.io server: pingInterval 25 s, pingTimeout 20 s; the client closes after 45 s without a ping.
      preset("socketio", "server pings every 25 s, pong timeout 20 s; client gives up after 45 s without a ping", 25.0,
             S::Server, M::Periodic, 20.0, 45.0),
      // Phoenix JS: client heartbeat every 30 s, reconnects if no reply within 30 s; server timeout 60 s.
      preset("phoenix", "client pings every 30 s, reply timeout 30 s; the server closes after 60 s of silence", 30.0,
             S::Client, M::Periodic, 30.0, 60.0),
      // SignalR: server keep-alive 15 s; client and server timeouts 30 s.
      preset("signalr", "server keep-alive every 15 s; 30 s timeouts on both sides", 15.0, S::Server, M::Periodic, 30.0,
             30.0),
      // Ably: server heartbeat 15 s; client idle timer = maxIdleInterval + 10 s.
      preset("ably", "server heartbeat every 15 s; the client drops the link after 25 s without one", 15.0, S::Server,
             M::Periodic, 25.0, 25.0),
      // Centrifugo: server ping 25 s, pong timeout 8 s.
      preset("centrifugo", "server pings every 25 s, pong timeout 8 s", 25.0, S::Server, M::Periodic, 8.0, 0.0),
      // uWebSockets: idleTimeout 120 s, automatic ping after 104 s of silence, close 16 s later.
      preset("uwebsockets", "server pings after 104 s of silence, closes 16 s later (idleTimeout 120 s)", 104.0,
             S::Server, M::WhenIdle, 16.0, 0.0),
      // pusher-js: activityTimeout 120 s (ping after 120 s without activity), pongTimeout 30 s.
      preset("pusher", "client pings after 120 s without activity, pong timeout 30 s", 120.0, S::Client, M::WhenIdle,
             30.0, 0.0),
  };
  return presets;
}

const HeartbeatPreset* find_heartbeat_preset(const std::string& name) {
  for (const auto& p : heartbeat_presets()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace wsfleet::models
