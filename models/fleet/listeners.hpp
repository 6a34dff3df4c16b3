#pragma once
// The narrow interfaces through which components learn of each other's events, instead of calling
// one another: a connection opened or closed (told by Connections), a server crashed, restarted,
// joined, started draining or left the fleet (told by ServerPool, the one place a server changes
// state). A component that cares implements the listener and the Fleet registers it; listeners are
// told in the order they were registered, which is part of a run's definition.
#include <cstdint>
#include <vector>

namespace wsfleet::models {

/// Told of a client's connections. The client still holds its server (`FleetState::clients[c].server`)
/// during every call.
class ConnectionListener {
 public:
  virtual ~ConnectionListener() = default;
  /// Client `c`'s connection was established.
  virtual void connection_opened(std::uint32_t c) = 0;
  /// Client `c`'s established connection ends; `session_over` when the client ends its session
  /// (it leaves, or reconnects as a new session) rather than losing the connection.
  virtual void connection_closed(std::uint32_t c, bool session_over) = 0;
  /// Client `c`, not connected, ends its session for good (it gave up).
  virtual void session_ended(std::uint32_t /*c*/) {}
};

/// Told of a server's life in the fleet.
class ServerListener {
 public:
  virtual ~ServerListener() = default;
  /// Server `b`'s process died (fault `fault`); its connections are cut after the listeners were told.
  virtual void server_crashed(std::uint32_t /*b*/, std::uint32_t /*fault*/) {}
  /// Server `b` runs again after a crash.
  virtual void server_restarted(std::uint32_t /*b*/) {}
  /// Server `b` joined the fleet ([[scaling]], a deploy's new server, an autoscaler's ready server).
  virtual void server_added(std::uint32_t /*b*/) {}
  /// Server `b` takes no new connections; its open ones stay until it leaves.
  virtual void server_draining(std::uint32_t /*b*/) {}
  /// Server `b` left the fleet (its connections were closed first).
  virtual void server_removed(std::uint32_t /*b*/) {}
};

/// The listeners of one run, in registration order.
struct Listeners {
  std::vector<ConnectionListener*> connections;
  std::vector<ServerListener*> servers;

  void opened(std::uint32_t c) const {
    for (ConnectionListener* l : connections) l->connection_opened(c);
  }
  void closed(std::uint32_t c, bool session_over) const {
    for (ConnectionListener* l : connections) l->connection_closed(c, session_over);
  }
  void session_ended(std::uint32_t c) const {
    for (ConnectionListener* l : connections) l->session_ended(c);
  }
};

}  // namespace wsfleet::models
