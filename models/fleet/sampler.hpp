#pragma once
// Sampling as a component: every run.sample_interval_s, one row of fleet totals and one row per
// server (the tidy time series of timeseries.csv), one row per balancer, and the peaks the summary
// reports. Pub/sub, the deployer and the autoscaler add their own columns (their columns()).
//
// For monitoring (docs/monitoring.md): the fleet rows carry the interval's message latency as
// cumulative bucket counts at fixed upper bounds (a Prometheus histogram: latency_le_ms_<le>,
// latency_count, latency_sum_ms); the server rows whether the server is part of the fleet
// (`present`: a planned removal is not a crash) and its refusals by cause; the balancer rows the
// source ports in use towards their busiest backend, the port limit and the balancer's refusals by
// cause (models/fleet/refusal_tally.hpp). With two or more sites, one row per site: its servers up,
// ready (in service) and draining, and its connections. With two or more [[fleet.classes]], one row
// per class: its servers up and ready, their connections, mean and highest CPU utilisation and refusals.
//
// Each component declares the columns it writes (models/fleet/column.hpp: name, type, unit, one line,
// kind of row, the runs that write it) and fills its cells by them; the sampler gathers the
// declarations (columns()) and builds each kind of row from those the run writes. The result writer
// takes the CSV header and the JSON Schema from the gathered list (experiments/timeseries_schema.*)
// and checks each run's columns against it before writing anything.
#include <cstdint>
#include <vector>

#include "models/fleet/column.hpp"
#include "models/fleet/declared_series.hpp"
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
  /// Every column of every kind of row, as the components declare them: grouped by scope (fleet,
  /// server, balancer, site, class), each scope's in the order its rows hold them (`time_s` first).
  static const std::vector<const timeseries::Column*>& columns();
  /// The columns of `scope` a run with `features` writes, in order.
  static std::vector<const timeseries::Column*> columns(timeseries::Scope scope, const timeseries::Features& features);
  /// Hands over the series (once, at the end).
  void take_series(RunResult& result);

 private:
  void sample();
  void sample_balancers(double t);
  void sample_sites(double t);
  void sample_classes(double t);

  /// One class's servers in the current sample (class rows: two or more [[fleet.classes]]).
  struct ClassSample {
    std::uint64_t up = 0, ready = 0, connections = 0, in_fleet = 0, refused = 0;
    double util_sum = 0.0, util_max = 0.0;
  };

  FleetState& st_;
  std::uint32_t self_ = 0;
  sim::SimTime interval_ = 0, last_sample_ = 0;
  /// Per server: Server::present_time at the previous sample (the fleet's mean CPU utilisation is
  /// over the servers part of the fleet during the interval, not over every slot).
  std::vector<sim::SimTime> present_at_last_sample_;
  timeseries::DeclaredSeries fleet_series_, server_series_, balancer_series_, site_series_, class_series_;
  std::vector<ClassSample> classes_;  ///< per class, while a sample is taken (empty without class rows)
  sim::LogHistogram message_latency_ms_, fleet_interval_latency_ms_;
  double peak_cpu_ = 0.0, peak_mem_ = 0.0;
  std::uint64_t peak_conns_ = 0, peak_server_conns_ = 0;
  std::uint64_t server_refusals_ = 0, balancer_refusals_ = 0;  ///< refusals written to the series so far
  std::uint64_t latency_sampled_ = 0, latency_after_last_ = 0;  ///< latency samples in the series; settled after the last sample
};

}  // namespace wsfleet::models
