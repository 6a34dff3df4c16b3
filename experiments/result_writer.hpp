#pragma once
// Tidy outputs of a run: summary.json, timeseries.csv and the effective scenario.toml.
#include <filesystem>
#include <iosfwd>
#include <string>

#include "models/fleet_config.hpp"
#include "models/run_summary.hpp"

namespace wsfleet::experiments {

/// The summary as the text written to summary.json: the keys of experiments/summary/ read from it
/// (2-space indented, in the table's order, NaN as null). wall_seconds and events_per_second are the only fields that differ between two runs
/// with the same scenario and seed.
std::string summary_json_text(const models::RunSummary& summary);

/// Writes the tidy time series: the fleet rows (scope "fleet", server -1) then the server rows
/// (scope "server"), one header line, numbers in shortest round-trip form, missing values empty.
void write_timeseries_csv(std::ostream& out, const models::RunResult& result);

/// Writes summary.json, timeseries.csv and scenario.toml as the directory `dir`, atomically: it
/// appears complete or not at all (a previous `dir` of a run's files is replaced only once the new
/// one is complete; a `dir` holding other files is refused). Throws std::runtime_error naming the
/// path on any I/O failure.
void write_run_directory(const std::filesystem::path& dir, const models::FleetConfig& config,
                         const models::RunResult& result);

/// Throws the error write_run_directory would for `dir` being unusable (a file, or a directory
/// holding other files), creating nothing: checked before a run, not after.
void check_run_directory(const std::filesystem::path& dir);

}  // namespace wsfleet::experiments
