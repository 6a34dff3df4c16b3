#pragma once
// Sampling as a component: every run.sample_interval_s, one row of fleet totals and one row per
// server (the tidy time series of timeseries.csv), one row per balancer, and the peaks the summary
// reports. Pub/sub adds its own columns (PubSub::fleet_columns, server_columns).
//
// For monitoring (docs/monitoring.md): the fleet rows carry the interval's message latency as
// cumulative bucket counts at fixed upper bounds (a Prometheus histogram: latency_le_ms_<le>,
// latency_count, latency_sum_ms); the server rows whether the server is part of the fleet
// (`present`: a planned removal is not a crash) and its refusals by cause; the balancer rows the
// source ports in use towards their busiest backend, the port limit and the balancer's refusals by
// cause (models/fleet/refusal_tally.hpp). With two or more sites, one row per site: its servers up,
// ready (in service) and draining, and its connections.
//
// Every column is declared in experiments/timeseries_schema.cpp (its unit, meaning and the runs that
// write it); the result writer checks each run's columns against it before writing anything.
#include <cstdint>
#include <vector>

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
  /// Checks that the refusal and latency series account for every refusal and latency sample.
  void conservation(RunSummary& summary) const;
  /// Upper bounds (ms) of the latency histogram columns latency_le_ms_<bound>, ascending.
  static const std::vector<double>& latency_bounds_ms();
  /// Hands over the series (once, at the end).
  void take_series(RunResult& result);

 private:
  void sample();
  void sample_balancers(double t);
  void sample_sites(double t);

  FleetState& st_;
  std::uint32_t self_ = 0;
  sim::SimTime interval_ = 0, last_sample_ = 0;
  /// Per server: Server::present_time at the previous sample (the fleet's mean CPU utilisation is
  /// over the servers part of the fleet during the interval, not over every slot).
  std::vector<sim::SimTime> present_at_last_sample_;
  sim::TimeSeries fleet_series_, server_series_, balancer_series_, site_series_;
  sim::LogHistogram message_latency_ms_, fleet_interval_latency_ms_;
  double peak_cpu_ = 0.0, peak_mem_ = 0.0;
  std::uint64_t peak_conns_ = 0, peak_server_conns_ = 0;
  std::uint64_t server_refusals_ = 0, balancer_refusals_ = 0;  ///< refusals written to the series so far
  std::uint64_t latency_sampled_ = 0, latency_after_last_ = 0;  ///< latency samples in the series; settled after the last sample
};

}  // namespace wsfleet::models
