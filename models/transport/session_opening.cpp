#include "models/transport/session_opening.hpp"

#include <stdexcept>
#include <string>

#include "models/fleet/balancer_tier.hpp"
#include "models/fleet/server_pool.hpp"
#include "models/fleet/summary_helpers.hpp"

namespace wsfleet::models {

OpeningLibrary SessionOpening::library_of(const FleetConfig& cfg) {
  const ClientsSection& c = cfg.clients;
  const std::string& policy = cfg.backoff.policy;
  if (c.upgrade_from_polling == UpgradeFromPolling::On) return OpeningLibrary::EngineIo;
  if (c.upgrade_from_polling == UpgradeFromPolling::Preset && policy == "socketio") return OpeningLibrary::EngineIo;
  if (policy == "signalr" && !c.skip_negotiation) return OpeningLibrary::SignalR;
  return OpeningLibrary::None;
}

std::uint32_t SessionOpening::requests_per_open(OpeningLibrary library) {
  switch (library) {
    case OpeningLibrary::EngineIo: return 4;  // handshake GET, CONNECT POST, GET poll, last GET poll
    case OpeningLibrary::SignalR: return 1;   // POST /negotiate
    case OpeningLibrary::None: break;
  }
  return 0;
}

SessionOpening::SessionOpening(FleetState& state) : st_(state), library_(library_of(state.cfg)) {
  if (library_ == OpeningLibrary::None) throw std::logic_error("a session opening without a library that sends one");
  cost_ = sim::from_micros(st_.cfg.transport.long_polling.request_us);
  session_.assign(st_.clients.size(), -1);
  out_.enabled = true;
  out_.library = library_ == OpeningLibrary::EngineIo ? "engine.io" : "signalr";
  out_.requests_per_open = requests_per_open(library_);
}

SessionOpening::Failure SessionOpening::send(std::uint32_t c, bool opens_session) {
  ++out_.requests_sent;
  failed_server_ = -1;
  std::uint32_t server = 0;
  switch (st_.parts.balancers->route_request(c, server)) {
    case RequestFailure::BalancerDown: ++out_.failed_balancer_down; ++out_.requests_failed;
      failed_balancer_ = st_.parts.balancers->balancer_of(c);
      return Failure::BalancerDown;
    case RequestFailure::NoBackend: ++out_.failed_no_backend; ++out_.requests_failed;
      failed_balancer_ = st_.parts.balancers->balancer_of(c);
      return Failure::NoBackend;
    case RequestFailure::BackendDown: ++out_.failed_backend_down; ++out_.requests_failed;
      failed_balancer_ = st_.parts.balancers->balancer_of(c);
      failed_server_ = static_cast<std::int32_t>(server);
      return Failure::BackendDown;
    case RequestFailure::None: break;
  }
  // The request reached a server: its work (or its 400) is queued there.
  st_.parts.servers->submit_work(server, cost_);
  out_.cpu_seconds += sim::to_seconds(cost_);
  if (opens_session) {
    // The handshake (engine.io) or the negotiate (SignalR) opens the session on this server. The
    // balancer's affinity starts with its answer: a cookie-inserting balancer (HAProxy `cookie ...
    // insert`, NGINX sticky cookie) sets the cookie on it; a source-IP table remembers the server.
    session_[c] = static_cast<std::int32_t>(server);
    if (st_.cfg.balancer.sticky == Stickiness::Cookie) st_.clients[c].sticky = static_cast<std::int32_t>(server);
    st_.parts.balancers->remember(c, server);
    ++out_.requests_answered;
    return Failure::None;
  }
  if (static_cast<std::int32_t>(server) != session_[c]) {
    // engine.io BaseServer.verify(): the sid is not among this server's clients: 400, error code 1.
    ++out_.failed_session_unknown;
    ++out_.requests_failed;
    return Failure::SessionUnknown;
  }
  ++out_.requests_answered;
  return Failure::None;
}

SessionOpening::Failure SessionOpening::open(std::uint32_t c) {
  ++out_.opens;
  session_[c] = -1;
  const std::uint32_t n = requests_per_open(library_);
  for (std::uint32_t k = 0; k < n; ++k) {
    const Failure f = send(c, k == 0);
    if (f != Failure::None) {
      session_[c] = -1;
      return f;
    }
  }
  return Failure::None;
}

bool SessionOpening::upgrade_reaches(std::uint32_t c, std::uint32_t server) {
  ++out_.upgrades;
  const bool held = session_[c] == static_cast<std::int32_t>(server);
  session_[c] = -1;
  if (held) return true;
  // engine.io: handleUpgrade -> verify() fails -> abortUpgrade with 400 "Session ID unknown";
  // SignalR: the connection token is not on this server -> 404. Either costs a request's work.
  ++out_.upgrades_session_unknown;
  st_.parts.servers->submit_work(server, cost_);
  out_.cpu_seconds += sim::to_seconds(cost_);
  return false;
}

void SessionOpening::summarise(RunSummary& summary) const {
  summary.session_opening = out_;
  summary.session_opening.http_bytes = static_cast<double>(out_.requests_sent) * st_.cfg.transport.long_polling.request_bytes;
}

void SessionOpening::conservation(RunSummary& summary) const {
  const SessionOpeningOutcome& o = summary.session_opening;
  add_conservation_check(summary, "session opening requests", "requests_sent = requests_answered + requests_failed",
                         o.requests_sent, {o.requests_answered, o.requests_failed});
  add_conservation_check(summary, "session opening failures",
                         "requests_failed = failed_session_unknown + failed_backend_down + failed_no_backend + failed_balancer_down",
                         o.requests_failed, {o.failed_session_unknown, o.failed_backend_down, o.failed_no_backend, o.failed_balancer_down});
  add_conservation_check(summary, "session unknown attempts",
                         "connections.failed_session_unknown = failed_session_unknown + upgrades_session_unknown",
                         summary.connections.failed_session_unknown, {o.failed_session_unknown, o.upgrades_session_unknown});
  // CPU: every request that reached a server, and every upgrade that reached the wrong one, cost request_us.
  const std::uint64_t reached = o.requests_answered + o.failed_session_unknown + o.upgrades_session_unknown;
  if (cost_ > 0) add_conservation_check(summary, "session opening cpu", "cpu_seconds / request_us = requests reaching a server",
                         static_cast<std::uint64_t>(o.cpu_seconds / sim::to_seconds(cost_) + 0.5), {reached});
}

}  // namespace wsfleet::models
