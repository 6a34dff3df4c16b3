#include "experiments/result_writer.hpp"

#include <cmath>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "experiments/atomic_directory.hpp"
#include "experiments/scenario_loader.hpp"
#include "experiments/summary_schema.hpp"
#include "experiments/timeseries_schema.hpp"
#include "models/policy_params.hpp"

#include <nlohmann/json.hpp>

namespace wsfleet::experiments {

namespace {

// Shortest round-trip digits; a missing value (NaN) is an empty field.
void write_number(std::ostream& out, double v) {
  if (!std::isnan(v)) out << models::format_number(v);
}

}  // namespace

std::string summary_json_text(const models::RunSummary& summary) {
  // The declaration is the writer: every key of experiments/summary/ read from the summary.
  return experiments::summary::to_json(summary).dump(2) + "\n";
}

void write_timeseries_csv(std::ostream& out, const models::RunResult& result) {
  // One schema for every scope, in the order experiments/timeseries_schema.cpp declares: fleet-only
  // columns are empty on server rows, server-only ones (after the fleet's) on fleet rows; balancer
  // rows (server -1) come next, then site rows (server -1; only with several sites) and class rows
  // (server -1; only with several [[fleet.classes]]), their own columns after the servers'. A column the sampler wrote but the table does not declare (or one
  // it declares for this run but the sampler left out) stops the write.
  timeseries::check(result);
  const std::vector<std::string> cols = timeseries::csv_columns(timeseries::Features::of(result.summary));
  for (std::size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << cols[i];
  out << "\n";
  // Resolve column positions once per table.
  auto positions = [&](const sim::TimeSeries& ts) {
    std::vector<int> pos;
    for (std::size_t i = 3; i < cols.size(); ++i) {
      int p = -1;
      for (std::size_t c = 0; c < ts.columns().size(); ++c) {
        if (ts.columns()[c] == cols[i]) p = static_cast<int>(c);
      }
      pos.push_back(p);
    }
    return pos;
  };
  auto rows = [&](const sim::TimeSeries& ts, const char* scope, bool per_server) {
    if (ts.columns().empty()) return;
    const auto pos = positions(ts);
    const std::size_t server_col = per_server ? ts.index_of("server") : 0;
    for (std::size_t r = 0; r < ts.rows(); ++r) {
      write_number(out, ts.column(0)[r]);
      out << "," << scope << ",";
      if (per_server) {
        write_number(out, ts.column(server_col)[r]);
      } else {
        out << "-1";
      }
      for (int p : pos) {
        out << ",";
        if (p >= 0) write_number(out, ts.column(static_cast<std::size_t>(p))[r]);
      }
      out << "\n";
    }
  };
  rows(result.fleet, "fleet", false);
  rows(result.servers, "server", true);
  rows(result.balancers, "balancer", false);
  rows(result.sites, "site", false);
  rows(result.classes, "class", false);
}

namespace {
// The files a run directory may hold (report.html is written by `wsfleet report`).
// timeseries.parquet: `run --format parquet` (the Python package writes it beside the CSV).
const std::initializer_list<std::string_view> kRunFiles = {"summary.json", "timeseries.csv", "scenario.toml",
                                                                "report.html", "timeseries.parquet"};
}  // namespace

void check_run_directory(const std::filesystem::path& dir) { AtomicDirectory::check_target(dir, kRunFiles); }

void write_run_directory(const std::filesystem::path& dir, const models::FleetConfig& config,
                         const models::RunResult& result) {
  // Built in memory first (the CSV is the large part: a few MB per million samples), then written
  // as one atomic directory: an interrupted write leaves the previous results, never a mix.
  std::ostringstream csv;
  write_timeseries_csv(csv, result);
  if (!csv) throw std::runtime_error((dir / "timeseries.csv").string() + ": write failed");
  AtomicDirectory out(dir, kRunFiles);
  out.write("summary.json", summary_json_text(result.summary));
  out.write("timeseries.csv", csv.str());
  out.write("scenario.toml", scenario_to_toml(config));
  out.commit();
}

}  // namespace wsfleet::experiments
