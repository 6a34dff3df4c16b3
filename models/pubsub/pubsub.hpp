#pragma once
// Pub/sub in the fleet as a component: channels with Zipf popularity, publishers (feeds and
// clients), the broker between servers, fan-out on every server, per-connection send buffers with
// backpressure policies, memory, and continuity (sequence numbers, resume, history).
//
// Events: one per publication (publish, arrival at the servers) and one per server fan-out. The
// copies to subscribers are not events: each connection's send buffer is a FIFO written at its
// link's rate and brought up to date when touched (SendQueue), so a copy's delivery time is exact.
// Its random streams: "pubsub.feeds", "pubsub.publish", "pubsub.subscriptions", "pubsub.links".
#include <cstdint>
#include <string>
#include <vector>

#include "models/fleet/declared_series.hpp"
#include "models/fleet/fleet_state.hpp"
#include "models/fleet/listeners.hpp"
#include "models/pubsub/pubsub_runtime.hpp"
#include "sim/event_handler.hpp"

namespace wsfleet::models {

/// The pub/sub of one run (created only with a [pubsub] section).
class PubSub : public sim::EventHandler, public ConnectionListener, public ServerListener {
 public:
  /// Subscribes every client to its channels and draws its link class. Throws std::invalid_argument
  /// naming the key when the section cannot be run.
  explicit PubSub(FleetState& state);

  void handle(const sim::Event& e) override;
  /// Schedules the feeds' first publications.
  void start();

  /// A connection was established: subscribe, and resume or account for what the client missed.
  void connection_opened(std::uint32_t c) override { connect(c); }
  /// A connection ends: unsubscribe, discard its buffer.
  void connection_closed(std::uint32_t c, bool session_over) override { disconnect(c, session_over); }
  /// A client not connected ends its session (gives up).
  void session_ended(std::uint32_t c) override { end_session(c); }
  /// A server crashed: the fan-outs in its queue are lost.
  void server_crashed(std::uint32_t server, std::uint32_t /*fault*/) override { ++ps_.server_epoch[server]; }
  /// Client `c`'s message, done by `server` at `done`, may be a publication to one of its channels.
  void client_message(std::uint32_t c, std::uint32_t server, sim::SimTime done);
  /// An out-of-memory kill (counted in the summary's pub/sub section).
  void count_memory_crash() { ++ps_.out.memory_crashes; }
  /// The broker (for its outages).
  Broker& broker() { return ps_.broker; }

  /// Bytes queued in a server's send buffers as whole messages (an upper bound of what is unsent), MiB.
  double queued_mib(std::uint32_t server) const;
  /// What a server's send buffers hold now, exactly (brings them up to date), MiB.
  double server_buffered_mib(std::uint32_t server);

  /// The time-series columns it declares and writes (fleet and server rows, only with [pubsub]).
  static std::vector<const timeseries::Column*> columns();
  /// Fills its cells of a server's row (and starts the server's next interval).
  void sample_server(std::uint32_t server, double buffered_mib, timeseries::DeclaredSeries& row);
  /// Fills its cells of a fleet row (and starts the next interval).
  void sample_fleet(double buffered_mib, timeseries::DeclaredSeries& row);

  /// Settles the buffers at the end and fills summary.pubsub.
  void finish(RunSummary& summary);
  /// Adds its conservation checks.
  void conservation(RunSummary& summary) const;

 private:
  enum Tag : std::uint32_t { kFeed, kClientPublish, kArrive, kFanout, kFetch };
  // The sessions' side (pubsub_sessions.cpp); the client still holds its server during each.
  void connect(std::uint32_t c);
  void disconnect(std::uint32_t c, bool session_over);
  void end_session(std::uint32_t c);
  void publish(std::uint32_t channel, bool from_client);
  void arrive(std::uint32_t pub);
  void fanout(std::uint32_t pub, std::uint32_t server, std::uint8_t epoch);
  void fetch_done(std::uint32_t c);
  /// Brings a connection's send buffer up to `now`, delivering what has been written.
  void drain(std::uint32_t c, sim::SimTime now);
  void written(std::uint32_t c, const QueuedCopy& copy, sim::SimTime finish);
  void trim_logs();

  FleetState& st_;
  std::uint32_t self_ = 0;
  PubSubRuntime ps_;
};

}  // namespace wsfleet::models
