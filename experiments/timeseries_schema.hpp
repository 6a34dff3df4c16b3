#pragma once
// The vocabulary of timeseries.csv (and of timeseries.parquet, the same table): every column of
// every kind of row, declared once, by the component that writes it (models/fleet/column.hpp: its
// type, unit, one line of documentation and the runs that write it), gathered by the sampler
// (models::Sampler::columns()). From the gathered list come the CSV's header and column order (result_writer.cpp), the
// check, on every run's series, that the sampler wrote exactly the declared columns of each kind
// of row (a column written but not declared, or declared for such a run but missing, is an error,
// not a silently written or silently empty column), the JSON Schema of one row
// (`wsfleet schema --timeseries`, docs/timeseries.schema.json) and the Python package's column
// names (wsfleet.views.Columns), which refuse a name not declared here.
#include <string>
#include <vector>

#include "models/fleet/column.hpp"
#include "models/run_summary.hpp"

namespace wsfleet::experiments::timeseries {

// The declaration types live with the components that declare their columns (models/fleet/column.hpp).
using models::timeseries::Column;
using models::timeseries::Features;
using models::timeseries::Scope;
using models::timeseries::scope_name;
using models::timeseries::Type;
using models::timeseries::When;

/// Every column, as the components declare them (models::Sampler::columns()), grouped by scope
/// (fleet, server, balancer, site, class), each scope's in the order the sampler writes them
/// (`time_s` first). Checked once: each name once per scope, never the CSV's own `scope`.
const std::vector<const Column*>& columns();

/// The columns of `scope` a run with `features` writes, in order.
std::vector<std::string> scope_columns(Scope scope, const Features& features);

/// timeseries.csv's header for a run with `features`: time_s, scope, server, then every scope's
/// columns in the order above, each name once (a name several scopes share is one column).
std::vector<std::string> csv_columns(const Features& features);

/// What is wrong with a run's series against the table: for each scope, the columns written but not
/// declared for it ("fleet column foo (not declared)"), those declared for this run but not written
/// ("... (missing)"), and a different order ("... (out of the declared order)"); empty when they conform.
std::vector<std::string> mismatches(const models::RunResult& result);

/// Throws std::logic_error listing mismatches(result) when there is one: the writers call it first.
void check(const models::RunResult& result);

/// The JSON Schema (draft-07) of one row of timeseries.csv as an object keyed by column name: every
/// column with its type, and per scope (x-scopes) its unit, documentation and the runs writing it.
std::string json_schema();

}  // namespace wsfleet::experiments::timeseries
