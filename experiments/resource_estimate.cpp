#include "experiments/resource_estimate.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace wsfleet::experiments {

namespace {

// Measured peak RSS of `wsfleet run` (default.toml and live_scores.toml at 1e5 and 4e5-1e6
// clients): the increments per client, per subscription and per long-polling client, rounded up.
constexpr double kBaseBytes = 32e6;             // the program, the policies, the output buffers
constexpr double kClientBytes = 100.0;          // a client and its connection
constexpr double kSubscriptionBytes = 160.0;    // one channel subscription with its send-buffer share
constexpr double kFallbackClientBytes = 30.0;   // a client's long-polling or SSE state
constexpr double kSeriesRowBytes = 27 * 8.0;    // one row of the per-server time series
constexpr double kSubscriberListBytes = 24.0;   // one (server, channel) subscriber list

std::string gigabytes(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GB", bytes / 1e9);
  return text;
}

}  // namespace

MemoryEstimate estimate_memory(const models::FleetConfig& config) {
  const double clients = static_cast<double>(config.clients.count);
  const double servers = config.total_servers();
  double per_client = kClientBytes;
  if (config.pubsub.enabled()) per_client += kSubscriptionBytes * config.pubsub.subscriptions;
  per_client += kFallbackClientBytes * std::min(1.0, config.transport.long_polling_share + config.transport.sse_share);
  const double by_clients = clients * per_client;
  const double samples = std::ceil(config.run.duration_s / config.run.sample_interval_s);
  const double by_servers = servers * samples * kSeriesRowBytes;
  const double by_channels = config.pubsub.enabled() ? servers * config.pubsub.channels * kSubscriberListBytes : 0.0;
  MemoryEstimate e;
  e.bytes = kBaseBytes + by_clients + by_servers + by_channels;
  e.largest_key = by_clients >= by_servers && by_clients >= by_channels ? "clients.count"
                  : by_servers >= by_channels                           ? "fleet.servers"
                                                                        : "pubsub.channels";
  return e;
}

double machine_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
}

std::string memory_refusal(const MemoryEstimate& estimate, double machine_bytes) {
  if (machine_bytes <= 0.0 || estimate.bytes <= machine_bytes) return "";
  const std::string advice = estimate.largest_key == "fleet.servers" ? "reduce fleet.servers or raise run.sample_interval_s"
                                                                      : "reduce " + estimate.largest_key;
  return "this scenario needs about " + gigabytes(estimate.bytes) + " of memory; this machine has " +
         gigabytes(machine_bytes) + ": " + advice;
}

}  // namespace wsfleet::experiments
