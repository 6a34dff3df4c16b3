#pragma once
// A time-series column as the component that writes it declares it: the kind of row it is on
// (its scope), its name, type, unit, one line of documentation and the runs that write it. Each
// component keeps its declarations in a ColumnGroup and fills its cells by them (DeclaredSeries);
// the sampler gathers the groups (Sampler::columns()), and experiments/timeseries_schema.* turns
// the gathered list into the CSV header, the JSON Schema and the check of every written series.
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace wsfleet::models {

struct RunSummary;

namespace timeseries {

/// The kind of a row (its `scope` cell): fleet totals, one server, one balancer, one site, one class.
enum class Scope { Fleet, Server, Balancer, Site, Class };

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
  Classes,     ///< two or more [[fleet.classes]] (the class rows)
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
  bool pubsub = false, deploys = false, autoscaler = false, sites = false, classes = false;
  /// The features of a finished run, from its summary.
  static Features of(const RunSummary& summary);
  [[nodiscard]] bool has(When when) const;
};

/// The name of a scope as written in the `scope` column: "fleet", "server", "balancer", "site", "class".
const char* scope_name(Scope scope);

/// A component's column declarations, in the order it declares them. `add` returns the declaration
/// the component then writes its cells by (the references stay valid: the group never moves them).
class ColumnGroup {
 public:
  const Column& add(Scope scope, std::string name, Type type, std::string unit, std::string doc, When when = When::Always) {
    columns_.push_back({scope, std::move(name), type, std::move(unit), std::move(doc), when});
    return columns_.back();
  }
  /// Every declaration, in order.
  [[nodiscard]] std::vector<const Column*> all() const {
    std::vector<const Column*> out;
    for (const Column& c : columns_) out.push_back(&c);
    return out;
  }

 private:
  std::deque<Column> columns_;
};

/// The one instance of a component's declarations (a struct of a ColumnGroup and the columns it
/// adds, in the order the rows hold them), built on first use.
template <class Declarations>
const Declarations& declarations() {
  static const Declarations d;
  return d;
}

}  // namespace timeseries
}  // namespace wsfleet::models
