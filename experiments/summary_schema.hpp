#pragma once
// The vocabulary of summary.json: every key, declared once with its type, unit, one line of
// documentation and how its value is read from models::RunSummary. The declaration is the writer:
// summary.json is the table walked over a run's summary (`to_json`). From the same table come the
// JSON Schema of summary.json (`wsfleet schema --summary`, docs/summary.schema.json) and the typed
// Python views (wsfleet.views.Summary). The rows are declared by section in experiments/summary/
// (summary_rows.hpp says how to add a key).
#include <functional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace wsfleet::models {
struct RunSummary;
}

namespace wsfleet::experiments::summary {

/// A value's JSON type. Number is a float that is null when undefined (NaN: a mean of nothing);
/// Object, Array and Map hold the rows declared under them.
enum class Type { Integer, Number, String, Boolean, Object, Array, Map };

/// An array's or a map's item handed to the rows under it: its key (maps; "" for arrays) and a
/// pointer to it.
using ItemFn = std::function<void(const std::string& key, const void* item)>;

/// One key of summary.json.
struct Field {
  /// Dotted path: "connections.rejected_by.server_full"; "[]" is an array's item
  /// ("fleet.classes[].name"), "*" any key of a map ("conservation.checks.*.ok").
  std::string path;
  Type type = Type::Integer;
  std::string unit;  ///< "s", "ms", "MiB", "connections", ... ("" for names and flags)
  std::string doc;   ///< one line
  /// Written only in some runs (a section of a feature, a key of one fault kind), when `present`
  /// says so; other keys of an object are always written.
  bool optional = false;

  // How the writer reads it (built by experiments/summary/summary_rows.hpp). Each reads from a
  // context: the run's models::RunSummary, or for the rows under an array or a map, its item.
  const std::type_info* context = nullptr;                           ///< the context's type
  std::function<bool(const void*)> present;                          ///< optional keys: written when true
  std::function<void(const void*, nlohmann::ordered_json&)> value;   ///< Integer, Number, String, Boolean
  std::function<void(const void*, const ItemFn&)> each;              ///< Array, Map: each item, in order
  const std::type_info* item = nullptr;                              ///< Array, Map: the items' type
};

/// Every key, parents before their children, in the order summary.json has them.
const std::vector<Field>& fields();

/// summary.json of a run: the table's keys read from `summary`, in the table's order; optional
/// keys only where their `present` holds.
nlohmann::ordered_json to_json(const models::RunSummary& summary);

/// The JSON Schema (draft-07) of summary.json, pretty-printed: every object closed
/// (additionalProperties false), every non-optional key required, units as "x-unit".
std::string json_schema();

/// The paths (in the notation of Field::path) of the keys of `summary` the table does not declare
/// ("... (not declared)"), of the values whose JSON type is not the declared one ("... (not of its
/// declared type)") and of the non-optional keys an object lacks ("... (missing)"); empty when it
/// conforms. For summaries read back (Python, tests): the writer writes only what the table declares.
std::vector<std::string> undeclared(const nlohmann::ordered_json& summary);

}  // namespace wsfleet::experiments::summary
