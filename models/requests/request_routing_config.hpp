#pragma once
// What a request-level routing run is: n servers with c cores each, a stream of requests, and the
// balancing policy that routes every request on its own (as HTTP long polling is routed).
#include <cstdint>
#include <string>

#include "models/policy_params.hpp"
#include "sim/distribution.hpp"

namespace wsfleet::models {

/// A request-level routing run. Times in seconds.
struct RequestRoutingConfig {
  std::int64_t servers = 10;    ///< backends behind the balancer (1..1,000,000)
  std::int64_t cores = 1;       ///< cores per server, each an FCFS server of the server's queue (1..1024)
  /// Time between consecutive request arrivals, seconds (exponential = Poisson arrivals).
  sim::Distribution interarrival_s = sim::Distribution::exponential(0.1);
  /// CPU time one request needs, seconds (exponential = M/M/... service).
  sim::Distribution service_s = sim::Distribution::exponential(0.9);
  std::string policy = "random";  ///< balancing policy registry name
  Params params;                  ///< the policy's parameters (e.g. choices for random_two_choices)
  double duration_s = 1000.0;     ///< simulated time; arrivals stop here and so does the run
  double warmup_s = 100.0;        ///< statistics cover requests that arrive at or after this time
  std::uint64_t seed = 1;         ///< master seed
  std::uint64_t replication = 0;  ///< replication index (independent streams for the same seed)
};

/// Most requests a run may expect (duration / mean interarrival), so a typo cannot start a run that
/// takes hours or fills memory.
inline constexpr double kMaxExpectedRequests = 2e8;

/// Checks every field; throws std::invalid_argument whose message starts with the field's name
/// and says what is allowed. Does not check the policy (make_balancing_policy does).
void validate(const RequestRoutingConfig& cfg);

}  // namespace wsfleet::models
