#pragma once
// What one fleet run produces: headline numbers and tidy time series.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/time_series.hpp"

namespace wsfleet::models {

/// Percentiles of a latency distribution, ms (NaN when there were no samples).
struct LatencyStats {
  std::uint64_t count = 0;
  double mean_ms, p50_ms, p90_ms, p99_ms, p999_ms, max_ms;
};

/// Connection attempts and connections, counted over the whole run.
struct ConnectionCounts {
  std::uint64_t attempted = 0;      ///< connection attempts made (first tries and retries)
  std::uint64_t established = 0;    ///< handshakes completed
  std::uint64_t rejected = 0;       ///< refused at once (server full, or no live backend)
  std::uint64_t failed = 0;         ///< handshake timed out or its server crashed during it
  std::uint64_t pending_at_end = 0; ///< handshakes still in progress at the end
  std::uint64_t closed = 0;         ///< established connections that ended (normally or by a crash)
  std::uint64_t dropped = 0;        ///< of `closed`, those cut by a server crash
  std::uint64_t active_at_end = 0;  ///< established connections open at the end
  std::uint64_t retries = 0;        ///< of `attempted`, those made after a drop, rejection or failure
  std::uint64_t gave_up = 0;        ///< clients that exhausted their retries
  std::uint64_t waiting_at_end = 0; ///< clients sitting in backoff at the end
  std::uint64_t no_backend = 0;     ///< of `rejected`, those with no eligible backend at all
};

/// Messages of one kind (data messages or heartbeats).
struct MessageCounts {
  std::uint64_t sent = 0;              ///< submitted to a server's CPU
  std::uint64_t delivered = 0;         ///< processed by the end of the run
  std::uint64_t dropped = 0;           ///< lost in a crashed server's queue
  std::uint64_t in_flight_at_end = 0;  ///< still queued at the end
};

/// What one crash fault did.
struct FaultOutcome {
  std::uint32_t server = 0;
  double at_s = 0.0;
  std::optional<double> recover_after_s;
  std::uint64_t connections_dropped = 0;          ///< established connections cut
  std::uint64_t handshakes_failed = 0;            ///< handshakes in progress that were lost
  std::optional<double> reconnected_within_s;     ///< from the crash until every dropped client was connected again
};

/// One invariant checked at the end of a run.
struct ConservationCheck {
  std::string name;       ///< e.g. "attempts"
  std::string equation;   ///< e.g. "attempted = established + rejected + failed + pending_at_end"
  std::string values;     ///< the numbers, e.g. "1000 = 990 + 5 + 3 + 2"
  bool ok = false;
};

/// Headline numbers of a run.
struct RunSummary {
  std::string scenario_name;
  std::string scenario_description;
  std::uint64_t seed = 0;
  std::uint64_t replication = 0;
  double simulated_seconds = 0.0;
  double wall_seconds = 0.0;               ///< host time; the only field that varies between identical runs
  std::uint64_t events_processed = 0;
  std::uint32_t servers = 0;
  std::uint32_t max_connections_per_server = 0;
  std::string balancer;
  std::string backoff;
  std::uint64_t clients = 0;
  ConnectionCounts connections;
  MessageCounts messages;
  MessageCounts heartbeats;
  LatencyStats message_latency;
  LatencyStats handshake_latency;
  double cpu_mean_utilisation = 0.0;       ///< busy fraction over all servers and the whole run
  double cpu_peak_utilisation = 0.0;       ///< highest busy fraction of one server in one sample interval
  double peak_server_memory_mib = 0.0;     ///< highest memory of one server at a sample time
  std::uint64_t peak_connections = 0;      ///< highest fleet-wide open connections at a sample time
  std::uint64_t peak_server_connections = 0;  ///< highest open connections on one server at a sample time
  std::vector<FaultOutcome> faults;
  std::vector<ConservationCheck> conservation;
};

/// A run's full result.
struct RunResult {
  RunSummary summary;
  /// One row per sample time: fleet totals.
  sim::TimeSeries fleet;
  /// One row per sample time per server.
  sim::TimeSeries servers;
};

}  // namespace wsfleet::models
