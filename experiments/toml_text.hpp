#pragma once
// Small text helpers shared by the scenario loader (messages) and writer (TOML output).
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

namespace wsfleet::experiments {

/// A number for a human: whole values below 1e15 without a fraction ("600"), others in the
/// shortest form that reads back exactly ("1.5", "1e+20"); "nan", "inf", "-inf" as such.
std::string human_number(double value);

/// A TOML float literal that reads back to exactly `value`: shortest round-trip digits, with ".0"
/// added to whole numbers ("600.0", "0.25", "1e+20"); nan and infinities as TOML's nan, inf, -inf.
std::string toml_float(double value);

/// A TOML basic string literal, quoted, with quotes, backslashes and control characters escaped.
std::string toml_string(std::string_view text);

/// The TOML name of a node type: "string", "integer", "float", "boolean", "table", "array",
/// "date", "time", "date-time".
std::string_view toml_type_name(toml::node_type type);

/// The same with its article: "a string", "an integer", "an array", ...
std::string toml_type_with_article(toml::node_type type);

/// The items joined with `separator` ("a, b, c").
std::string join(const std::vector<std::string>& items, std::string_view separator);

}  // namespace wsfleet::experiments
