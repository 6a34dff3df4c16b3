#pragma once
// How much memory a run needs, estimated from the scenario before it starts, so that a run that
// cannot fit this machine is refused with the keys that make it large rather than dying half-way
// (measured on the engine: about 100 bytes per client, 160 more per pub/sub subscription).
#include <cstdint>
#include <string>
#include <vector>

#include "models/fleet_config.hpp"

namespace wsfleet::experiments {

/// The estimate, with the key that contributes most.
struct MemoryEstimate {
  double bytes = 0.0;        ///< the whole run's peak, roughly (within a factor of about 1.5)
  std::string largest_key;   ///< "clients.count", "fleet.servers" or "pubsub.channels"
};

/// The memory `config` needs to run.
MemoryEstimate estimate_memory(const models::FleetConfig& config);

/// Physical memory of this machine, bytes (0 when unknown).
double machine_memory_bytes();

/// "" when the run fits in `machine_bytes` (or that is 0), else the refusal: "this scenario needs
/// about 93.2 GB of memory; this machine has 24.0 GB: reduce clients.count".
std::string memory_refusal(const MemoryEstimate& estimate, double machine_bytes);

/// One source of events or deliveries in the estimate, with the key that sets its size.
struct EventTerm {
  std::string key;          ///< the scenario key to change to make it smaller, e.g. "clients.messages_per_minute"
  double events = 0.0;      ///< events it schedules
  double deliveries = 0.0;  ///< copies written to subscribers (see EventEstimate::deliveries)
  double heartbeats = 0.0;  ///< pooled heartbeats (see EventEstimate::heartbeats)
};

/// How long a run takes, estimated from the scenario before it starts (the run-time twin of the
/// memory estimate): the events the simulator will process and the work done inside them.
struct EventEstimate {
  /// Events the simulator processes: `events_processed` in summary.json (within a factor of about 2
  /// for the bundled scenarios; tests/cpp/test_resource_estimate.cpp and tests/python/test_estimate.py).
  double events = 0.0;
  /// Work done in a loop inside an event rather than as events: a publication written to each
  /// subscriber. Each costs a fraction of an event; a run with many is slower than its event count says.
  double deliveries = 0.0;
  /// Heartbeats pooled per server (the default): each a few instructions of a server's catch-up loop.
  double heartbeats = 0.0;
  /// CPU time on one core at the engine's measured speed (kEventsPerSecond, kDeliveriesPerSecond,
  /// kHeartbeatsPerSecond).
  double seconds = 0.0;
  std::string largest_key;   ///< the key of the term that costs the most time
  double largest_share = 0.0;  ///< that term's share of `seconds`, 0..1
  std::vector<EventTerm> terms;
};

/// The engine's speed on one core, measured with `wsfleet run --json` and /usr/bin/time (user CPU
/// seconds) on the bundled scenarios: default.toml at 1e5 clients processes 3.2 M events in 0.48 s
/// (2.4 M pooled heartbeats among them, 0.1 s); live_scores.toml at 5,000 and 20,000 clients
/// writes 8.5 M and 34 M copies at 17 M and 6.6 M per second (slower as the fleet grows). Rounded
/// down (slower machines, larger fleets): 4 M events and 5 M deliveries per second.
inline constexpr double kEventsPerSecond = 4e6;
inline constexpr double kDeliveriesPerSecond = 5e6;
/// default.toml at 1e5 clients without messages: 2.4 M pooled heartbeats and 0.25 M events in 0.1 s.
inline constexpr double kHeartbeatsPerSecond = 2e7;

/// The events and deliveries `config` will cost.
EventEstimate estimate_events(const models::FleetConfig& config);

/// "" when the run fits `max_events` (deliveries and pooled heartbeats counted for the time they
/// take, in events: seconds x kEventsPerSecond), else the refusal, e.g. "this scenario needs
/// about 1.0e+12 events (about 2.89 days of computing at 4 M events/s), more than run.max_events =
/// 10 G: clients.messages_per_minute makes 98 % of them; lower clients.messages_per_minute or shorten
/// run.duration_s, or raise run.max_events if you mean to run it".
std::string events_refusal(const EventEstimate& estimate, double max_events);

/// "about 63 M events, ~32 s" (plus " and 4.1 G deliveries" when they matter), for `wsfleet check`.
std::string describe_estimate(const EventEstimate& estimate);

}  // namespace wsfleet::experiments
