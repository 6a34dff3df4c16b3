#include "models/transport/signalr_fallback.hpp"

#include <stdexcept>
#include <string>

#include "models/fleet/summary_helpers.hpp"
#include "models/transport/pusher_fallback.hpp"
#include "models/transport/session_opening.hpp"

namespace wsfleet::models {

namespace {

std::uint64_t& of(TransportClients& counts, Transport t) {
  switch (t) {
    case Transport::WebSocket: return counts.websocket;
    case Transport::Sse: return counts.sse;
    case Transport::LongPolling: return counts.long_polling;
  }
  throw std::logic_error("SignalRFallback: unknown transport");
}

std::uint64_t sum(const TransportClients& counts) { return counts.websocket + counts.sse + counts.long_polling; }

}  // namespace

std::vector<Transport> SignalRFallback::allowed(SignalRTransport option) {
  const auto mask = static_cast<unsigned>(option) + 1u;  // HttpTransportType flags
  std::vector<Transport> order;
  if (mask & 1u) order.push_back(Transport::WebSocket);
  if (mask & 2u) order.push_back(Transport::Sse);
  if (mask & 4u) order.push_back(Transport::LongPolling);
  return order;
}

bool SignalRFallback::needed(const FleetConfig& cfg) {
  // clients.pusher_fallback = "on" makes these clients race pusher-js's fallback instead (one fallback model per run).
  return SessionOpening::library_of(cfg) == OpeningLibrary::SignalR && cfg.clients.signalr_transport != SignalRTransport::WebSockets &&
         !PusherFallbackRace::needed(cfg);
}

SignalRFallback::SignalRFallback(FleetState& state) : st_(state), order_(allowed(state.cfg.clients.signalr_transport)) {
  const std::size_t n = st_.clients.size();
  stage_.assign(n, 0);
  starting_.assign(n, 0);
  started_.assign(n, 0);
  out_.enabled = true;
  out_.transports = signalr_transport_names().at(static_cast<std::size_t>(st_.cfg.clients.signalr_transport));
}

void SignalRFallback::attempt_started(std::uint32_t c) {
  stage_[c] = 0;
  starting_[c] = 0;
  started_[c] = st_.sim.now();
}

Transport SignalRFallback::start_transport(std::uint32_t c) {
  starting_[c] = 1;
  const Transport t = order_[stage_[c]];
  ++of(out_.starts, t);
  return t;
}

bool SignalRFallback::fall_back(std::uint32_t c, Cause cause) {
  if (!starting_[c]) return false;  // a negotiation failed: start() rejects at once
  starting_[c] = 0;
  if (stage_[c] + 1u >= order_.size()) {
    ++out_.exhausted;
    return false;
  }
  ++out_.fallbacks;
  switch (order_[stage_[c]]) {
    case Transport::WebSocket: ++out_.fallbacks_from_websocket; break;
    case Transport::Sse: ++out_.fallbacks_from_sse; break;
    case Transport::LongPolling: throw std::logic_error("SignalRFallback: no transport after long polling");
  }
  switch (cause) {
    case Cause::Blocked: ++out_.fallbacks_blocked; break;
    case Cause::Refused: ++out_.fallbacks_refused; break;
    case Cause::TimedOut: ++out_.fallbacks_timed_out; break;
    case Cause::SessionUnknown: ++out_.fallbacks_session_unknown; break;
  }
  ++stage_[c];
  return true;
}

void SignalRFallback::connection_opened(std::uint32_t c) {
  starting_[c] = 0;
  ++of(out_.connections, order_[stage_[c]]);
}

void SignalRFallback::summarise(RunSummary& summary) const {
  SignalRFallbackOutcome o = out_;
  for (std::uint32_t c = 0; c < starting_.size(); ++c) {
    if (starting_[c] && st_.clients[c].state == ClientState::Connecting) ++o.starting_at_end;
  }
  summary.signalr_fallback = o;
}

void SignalRFallback::conservation(RunSummary& summary) const {
  const SignalRFallbackOutcome& o = summary.signalr_fallback;
  add_conservation_check(summary, "signalr transport starts",
                         "starts = connections + fallbacks + exhausted + starting_at_end (every transport)", sum(o.starts),
                         {sum(o.connections), o.fallbacks, o.exhausted, o.starting_at_end});
  add_conservation_check(summary, "signalr fallbacks by cause",
                         "fallbacks = blocked + refused + timed_out + session_unknown", o.fallbacks,
                         {o.fallbacks_blocked, o.fallbacks_refused, o.fallbacks_timed_out, o.fallbacks_session_unknown});
  add_conservation_check(summary, "signalr fallbacks by transport", "fallbacks = fallbacks_from.websocket + fallbacks_from.sse",
                         o.fallbacks, {o.fallbacks_from_websocket, o.fallbacks_from_sse});
  add_conservation_check(summary, "signalr connections", "connections.established = connections of every transport",
                         summary.connections.established, {o.connections.websocket, o.connections.sse, o.connections.long_polling});
  add_conservation_check(summary, "signalr negotiations", "session_opening.opens = connections.attempted + fallbacks",
                         summary.session_opening.opens, {summary.connections.attempted, o.fallbacks});
}

}  // namespace wsfleet::models
