#pragma once
// Sampling as a component: every run.sample_interval_s, one row of fleet totals and one row per
// server (the tidy time series of timeseries.csv), and the peaks the summary reports. Pub/sub adds
// its own columns (PubSub::fleet_columns, server_columns).
#include <cstdint>

#include "models/fleet/fleet_state.hpp"
#include "sim/event_handler.hpp"
#include "sim/histogram.hpp"
#include "sim/time_series.hpp"

namespace wsfleet::models {

/// The time series of one run.
class Sampler : public sim::EventHandler {
 public:
  explicit Sampler(FleetState& state);
  void handle(const sim::Event& e) override;
  /// Schedules the first sample.
  void start();
  /// At the end of the run: settles the servers' last jobs into the whole-run latency.
  void finish();
  /// Fills the summary's message latency, CPU and peaks.
  void summarise(RunSummary& summary) const;
  /// Hands over the series (once, at the end).
  void take_series(RunResult& result);

 private:
  void sample();

  FleetState& st_;
  std::uint32_t self_ = 0;
  sim::SimTime interval_ = 0, last_sample_ = 0;
  sim::TimeSeries fleet_series_, server_series_;
  sim::LogHistogram message_latency_ms_, fleet_interval_latency_ms_;
  double peak_cpu_ = 0.0, peak_mem_ = 0.0;
  std::uint64_t peak_conns_ = 0, peak_server_conns_ = 0;
};

}  // namespace wsfleet::models
