#include "models/transport/pusher_fallback.hpp"

#include <algorithm>
#include <stdexcept>

#include "models/fleet/attempt_steps.hpp"
#include "models/fleet/balancer_tier.hpp"
#include "models/fleet/connections.hpp"
#include "models/fleet/server_pool.hpp"
#include "models/fleet/summary_helpers.hpp"

namespace wsfleet::models {

bool PusherFallbackRace::needed(const FleetConfig& cfg) {
  const PusherFallback k = cfg.clients.pusher_fallback;
  return k == PusherFallback::On || (k == PusherFallback::Preset && cfg.backoff.policy == "pusher");
}

Transport PusherFallbackRace::fallback_transport(const FleetConfig& cfg) {
  return cfg.clients.pusher_fallback_transport == PusherFallbackTransport::XhrPolling ? Transport::LongPolling : Transport::Sse;
}

PusherFallbackRace::PusherFallbackRace(FleetState& state) : st_(state), transport_(fallback_transport(state.cfg)) {
  const ClientsSection& c = st_.cfg.clients;
  self_ = st_.sim.add_handler(this);
  delay_ = st_.duration(c.pusher_fallback_delay_s);
  ttl_ = st_.duration(c.pusher_transport_cache_ttl_s);
  cost_ = sim::from_micros(st_.cfg.fleet.cpu.handshake_us);
  const std::size_t n = st_.clients.size();
  seq_.assign(n, 0);
  deadline_.assign(n, 0);
  ws_due_.assign(n, kNever);
  via_fallback_.assign(n, 0);
  check_cache_.assign(n, 0);
  cache_.resize(n);
  out_.enabled = true;
  out_.transport = transport_ == Transport::LongPolling ? "xhr_polling" : "xhr_streaming";
}

void PusherFallbackRace::handle(const sim::Event& e) {
  if (e.tag != kStart) throw std::logic_error("PusherFallbackRace: unknown event tag");
  const auto c = static_cast<std::uint32_t>(e.data & 0xFFFFFFFFu);
  if (seq_[c] == static_cast<std::uint32_t>(e.data >> 32)) start(c);
}

bool PusherFallbackRace::attempt_started(std::uint32_t c, sim::SimTime deadline) {
  const sim::SimTime now = st_.sim.now();
  ++seq_[c];
  ws_due_[c] = kNever;
  deadline_[c] = deadline;
  check_cache_[c] = 0;
  if (via_fallback_[c]) {  // the fallback that took the previous attempt over never connected
    via_fallback_[c] = 0;
    ++out_.fallback_failed_after_takeover;
  }
  sim::SimTime start = now + delay_;
  Cache& k = cache_[c];
  if (ttl_ > 0 && k.stored >= 0 && k.stored + ttl_ >= now) {
    // CachedStrategy: the cached transport alone, fail-fast, timeout latency * 2 + 1000 ms.
    const sim::SimTime fail_fast = 2 * k.latency + sim::kNanosPerSecond;
    if (k.fallback) {
      ++out_.cached_fallback;
      if (race(c, std::min(deadline, now + fail_fast), true)) return true;
      ++out_.cache_flushed;  // flushTransportCache, then the full strategy
      k.stored = -1;
    } else {
      ++out_.cached_websocket;
      start = now + fail_fast + delay_;
      check_cache_[c] = 1;
    }
  }
  if (start < deadline && start <= st_.end) st_.sim.schedule_at(start, self_, kStart, FleetState::pack(c, seq_[c]));
  return false;
}

void PusherFallbackRace::start(std::uint32_t c) {
  const Client& cl = st_.clients[c];
  if (cl.state != ClientState::Connecting && cl.state != ClientState::Waiting) return;
  if (check_cache_[c]) {  // the cached WebSocket did not connect within its fail-fast timeout
    check_cache_[c] = 0;
    ++out_.cache_flushed;
    cache_[c].stored = -1;
  }
  if (cl.state == ClientState::Connecting && cl.server < 0) {
    ++out_.not_raced_held;  // waiting at its balancer: not raced (see the header)
    return;
  }
  race(c, deadline_[c], false);
}

bool PusherFallbackRace::race(std::uint32_t c, sim::SimTime deadline, bool fresh) {
  ++out_.fallback_started;
  BalancerTier& balancers = *st_.parts.balancers;
  const Route r = balancers.connect_second(c);
  if (r.held) balancers.abandon(c);  // queued at HAProxy: the client does not wait for it
  if (r.refusal || r.held || r.unreachable) {
    ++out_.fallback_refused;
    return false;
  }
  const Client& cl = st_.clients[c];
  const Server& s = st_.servers[r.server];
  sim::SimTime done = kNever;
  if (!s.unreachable) {
    done = st_.parts.servers->submit_work(r.server, cost_) + static_cast<sim::SimTime>(2.0 * st_.latency(cl.region, r.site));
    if (s.blackhole) done = kNever;
  }
  if (done == kNever || done > deadline) {
    ++out_.fallback_too_slow;
    balancers.connection_closed(r.balancer, r.server, r.worker);
    return false;
  }
  const bool ws_in_flight = !fresh && cl.state == ClientState::Connecting && cl.server >= 0;
  if (ws_in_flight && ws_due_[c] != kNever && ws_due_[c] <= done) {
    // FirstConnectedStrategy: the WebSocket connects first and the runner aborts the fallback.
    ++out_.fallback_lost;
    ++out_.losers_closed_fallback;
    balancers.connection_closed(r.balancer, r.server, r.worker);
    return false;
  }
  if (ws_in_flight) ++out_.losers_closed_websocket;
  ++out_.fallback_took_over;
  via_fallback_[c] = 1;
  st_.parts.transports->next_connection_on(c, transport_);
  st_.parts.steps->fallback_takeover(c, r, done, fresh);
  return true;
}

void PusherFallbackRace::connection_opened(std::uint32_t c) {
  ++seq_[c];  // a fallback start still scheduled for this attempt is void
  check_cache_[c] = 0;
  const bool fallback = via_fallback_[c] != 0;
  via_fallback_[c] = 0;
  ++(fallback ? out_.won_by_fallback : out_.won_by_websocket);
  if (ttl_ > 0) {
    const sim::SimTime now = st_.sim.now();
    cache_[c] = Cache{now, now - st_.clients[c].attempt_at, fallback};  // storeTransportCache
  }
}

void PusherFallbackRace::summarise(RunSummary& summary) const {
  PusherFallbackOutcome o = out_;
  for (std::uint32_t c = 0; c < via_fallback_.size(); ++c) {
    if (!via_fallback_[c]) continue;
    ++(st_.clients[c].state == ClientState::Connecting ? o.fallback_connecting_at_end : o.fallback_failed_after_takeover);
  }
  summary.pusher_fallback = o;
}

void PusherFallbackRace::conservation(RunSummary& summary) const {
  const PusherFallbackOutcome& o = summary.pusher_fallback;
  add_conservation_check(summary, "pusher fallback starts",
                         "fallback_started = fallback_refused + fallback_too_slow + fallback_lost + fallback_took_over",
                         o.fallback_started, {o.fallback_refused, o.fallback_too_slow, o.fallback_lost, o.fallback_took_over});
  add_conservation_check(summary, "pusher fallback takeovers",
                         "fallback_took_over = won_by_fallback + fallback_failed_after_takeover + fallback_connecting_at_end",
                         o.fallback_took_over, {o.won_by_fallback, o.fallback_failed_after_takeover, o.fallback_connecting_at_end});
  add_conservation_check(summary, "pusher fallback winners", "connections.established = won_by_websocket + won_by_fallback",
                         summary.connections.established, {o.won_by_websocket, o.won_by_fallback});
  add_conservation_check(summary, "pusher fallback losers", "losers_closed_fallback = fallback_lost", o.losers_closed_fallback,
                         {o.fallback_lost});
}

}  // namespace wsfleet::models
