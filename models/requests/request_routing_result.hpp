#pragma once
// What a request-level routing run measured.
#include <cstdint>
#include <vector>

namespace wsfleet::models {

/// The outcome of one request-level routing run. Statistics (response times, utilisation, served,
/// queue lengths) cover the measurement window [warmup_s, duration_s]; the counts cover the whole run.
struct RequestRoutingResult {
  std::uint64_t arrived = 0;     ///< requests that arrived during the whole run
  std::uint64_t completed = 0;   ///< requests completed by the end of the run
  std::uint64_t in_flight = 0;   ///< requests queued or in service at the end
  bool conserved = false;        ///< arrived == completed + in_flight

  /// Requests that arrived at or after warm-up and completed by the end (the response-time sample).
  std::uint64_t measured = 0;
  double mean_response_s = 0.0;  ///< mean response time (waiting + service) of the sample, s; NaN if empty
  double p50_response_s = 0.0;   ///< median, s (within 0.5 % relative); NaN if empty
  double p99_response_s = 0.0;   ///< 99th percentile, s (within 0.5 % relative); NaN if empty
  double max_response_s = 0.0;   ///< largest, s; NaN if empty

  std::vector<double> utilisation;         ///< per server: busy core-time / (cores x window), 0..1
  std::vector<std::uint64_t> served;       ///< per server: requests completed in the window
  /// Time-averaged share of servers with at least i outstanding requests (queued or in service),
  /// i = 0, 1, 2, ... up to the largest level reached; entry 0 is 1. The supermarket model's s_i.
  std::vector<double> share_at_least;
  double mean_outstanding = 0.0;  ///< time-averaged outstanding requests per server in the window
};

}  // namespace wsfleet::models
