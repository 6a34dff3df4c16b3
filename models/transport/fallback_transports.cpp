#include "models/transport/fallback_transports.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "models/faults/fault_type.hpp"
#include "models/fleet/balancer_tier.hpp"
#include "models/fleet/connections.hpp"
#include "models/fleet/server_pool.hpp"
#include "models/fleet/summary_helpers.hpp"
#include "models/transport/pusher_fallback.hpp"
#include "models/transport/signalr_fallback.hpp"

namespace wsfleet::models {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Salts of the per-client draws (stable: a client's transport does not depend on anything else).
constexpr std::uint64_t kTransportSalt = 0x7A45'5E0F'0000'0001ull;
constexpr std::uint64_t kBlockSalt = 0xB10C'4ED0'0000'0000ull;
}  // namespace

bool FallbackTransports::needed(const FleetConfig& config) {
  if (config.transport.any_share() || PusherFallbackRace::needed(config) || SignalRFallback::needed(config)) return true;
  for (const CrashFault& f : config.faults) {
    if (f.target == FaultTarget::WebSocketBlock) return true;
  }
  return false;
}

double FallbackTransports::unit(std::uint32_t c, std::uint64_t salt) {
  return static_cast<double>(sim::mix64(static_cast<std::uint64_t>(c) ^ salt) >> 11) * 0x1.0p-53;
}

FallbackTransports::FallbackTransports(FleetState& state)
    : st_(state), cfg_(state.cfg.transport), rng_posts_(state.streams.stream("transport.posts")) {
  self_ = st_.sim.add_handler(this);
  poll_timeout_ = sim::from_seconds(cfg_.long_polling.poll_timeout_s);
  if (poll_timeout_ <= 0) throw std::invalid_argument("transport.long_polling.poll_timeout_s must be > 0");
  cost_lp_request_ = sim::from_micros(cfg_.long_polling.request_us);
  cost_sse_request_ = sim::from_micros(cfg_.sse.request_us);
  if (cfg_.long_polling_share < 0.0 || cfg_.sse_share < 0.0 || cfg_.long_polling_share + cfg_.sse_share > 1.0) {
    throw std::invalid_argument("transport.long_polling_share + transport.sse_share must be between 0 and 1");
  }
  const std::size_t n = st_.clients.size();
  base_.resize(n, Transport::WebSocket);
  for (std::size_t c = 0; c < n; ++c) {
    const double u = unit(static_cast<std::uint32_t>(c), kTransportSalt);
    if (u < cfg_.long_polling_share) {
      base_[c] = Transport::LongPolling;
    } else if (u < cfg_.long_polling_share + cfg_.sse_share) {
      base_[c] = Transport::Sse;
    }
  }
  current_.assign(n, Transport::WebSocket);
  blocked_.assign(n, 0);
  polls_.resize(n);
  held_.assign(st_.servers.size(), 0);
  interval_polls_.assign(st_.servers.size(), 0);
}

sim::SimTime FallbackTransports::round_trip(std::uint32_t c) const {
  const Client& cl = st_.clients[c];
  if (cl.server < 0 || !st_.cfg.topology.enabled()) return 0;
  const std::uint32_t site = st_.topo.site_of(static_cast<std::uint32_t>(cl.server));
  return static_cast<sim::SimTime>(2.0 * st_.latency(cl.region, site));
}

void FallbackTransports::connection_opened(std::uint32_t c) {
  Transport t = base_[c];
  // WebSocket is blocked for this client: its session opens on polling and the upgrade probe fails.
  if (t == Transport::WebSocket && blocked_[c] > 0) t = Transport::LongPolling;
  if (!next_.empty() && next_[c] != 0) {  // pusher-js's fallback won the race, or SignalR fell back, for this connection
    t = static_cast<Transport>(next_[c] - 1u);
    next_[c] = 0;
  }
  current_[c] = t;
  if (t == Transport::WebSocket) return;
  const sim::SimTime now = st_.sim.now();
  if (t == Transport::LongPolling) {
    ++long_polling_;
    Poll& p = polls_[c];
    ++p.seq;
    p.pending = 0;
    p.held = false;
    // The first poll leaves as the handshake's answer arrives: it reaches the server half a round trip later.
    const sim::SimTime at = now + round_trip(c) / 2;
    if (at <= st_.end) st_.sim.schedule_at(at, self_, kPollArrive, FleetState::pack(c, p.seq));
  } else {
    ++sse_;
  }
  schedule_post(c);
}

void FallbackTransports::connection_closed(std::uint32_t c, bool /*session_over*/) {
  const Transport t = current_[c];
  if (t == Transport::LongPolling) {
    --long_polling_;
    Poll& p = polls_[c];
    if (p.held) {  // the held poll dies with the session
      release_hold(c);
      ++counts_.failed;
      ++counts_.failed_session_closed;
    }
    ++p.seq;
    p.pending = 0;
  } else if (t == Transport::Sse) {
    --sse_;
  }
  current_[c] = Transport::WebSocket;
}

void FallbackTransports::handle(const sim::Event& e) {
  const auto c = static_cast<std::uint32_t>(e.data & 0xFFFFFFFFu);
  const auto gen = static_cast<std::uint32_t>(e.data >> 32);
  switch (e.tag) {
    case kPollArrive:
      if (polls_[c].seq == gen) poll_arrive(c);
      return;
    case kPollTimeout:
      if (polls_[c].seq == gen && polls_[c].held) {
        ++counts_.timed_out;
        answer(c, false);
      }
      return;
    case kPost:
      if (st_.gens[c] == gen) post(c);
      return;
    case kReplyReady:
      if (st_.gens[c] == gen) reply_ready(c);
      return;
    default: throw std::logic_error("FallbackTransports: unknown event tag");
  }
}

FallbackTransports::Failure FallbackTransports::route(std::uint32_t c, std::uint32_t& server) {
  switch (st_.parts.balancers->route_request(c, server)) {
    case RequestFailure::BalancerDown: return Failure::BalancerDown;
    case RequestFailure::NoBackend: return Failure::NoBackend;
    case RequestFailure::BackendDown: return Failure::BackendDown;
    case RequestFailure::None: break;
  }
  if (static_cast<std::int32_t>(server) != st_.clients[c].server) {
    // engine.io BaseServer.verify(): the sid is not in this server's clients: 400 "Session ID unknown".
    st_.parts.servers->submit_work(server, current_[c] == Transport::Sse ? cost_sse_request_ : cost_lp_request_);
    return Failure::SessionUnknown;
  }
  return Failure::None;
}

void FallbackTransports::fail_session(std::uint32_t c, Failure why) {
  // engine.io-client: a failed request is a transport error; the socket closes and Socket.IO's
  // manager reconnects through its backoff.
  st_.parts.connections->close_connection(c, why == Failure::SessionUnknown ? st_.conn.session_unknown : st_.conn.poll_failed);
}

void FallbackTransports::poll_arrive(std::uint32_t c) {
  ++counts_.sent;
  std::uint32_t server = 0;
  const Failure why = route(c, server);
  if (why == Failure::None || why == Failure::SessionUnknown) ++interval_polls_[server];
  if (why != Failure::None) {
    ++counts_.failed;
    switch (why) {
      case Failure::SessionUnknown: ++counts_.failed_session_unknown; break;
      case Failure::BackendDown: ++counts_.failed_backend_down; break;
      case Failure::NoBackend: ++counts_.failed_no_backend; break;
      default: ++counts_.failed_balancer_down; break;
    }
    return fail_session(c, why);
  }
  const sim::SimTime now = st_.sim.now();
  st_.parts.servers->submit_work(server, cost_lp_request_);
  st_.parts.connections->note_frame(c);
  Poll& p = polls_[c];
  p.held = true;
  p.server = server;
  ++held_[server];
  if (p.pending > 0) return answer(c, true);  // replies were waiting: answered at once
  const sim::SimTime at = now + poll_timeout_;
  if (at <= st_.end) st_.sim.schedule_at(at, self_, kPollTimeout, FleetState::pack(c, p.seq));
}

void FallbackTransports::release_hold(std::uint32_t c) {
  Poll& p = polls_[c];
  p.held = false;
  --held_[p.server];
}

void FallbackTransports::answer(std::uint32_t c, bool with_data) {
  Poll& p = polls_[c];
  release_hold(c);
  ++p.seq;
  if (with_data) {
    ++counts_.answered_with_data;
    p.pending = 0;
  } else if (cfg_.long_polling.pong_posts) {
    // The empty answer carried the server's ping: the client sends its pong in a POST.
    std::uint32_t server = 0;
    if (!send_post(c, server)) return;  // the session is gone
    st_.parts.servers->submit_work(server, cost_lp_request_);
  }
  const sim::SimTime at = st_.sim.now() + round_trip(c);
  if (at <= st_.end) st_.sim.schedule_at(at, self_, kPollArrive, FleetState::pack(c, p.seq));
}

bool FallbackTransports::send_post(std::uint32_t c, std::uint32_t& server) {
  ++posts_sent_;
  post_bytes_ += current_[c] == Transport::Sse ? cfg_.sse.request_bytes : cfg_.long_polling.request_bytes;
  const Failure why = route(c, server);
  if (why == Failure::None) return true;
  ++posts_failed_;
  fail_session(c, why);
  return false;
}

void FallbackTransports::schedule_post(std::uint32_t c) {
  const double gap_s = st_.parts.connections->message_mean_gap_s();
  if (!(gap_s > 0.0)) return;
  const sim::SimTime now = st_.sim.now();
  const double wait_s = rng_posts_.exponential(gap_s);
  if (!(wait_s < sim::to_seconds(st_.end - now))) return;  // not within the run
  st_.sim.schedule_at(now + sim::from_seconds(wait_s), self_, kPost, FleetState::pack(c, st_.gens[c]));
}

void FallbackTransports::post(std::uint32_t c) {
  // A client message: its own HTTP POST, then the usual message work on the session's server.
  std::uint32_t server = 0;
  if (!send_post(c, server)) return;
  Connections& connections = *st_.parts.connections;
  const bool polling = current_[c] == Transport::LongPolling;
  const sim::SimTime done = st_.parts.servers->submit_job(
      server, (polling ? cost_lp_request_ : cost_sse_request_) + connections.message_cost(), kJobMessage, c);
  connections.note_frame(c);
  connections.note_data(c);
  // Long polling: the server's reply goes out on the client's poll (SSE: on its stream).
  if (polling && st_.cfg.clients.replies_per_message > 0.0 && done <= st_.end) {
    st_.sim.schedule_at(done, self_, kReplyReady, FleetState::pack(c, st_.gens[c]));
  }
  schedule_post(c);
}

void FallbackTransports::reply_ready(std::uint32_t c) {
  Poll& p = polls_[c];
  if (p.held) return answer(c, true);
  ++p.pending;  // between polls: it waits for the next one
}

void FallbackTransports::block(std::uint32_t fault) {
  const CrashFault& spec = st_.cfg.faults[fault];
  FaultOutcome& out = st_.faults[fault].outcome;
  out.share = spec.share;
  const std::uint64_t salt = kBlockSalt + fault;
  for (std::uint32_t c = 0; c < st_.clients.size(); ++c) {
    if (unit(c, salt) >= spec.share) continue;
    ++blocked_[c];
    if (base_[c] != Transport::WebSocket) continue;  // already on a fallback: not affected
    if (blocked_[c] == 1) ++out.clients_blocked;
    // Its WebSocket is cut mid-stream; it reconnects through its backoff, on long polling.
    if (st_.clients[c].state == ClientState::Connected && current_[c] == Transport::WebSocket) {
      st_.parts.connections->cut_connection(c, fault, true);
    }
  }
  note_nothing_to_reconnect(st_.faults[fault]);
}

void FallbackTransports::unblock(std::uint32_t fault) {
  const double share = st_.cfg.faults[fault].share;
  const std::uint64_t salt = kBlockSalt + fault;
  for (std::uint32_t c = 0; c < blocked_.size(); ++c) {
    if (unit(c, salt) < share && blocked_[c] > 0) --blocked_[c];
  }
}

std::uint64_t FallbackTransports::take_polls(std::uint32_t server) {
  const std::uint64_t n = interval_polls_[server];
  interval_polls_[server] = 0;
  return n;
}

double FallbackTransports::held_memory_mib(std::uint32_t server) const {
  return static_cast<double>(held_[server]) * cfg_.long_polling.memory_per_request_kib / 1024.0;
}

TransportClients FallbackTransports::clients(std::uint64_t connected) const {
  return {connected - long_polling_ - sse_, long_polling_, sse_};
}

void FallbackTransports::note_sample(std::uint64_t connected) {
  const TransportClients now = clients(connected);
  peak_.websocket = std::max(peak_.websocket, now.websocket);
  peak_.long_polling = std::max(peak_.long_polling, now.long_polling);
  peak_.sse = std::max(peak_.sse, now.sse);
  if (connected > 0) {
    peak_share_ = std::max(peak_share_, static_cast<double>(now.long_polling + now.sse) / static_cast<double>(connected));
  }
}

void FallbackTransports::conservation(RunSummary& summary, const FallbackTransports* transports) {
  auto check = [&](std::string name, std::string eq, std::uint64_t lhs, const std::vector<std::uint64_t>& rhs) {
    add_conservation_check(summary, std::move(name), std::move(eq), lhs, rhs);
  };
  const TransportOutcome& tr = summary.transport;
  check("transports", "active_at_end = websocket + long_polling + sse (at end)", summary.connections.active_at_end,
        {tr.at_end.websocket, tr.at_end.long_polling, tr.at_end.sse});
  check("polls", "polls sent = answered_with_data + timed_out + failed + in_flight_at_end", tr.polls.sent,
        {tr.polls.answered_with_data, tr.polls.timed_out, tr.polls.failed, tr.polls.in_flight_at_end});
  check("poll failures", "failed = session_unknown + backend_down + no_backend + balancer_down + session_closed",
        tr.polls.failed,
        {tr.polls.failed_session_unknown, tr.polls.failed_backend_down, tr.polls.failed_no_backend,
         tr.polls.failed_balancer_down, tr.polls.failed_session_closed});
  check("held polls", "polls held by servers = in_flight_at_end", transports ? transports->held_polls() : 0,
        {tr.polls.in_flight_at_end});
}

std::uint64_t FallbackTransports::held_polls() const {
  std::uint64_t n = 0;
  for (std::uint64_t h : held_) n += h;
  return n;
}

void FallbackTransports::summarise(RunSummary& summary, std::uint64_t connected) const {
  TransportOutcome& t = summary.transport;
  // A census of the clients (independent of the running counters, which conservation compares it with).
  t.at_end = {};
  t.polls = counts_;
  t.polls.in_flight_at_end = 0;
  for (std::uint32_t c = 0; c < st_.clients.size(); ++c) {
    if (polls_[c].held) ++t.polls.in_flight_at_end;
    if (st_.clients[c].state != ClientState::Connected) continue;
    switch (current_[c]) {
      case Transport::WebSocket: ++t.at_end.websocket; break;
      case Transport::LongPolling: ++t.at_end.long_polling; break;
      case Transport::Sse: ++t.at_end.sse; break;
    }
  }
  t.peak = peak_;
  t.fallback_share_at_end =
      connected > 0 ? static_cast<double>(t.at_end.long_polling + t.at_end.sse) / static_cast<double>(connected) : kNaN;
  t.peak_fallback_share = peak_share_ < 0.0 ? kNaN : peak_share_;
  t.posts_sent = posts_sent_;
  t.posts_failed = posts_failed_;
  t.http_bytes = static_cast<double>(counts_.sent) * cfg_.long_polling.request_bytes + post_bytes_;
}

}  // namespace wsfleet::models
