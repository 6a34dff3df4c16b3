#pragma once
// Tidy outputs of a run: summary.json, timeseries.csv and the effective scenario.toml.
#include <filesystem>
#include <iosfwd>
#include <string>

#include "models/fleet_config.hpp"
#include "models/run_summary.hpp"

namespace wsfleet::experiments {

/// The summary as the text written to summary.json (2-space indented, keys in a fixed order, NaN
/// as null). wall_seconds and events_per_second are the only fields that differ between two runs
/// with the same scenario and seed.
std::string summary_json_text(const models::RunSummary& summary);

/// Writes the tidy time series: the fleet rows (scope "fleet", server -1) then the server rows
/// (scope "server"), one header line, numbers in shortest round-trip form, missing values empty.
void write_timeseries_csv(std::ostream& out, const models::RunResult& result);

/// Creates `dir` if needed and writes summary.json, timeseries.csv and scenario.toml into it.
/// Throws std::runtime_error naming the file on any I/O failure.
void write_run_directory(const std::filesystem::path& dir, const models::FleetConfig& config,
                         const models::RunResult& result);

}  // namespace wsfleet::experiments
