#pragma once
// The vocabulary of timeseries.csv (and of timeseries.parquet, the same table): every column of
// every kind of row, declared once with its type, unit, one line of documentation and the runs
// that write it. From this table come the CSV's header and column order (result_writer.cpp), the
// check, on every run's series, that the sampler wrote exactly the declared columns of each kind
// of row (a column written but not declared, or declared for such a run but missing, is an error,
// not a silently written or silently empty column), the JSON Schema of one row
// (`wsfleet schema --timeseries`, docs/timeseries.schema.json) and the Python package's column
// names (wsfleet.views.Columns), which refuse a name not declared here.
#include <string>
#include <vector>

#include "models/run_summary.hpp"

namespace wsfleet::experiments::timeseries {

/// The kind of a row (its `scope` cell): fleet totals, one server, one balancer, one site.
enum class Scope { Fleet, Server, Balancer, Site };

/// A cell's type. Integer: a whole number (a count, an index); Number: a real number, empty when
/// undefined (a percentile of no samples); Flag: 0 or 1.
enum class Type { Integer, Number, Flag };

/// Which runs write a column (on its scope's rows).
enum class When {
  Always,
  PubSub,      ///< a [pubsub] section
  Deploys,     ///< one or more [[deploys]]
  Autoscaler,  ///< an [autoscaler]
  Sites,       ///< two or more [[topology.sites]] (the site rows)
};

/// One column of one kind of row.
struct Column {
  Scope scope = Scope::Fleet;
  std::string name;
  Type type = Type::Integer;
  std::string unit;  ///< "s", "connections", "share", ... ("" for a flag or an index)
  std::string doc;   ///< one line
  When when = When::Always;
};

/// What a run has, deciding which optional columns it writes.
struct Features {
  bool pubsub = false, deploys = false, autoscaler = false, sites = false;
  /// The features of a finished run, from its summary.
  static Features of(const models::RunSummary& summary);
  [[nodiscard]] bool has(When when) const;
};

/// The name of a scope as written in the `scope` column: "fleet", "server", "balancer", "site".
const char* scope_name(Scope scope);

/// Every column, grouped by scope (fleet, server, balancer, site), each scope's in the order the
/// sampler writes them (its sim::TimeSeries' columns, `time_s` first).
const std::vector<Column>& columns();

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
