#include "experiments/schema/table_reader.hpp"

#include <algorithm>
#include <cmath>

#include "experiments/scenario_error.hpp"
#include "models/policy_params.hpp"

namespace wsfleet::experiments::schema {

void TableReader::fail(const toml::source_region& where, const std::string& key, const std::string& message) const {
  // A node added by an override has the override ("--set k=v") as its source path: report it
  // there, without a position; everything else is in the file.
  if (from_override(where)) throw ScenarioError(*where.path, 0, 0, key, message);
  throw ScenarioError(source_, where.begin.line, where.begin.column, key, message);
}

const toml::source_region& TableReader::key_region(const toml::key& key, const toml::node& value) const {
  // A key added by an override has no position of its own, and one whose value an override
  // replaced is the override's.
  return key.source().begin.line > 0 && !from_override(value.source()) ? key.source() : value.source();
}

std::string TableReader::got(const toml::node& node) { return "(got " + std::string(toml_type_name(node.type())) + ")"; }

const toml::source_region& TableReader::no_region() {
  static const toml::source_region none{};
  return none;
}

void TableReader::fail_unknown_key(const toml::key& key, const toml::node& value, const std::string& where,
                                   const std::string& prefix, const Names& allowed) const {
  const std::string name(key.str());
  std::string message = "unknown key '" + name + "' in " + where;
  const std::string suggestion = models::closest_match(name, allowed);
  message += suggestion.empty() ? "." : "; did you mean '" + suggestion + "'?";
  message += " Allowed: " + join(allowed, ", ");
  fail(key_region(key, value), prefix + name, message);
}

void TableReader::check_keys(const toml::table& table, const Section& sec, const std::string& where,
                             const std::string& prefix) const {
  if (sec.open) return;
  const Names allowed = sec.names();
  for (auto&& [key, value] : table) {
    if (!contains(allowed, key.str())) fail_unknown_key(key, value, where, prefix, allowed);
  }
}

bool TableReader::read_value(const toml::table& table, const Key& k, const std::string& prefix, Scalar& out,
                             const Range* tighter, std::int64_t int_max, const std::string& max_label) const {
  switch (k.type) {
    case KeyType::Integer: {
      std::int64_t v = 0;
      if (!read_int64(table, prefix, k.name, k.int_min, int_max >= 0 ? int_max : k.int_max, v, max_label)) return false;
      out = v;
      return true;
    }
    case KeyType::Float: {
      double v = 0.0;
      if (!read_float(table, prefix, k.name, tighter != nullptr ? *tighter : k.range, v)) return false;
      out = v;
      return true;
    }
    case KeyType::Boolean: {
      bool v = false;
      if (!read_bool(table, prefix, k.name, v)) return false;
      out = v;
      return true;
    }
    case KeyType::String: {
      std::string v;
      if (!read_string(table, prefix, k.name, v)) return false;
      out = v;
      return true;
    }
    case KeyType::Choice: {
      std::string v;
      if (!read_choice(table, prefix, k.name, k.choices, v)) return false;
      out = v;
      return true;
    }
    default:
      throw std::logic_error("schema: " + prefix + k.name + " has no scalar value");
  }
}

bool TableReader::read_float(const toml::table& table, const std::string& prefix, std::string_view key, const Range& range,
                             double& out) const {
  const toml::node* node = table.get(key);
  if (node == nullptr) return false;
  const std::string dotted = prefix + std::string(key);
  const double value = number_of(*node, dotted);
  if (!std::isfinite(value)) fail(*node, dotted, dotted + " must be a finite number (got " + human_number(value) + ")");
  if (!range.contains(value)) {
    fail(*node, dotted, dotted + " must be " + range.describe() + " (got " + human_number(value) + ")");
  }
  out = value;
  return true;
}

double TableReader::number_of(const toml::node& node, const std::string& dotted) const {
  if (const auto* f = node.as_floating_point()) return f->get();
  if (const auto* i = node.as_integer()) return static_cast<double>(i->get());
  fail(node, dotted, dotted + " must be a number " + got(node));
}

bool TableReader::read_int64(const toml::table& table, const std::string& prefix, std::string_view key, std::int64_t min,
                             std::int64_t max, std::int64_t& out, const std::string& max_label) const {
  const toml::node* node = table.get(key);
  if (node == nullptr) return false;
  const std::string dotted = prefix + std::string(key);
  const auto* integer = node->as_integer();
  if (integer == nullptr) fail(*node, dotted, dotted + " must be an integer " + got(*node));
  const std::int64_t value = integer->get();
  if (value < min || value > max) {
    const std::string hi = max_label.empty() ? std::to_string(max) : max_label + " = " + std::to_string(max);
    const std::string range = max == kIntMax ? ">= " + std::to_string(min) : "between " + std::to_string(min) + " and " + hi;
    fail(*node, dotted, dotted + " must be " + range + " (got " + std::to_string(value) + ")");
  }
  out = value;
  return true;
}

bool TableReader::read_string(const toml::table& table, const std::string& prefix, std::string_view key, std::string& out) const {
  const toml::node* node = table.get(key);
  if (node == nullptr) return false;
  const std::string dotted = prefix + std::string(key);
  const auto* text = node->as_string();
  if (text == nullptr) fail(*node, dotted, dotted + " must be a string " + got(*node));
  out = text->get();
  return true;
}

bool TableReader::read_bool(const toml::table& table, const std::string& prefix, std::string_view key, bool& out) const {
  const toml::node* node = table.get(key);
  if (node == nullptr) return false;
  const std::string dotted = prefix + std::string(key);
  const auto* value = node->as_boolean();
  if (value == nullptr) fail(*node, dotted, dotted + " must be true or false " + got(*node));
  out = value->get();
  return true;
}

bool TableReader::read_choice(const toml::table& table, const std::string& prefix, std::string_view key, const Names& choices,
                              std::string& out) const {
  std::string value;
  if (!read_string(table, prefix, key, value)) return false;
  if (!contains(choices, value)) {
    const std::string dotted = prefix + std::string(key);
    const std::string suggestion = models::closest_match(value, choices);
    fail(*table.get(key), dotted,
         dotted + " must be one of " + join(choices, ", ") + " (got '" + value + "')" +
             (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?"));
  }
  out = value;
  return true;
}

const toml::table* TableReader::table_at(const toml::table& parent, std::string_view key, const std::string& dotted) const {
  const toml::node* node = parent.get(key);
  if (node == nullptr) return nullptr;
  if (const toml::table* table = node->as_table()) return table;
  fail(*node, dotted, dotted + " must be a table, written [" + dotted + "] " + got(*node));
}

std::vector<const toml::table*> TableReader::table_array(const toml::table& table, std::string_view key, const Section& sec,
                                                         const std::string& example) const {
  std::vector<const toml::table*> out;
  const std::string& dotted = sec.path;
  const toml::node* node = table.get(key);
  if (node == nullptr) return out;
  const toml::array* array = node->as_array();
  if (array == nullptr) fail(*node, dotted, dotted + " must be an array of tables, written [[" + dotted + "]] " + got(*node));
  for (std::size_t i = 0; i < array->size(); ++i) {
    const std::string name = dotted + "." + std::to_string(i);
    const toml::node& element = *array->get(i);
    const toml::table* entry = element.as_table();
    if (entry == nullptr) fail(element, name, name + " must be a table such as " + example + " " + got(element));
    check_keys(*entry, sec, "[[" + dotted + "]] entry " + std::to_string(i), name + ".");
    out.push_back(entry);
  }
  return out;
}

std::string TableReader::required_name(const toml::table& table, const std::string& prefix, std::string_view key,
                                       const std::string& what) const {
  std::string value;
  const std::string dotted = prefix + std::string(key);
  if (!read_string(table, prefix, key, value)) fail(table, dotted, dotted + " is required: " + what);
  if (value.empty()) fail(*table.get(key), dotted, dotted + " must not be empty");
  return value;
}

std::string TableReader::unique_name(const toml::table& entry, const std::string& prefix, const std::string& what,
                                     Names& seen, const std::string& noun) const {
  std::string name = required_name(entry, prefix, "name", what);
  if (contains(seen, name)) fail(*entry.get("name"), prefix + "name", prefix + "name '" + name + "' is used by an earlier " + noun);
  seen.push_back(name);
  return name;
}

}  // namespace wsfleet::experiments::schema
