#include "models/pubsub/buffer_presets.hpp"

namespace wsfleet::models {

namespace {
BufferPreset preset(std::string name, std::string summary, BufferPolicy policy, double limit_kib, bool close) {
  BufferSection s;
  s.policy = policy;
  s.limit_kib = limit_kib;
  s.close_on_limit = close;
  return {std::move(name), std::move(summary), s};
}
}  // namespace

const std::vector<BufferPreset>& buffer_presets() {
  static const std::vector<BufferPreset> presets = {
      // ws (Node): send() appends to the socket; bufferedAmount has no limit.
      preset("ws", "Node ws: no limit, bufferedAmount grows with the backlog", BufferPolicy::Unbounded, 1024.0, false),
      preset("socketio", "Socket.IO emit: queued without limit (as ws)", BufferPolicy::Unbounded, 1024.0, false),
      // socket.io: volatile packets are discarded while the transport is not writable.
      preset("socketio_volatile", "Socket.IO volatile emit: dropped while a write is in progress", BufferPolicy::Volatile,
             1024.0, false),
      // centrifuge writer.go: enqueue, then messages.Size() > MaxQueueSize -> DisconnectSlow (3008).
      preset("centrifugo", "Centrifugo: client_queue_max_size 1 MiB, over it disconnect 3008 \"slow\" (reconnect)",
             BufferPolicy::Close, 1024.0, false),
      // uWebSockets WebSocket.h send(): maxBackpressure < getBufferedAmount() -> DROPPED.
      preset("uws", "uWebSockets: maxBackpressure 64 KiB, drops once the buffer already exceeds it", BufferPolicy::Uws,
             64.0, false),
      preset("uws_close", "uWebSockets with closeOnBackpressureLimit: drops and shuts the socket down", BufferPolicy::Uws,
             64.0, true),
  };
  return presets;
}

const BufferPreset* find_buffer_preset(const std::string& name) {
  for (const auto& p : buffer_presets()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const std::vector<std::string>& buffer_policy_names() {
  static const std::vector<std::string> names = {"unbounded", "drop_newest", "drop_oldest", "close",
                                                 "uws",       "volatile",    "conflate"};
  return names;
}

const std::string& buffer_policy_name(BufferPolicy policy) { return buffer_policy_names().at(static_cast<std::size_t>(policy)); }

}  // namespace wsfleet::models
