#pragma once
#include <cstdint>

namespace wsfleet::models {

/// Why a connection attempt did not get a connection.
enum class Refusal : std::uint8_t {
  ServerFull,    ///< the server was at its connection limit (rejected)
  NoBackend,     ///< the balancer had no backend in service (rejected)
  RateLimited,   ///< the balancer's new-connection rate limit (rejected)
  Shed,          ///< the server's admission control (rejected, with Retry-After)
  Timeout,       ///< the handshake did not finish within the connect timeout (failed)
  BackendDown,   ///< every try went to a backend that was down (failed)
  SourcePorts,   ///< the balancer had no free source port (failed)
  BalancerDown,  ///< the client's balancer was down (failed)
  Crash,         ///< the handshake was cut by a crash or a drain deadline (failed)
};

/// True for the refusals counted as rejected (refused at once) rather than failed.
inline bool is_rejection(Refusal why) {
  return why == Refusal::ServerFull || why == Refusal::NoBackend || why == Refusal::RateLimited || why == Refusal::Shed;
}

}  // namespace wsfleet::models
