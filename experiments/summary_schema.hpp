#pragma once
// The vocabulary of summary.json: every key the result writer writes, declared once with its type,
// unit and one line of documentation. From this table come the JSON Schema of summary.json
// (`wsfleet schema --summary`, docs/summary.schema.json), the typed Python views
// (wsfleet.views.Summary) and the check, on every summary the result writer writes, that it writes
// nothing undeclared, nothing of another type, and every key the table does not mark optional.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace wsfleet::experiments::summary {

/// A value's JSON type. Number is a float that is null when undefined (NaN: a mean of nothing);
/// Object, Array and Map hold the rows declared under them.
enum class Type { Integer, Number, String, Boolean, Object, Array, Map };

/// One key of summary.json.
struct Field {
  /// Dotted path: "connections.rejected_by.server_full"; "[]" is an array's item
  /// ("fleet.classes[].name"), "*" any key of a map ("conservation.checks.*.ok").
  std::string path;
  Type type = Type::Integer;
  std::string unit;  ///< "s", "ms", "MiB", "connections", ... ("" for names and flags)
  std::string doc;   ///< one line
  /// Written only in some runs (a section of a feature, a key of one fault kind); other keys of an
  /// object are always written.
  bool optional = false;
};

/// Every key, parents before their children, in the order the writer writes them.
const std::vector<Field>& fields();

/// The JSON Schema (draft-07) of summary.json, pretty-printed: every object closed
/// (additionalProperties false), every non-optional key required, units as "x-unit".
std::string json_schema();

/// The paths (in the notation of Field::path) of the keys of `summary` the table does not declare
/// ("... (not declared)"), of the values whose JSON type is not the declared one ("... (not of its
/// declared type)") and of the non-optional keys an object lacks ("... (missing)"); empty when it
/// conforms. The result writer checks every summary it writes with it.
std::vector<std::string> undeclared(const nlohmann::ordered_json& summary);

}  // namespace wsfleet::experiments::summary
