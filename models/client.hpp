#pragma once
// One client of the population. Kept small: a million of them live in one vector.
#include <cstdint>

#include "models/backoff_policy.hpp"

namespace wsfleet::models {

/// Where a client is in its life.
enum class ClientState : std::uint8_t {
  NotArrived,  ///< before its first connection time
  Connecting,  ///< handshake in progress; holds a server slot
  Connected,   ///< connection established
  Waiting,     ///< in backoff, a retry is scheduled
  Left,        ///< session over, left the population
  GaveUp,      ///< exhausted its retries
};

/// A client. (Its timer generation lives in Fleet::gens_, a compact array on the hot path.)
struct Client {
  BackoffState backoff;              ///< retry memory
  sim::SimTime attempt_at = 0;       ///< when the current/last connection attempt started, ns
  std::uint32_t slot = 0;            ///< index in its server's member list
  std::int32_t server = -1;          ///< server holding its slot, -1 if none
  std::int32_t sticky = -1;          ///< server its affinity cookie names, -1 if none
  std::uint16_t storm = 0;           ///< 1 + index of the crash that dropped it and it has not recovered from; 0 = none
  ClientState state = ClientState::NotArrived;
  std::uint8_t balancer = 0;         ///< balancer its current connection goes through
  std::uint8_t worker = 0;           ///< that balancer's worker process that accepted it (NGINX `workers`)
  std::uint8_t region = 0;           ///< where it is ([topology] regions)
  bool retrying = false;             ///< the next attempt is a retry
};

}  // namespace wsfleet::models
