#pragma once
// Channel joins as a component: a client library that sends one join message per channel every time
// its socket opens, and sends a failed join again on its own schedule (phoenix.js: Channel's joinPush
// and rejoinTimer; the phoenix backoff preset's channel_rejoin()). Created with [pubsub] when the
// backoff policy says its library joins channels; each client joins its pubsub.subscriptions channels.
//
// A join is a message its server handles: pubsub.join_us of CPU, queued behind the server's other
// work. Its reply comes when that work is done; a join with no reply within the library's timeout
// has failed (the client sends a leave, a message's CPU, and waits for its rejoin timer). A server
// that sheds load ([fleet.admission] reject_above_backlog_ms) answers a join with an error (the
// application's join refusing it), which costs fleet.admission.reject_us; the client waits for its
// rejoin timer. After a crash every reconnecting client joins all its channels at once: the join
// storm is work in the servers' CPU queues, in their utilisation and in every other job's latency.
//
// What it leaves out: the reply's network round trip (the reply counts when the server's work is
// done); a channel's delivery is not held until it has joined (pub/sub subscribes on connection).
//
// Events: a join's reply, its timeout, a channel's rejoin timer. No random stream.
#include <cstdint>
#include <vector>

#include "models/backoff_policy.hpp"
#include "models/fleet/fleet_state.hpp"
#include "models/fleet/listeners.hpp"
#include "sim/event_handler.hpp"

namespace wsfleet::models {

/// The channel joins of one run.
class ChannelJoins : public sim::EventHandler, public ConnectionListener {
 public:
  /// True when the run has [pubsub] and its backoff policy's library joins channels.
  static bool needed(const FleetConfig& cfg);
  explicit ChannelJoins(FleetState& state);

  void handle(const sim::Event& e) override;
  /// Every channel of client `c` sends its join (the rejoin timers start over).
  void connection_opened(std::uint32_t c) override;
  /// The connection is gone: joins in flight are cancelled, rejoin timers stop.
  void connection_closed(std::uint32_t c, bool session_over) override;

  /// Fills summary.pubsub.joins.
  void summarise(RunSummary& summary) const;
  /// Adds its conservation checks (after summarise).
  void conservation(RunSummary& summary) const;

 private:
  enum Tag : std::uint32_t { kOk, kRefused, kTimeout, kRejoin };
  enum State : std::uint8_t { kIdle, kJoining, kJoined, kWaiting };
  /// Client `c` (on its current connection) sends the join of its channel slot `j`.
  void send_join(std::uint32_t c, std::uint32_t j);
  /// The join of slot `j` failed: its rejoin timer is set.
  void schedule_rejoin(std::uint32_t c, std::uint32_t j);
  void schedule(sim::SimTime at, Tag tag, std::uint32_t c, std::uint32_t j);
  std::size_t slot(std::uint32_t c, std::uint32_t j) const { return static_cast<std::size_t>(c) * k_ + j; }

  FleetState& st_;
  std::uint32_t self_ = 0;
  ChannelRejoin rejoin_;
  std::uint32_t k_ = 1;                 ///< channels per client
  sim::SimTime join_cost_ = 0, leave_cost_ = 0;
  std::vector<std::uint32_t> epoch_;    ///< per client: bumped when its connection closes (older events are stale)
  std::vector<std::uint8_t> state_;     ///< per client x slot
  std::vector<std::uint32_t> tries_;    ///< per client x slot: the rejoin timer's tries since its last reset
  std::uint64_t joining_ = 0, joined_ = 0, waiting_ = 0;
  ChannelJoinOutcome out_;
};

}  // namespace wsfleet::models
