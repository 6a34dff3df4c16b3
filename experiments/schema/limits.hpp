#pragma once
// The bounds of the scenario schema that are not a key's own meaning (a share is 0..1 by meaning),
// and why each has its value. They keep every run finite and exact on the integer-nanosecond clock
// (sim/time.hpp: int64 ns, so at most 9.2e18 ns = 292 years).
namespace wsfleet::experiments::schema {

/// Longest simulated time: 1e7 s (116 days) = 1e16 ns, a thousandth of the clock's range, so any
/// time plus any allowed duration stays far from int64 overflow.
inline constexpr double kMaxDurationS = 1e7;
/// Most samples of the time series: a million per series is already 8 MB per column.
inline constexpr double kMaxSamples = 1e6;
/// Largest CPU cost of one operation: 1e7 us = 10 s of one core.
inline constexpr double kMaxCpuCostUs = 1e7;
/// Largest rate of anything per second: its interval 1 / rate must be at least 1 ns on the clock.
inline constexpr double kMaxRatePerS = 1e9;
/// Shortest period of a repeating timer (load reports, rebalancing, pings): 1 ms, the resolution of
/// the timers of the balancers and servers modelled (HAProxy `inter`, NGINX, Envoy take milliseconds).
/// With run.duration_s <= 1e7 s, one timer fires at most 1e10 times; scenarios at the default 600 s,
/// 6e5 times per timer.
inline constexpr double kMinTimerS = 1e-3;
/// Largest weight: the `wsfleet balance` command's bound. Sums of up to 1e5 servers' weights stay
/// below 1e11, far inside a double's 2^53 exact integers, so weighted picks stay exact and
/// consistent-hash rings stay bounded.
inline constexpr double kMaxWeight = 1e6;
/// Largest memory per connection: 1e9 KiB (1 TiB); times the largest max_connections (1e9) it is
/// 1e18 KiB, finite in a double, so no inf reaches timeseries.csv.
inline constexpr double kMaxMemoryKib = 1e9;
/// Largest memory of a server process or limit: 1e9 MiB (1 PiB).
inline constexpr double kMaxMemoryMib = 1e9;
/// Slowest allowed client link when not "at once": 1 KiB/s (a poor mobile link). A slower rate
/// makes one byte take longer than a millisecond, and a backed-up buffer's drain time leaves the
/// clock's range with much less data queued.
inline constexpr double kMinDrainKibPerS = 1.0;
/// Slowest broker: 1 delivery per second; a queued delivery then waits at most 1e9 ns per delivery
/// ahead of it.
inline constexpr double kMinBrokerPerS = 1.0;
/// Lowest rate of a periodic or Poisson feed: one publication per kMaxDurationS, so its gap fits the clock.
inline constexpr double kMinFeedPerS = 1.0 / kMaxDurationS;

}  // namespace wsfleet::experiments::schema
