// Channel joins: phoenix.js (assets/js/phoenix/channel.js, socket.js, timer.js) as the phoenix preset
// describes it (models/backoff/presets/phoenix_backoff.cpp). What the library does, and here:
// - the socket opens: every channel's rejoinTimer.reset() (tries = 0) and its joinPush is sent;
// - "ok" reply: joined, rejoinTimer.reset();
// - "error" reply: errored, rejoinTimer.scheduleTimeout() (waits rejoinAfterMs(tries + 1); tries + 1
//   when it fires, then the join is sent again if the socket is connected);
// - no reply within the push's timeout: a leave push is sent, errored, rejoinTimer.scheduleTimeout();
// - the socket closes: every channel errors (a join in flight is reset), rejoinTimer.reset().
#include "models/pubsub/channel_joins.hpp"

#include <stdexcept>

#include "models/fleet/server_pool.hpp"
#include "models/fleet/summary_helpers.hpp"

namespace wsfleet::models {

namespace {
std::optional<ChannelRejoin> rejoin_of(const FleetConfig& cfg) {
  return make_backoff_policy(cfg.backoff.policy, cfg.backoff.params)->channel_rejoin();
}
}  // namespace

bool ChannelJoins::needed(const FleetConfig& cfg) { return cfg.pubsub.enabled() && rejoin_of(cfg).has_value(); }

ChannelJoins::ChannelJoins(FleetState& state)
    : st_(state),
      k_(state.cfg.pubsub.subscriptions),
      join_cost_(sim::from_micros(state.cfg.pubsub.join_us)),
      leave_cost_(sim::from_micros(state.cfg.fleet.cpu.inbound_message_us)) {
  const std::optional<ChannelRejoin> r = rejoin_of(state.cfg);
  if (!r) throw std::logic_error("channel joins without a library that joins channels");
  rejoin_ = *r;
  if (k_ == 0 || k_ > 64) throw std::invalid_argument("pubsub.subscriptions must be in [1, 64]");
  const std::size_t n = state.cfg.clients.count;
  epoch_.assign(n, 0);
  state_.assign(n * k_, kIdle);
  tries_.assign(n * k_, 0);
  out_.enabled = true;
  self_ = st_.sim.add_handler(this);
}

void ChannelJoins::schedule(sim::SimTime at, Tag tag, std::uint32_t c, std::uint32_t j) {
  if (at > st_.end) return;  // stays as it is: in flight, or waiting, at the end
  st_.sim.schedule_at(at, self_, tag | (j << 2), FleetState::pack(c, epoch_[c]));
}

void ChannelJoins::connection_opened(std::uint32_t c) {
  for (std::uint32_t j = 0; j < k_; ++j) {
    tries_[slot(c, j)] = 0;
    ++out_.on_open;
    send_join(c, j);
  }
}

void ChannelJoins::send_join(std::uint32_t c, std::uint32_t j) {
  const auto server = static_cast<std::uint32_t>(st_.clients[c].server);
  ServerPool& pool = *st_.parts.servers;
  const sim::SimTime now = st_.sim.now();
  ++out_.attempted;
  ++joining_;
  state_[slot(c, j)] = kJoining;
  const bool refuse = pool.over_backlog(server);
  const sim::SimTime done = pool.submit_work(server, refuse ? pool.reject_cost() : join_cost_);
  if (done - now > rejoin_.join_timeout) {
    schedule(now + rejoin_.join_timeout, kTimeout, c, j);
  } else {
    schedule(done, refuse ? kRefused : kOk, c, j);
  }
}

void ChannelJoins::schedule_rejoin(std::uint32_t c, std::uint32_t j) {
  --joining_;
  ++waiting_;
  state_[slot(c, j)] = kWaiting;
  schedule(st_.sim.now() + rejoin_.delay(tries_[slot(c, j)] + 1), kRejoin, c, j);
}

void ChannelJoins::handle(const sim::Event& e) {
  const auto c = static_cast<std::uint32_t>(e.data & 0xFFFFFFFFu);
  if (static_cast<std::uint32_t>(e.data >> 32) != epoch_[c]) return;  // the connection it belonged to is gone
  const std::uint32_t j = e.tag >> 2;
  const std::size_t s = slot(c, j);
  switch (static_cast<Tag>(e.tag & 3u)) {
    case kOk:
      ++out_.succeeded;
      --joining_;
      ++joined_;
      state_[s] = kJoined;
      tries_[s] = 0;
      break;
    case kRefused:
      ++out_.refused;
      schedule_rejoin(c, j);
      break;
    case kTimeout:
      ++out_.timed_out;
      ++out_.leaves;
      st_.parts.servers->submit_work(static_cast<std::uint32_t>(st_.clients[c].server), leave_cost_);
      schedule_rejoin(c, j);
      break;
    case kRejoin:
      --waiting_;
      ++tries_[s];
      ++out_.retried;
      send_join(c, j);
      break;
  }
}

void ChannelJoins::connection_closed(std::uint32_t c, bool /*session_over*/) {
  for (std::uint32_t j = 0; j < k_; ++j) {
    std::uint8_t& s = state_[slot(c, j)];
    switch (static_cast<State>(s)) {
      case kJoining: --joining_; ++out_.cancelled; break;
      case kJoined: --joined_; break;
      case kWaiting: --waiting_; break;
      case kIdle: break;
    }
    s = kIdle;
  }
  ++epoch_[c];
}

void ChannelJoins::summarise(RunSummary& summary) const {
  ChannelJoinOutcome& o = summary.pubsub.joins;
  o = out_;
  o.in_flight_at_end = joining_;
  o.joined_at_end = joined_;
  o.waiting_at_end = waiting_;
}

void ChannelJoins::conservation(RunSummary& summary) const {
  const ChannelJoinOutcome& o = summary.pubsub.joins;
  add_conservation_check(summary, "channel_joins", "attempted = succeeded + timed_out + refused + cancelled + in_flight_at_end",
                         o.attempted, {o.succeeded, o.timed_out, o.refused, o.cancelled, o.in_flight_at_end});
  add_conservation_check(summary, "channel_joins_sent", "attempted = on_open + retried", o.attempted, {o.on_open, o.retried});
  add_conservation_check(summary, "channel_joins_state",
                         "connected clients x channels = joined_at_end + in_flight_at_end + waiting_at_end",
                         st_.connected * k_, {o.joined_at_end, o.in_flight_at_end, o.waiting_at_end});
}

}  // namespace wsfleet::models
