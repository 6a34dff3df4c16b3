#pragma once
// The scenario schema for people and editors: a JSON Schema (draft-07, which Taplo / Even Better TOML
// read) and the Markdown of docs/scenario_reference.md. Both come from the tables of schema.hpp.
#include <string>

namespace wsfleet::experiments::schema {

/// The JSON Schema of a scenario file, pretty-printed.
std::string json_schema();

/// docs/scenario_reference.md: one table per section (key, type, unit, default, allowed, meaning).
std::string markdown_reference();

}  // namespace wsfleet::experiments::schema
