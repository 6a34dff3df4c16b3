#pragma once
// The generic half of scenario loading: typed reads of TOML values against the schema's rows,
// failing at the first problem with a ScenarioError "FILE:LINE:COL: message" that names the key and
// what is allowed (values from `--set` overrides are reported at the override, without a position).
#include <cstdint>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include <toml++/toml.h>

#include "experiments/schema/schema.hpp"

namespace wsfleet::experiments::schema {

class TableReader {
 public:
  TableReader(const toml::table& root, std::string source) : root_(root), source_(std::move(source)) {}

  // --- Schema-driven reads -------------------------------------------------------------------

  /// Every key of `table` must be a key of `sec` (or `sec` is open); `where` names the table in
  /// messages ("[clients]", "[[faults]] entry 0").
  void check_keys(const toml::table& table, const Section& sec, const std::string& where, const std::string& prefix) const;

  /// Reads key `name` of `sec` from `table` into `target` (the struct the section binds to),
  /// validating it against its row; false when absent. `tighter` replaces the row's range (a bound
  /// that comes from another key).
  template <class S>
  bool read(const toml::table& table, const Section& sec, std::string_view name, const std::string& prefix, S& target,
            const Range* tighter = nullptr) const {
    const Key& k = sec.key(name);
    if (k.owner == nullptr || *k.owner != typeid(S)) throw std::logic_error("schema: " + prefix + k.name + " is bound to another struct");
    Scalar value;
    if (!read_value(table, k, prefix, value, tighter)) return false;
    k.assign(&target, value);
    return true;
  }

  /// check_keys, then every bound key of `sec` present in `table`, in the schema's order.
  template <class S>
  void read_all(const toml::table& table, const Section& sec, const std::string& where, const std::string& prefix,
                S& target) const {
    check_keys(table, sec, where, prefix);
    for (const Key& k : sec.keys) {
      if (k.bound()) read(table, sec, k.name, prefix, target);
    }
  }

  /// A key's value checked against its row (type, range, choices) without storing it; false when
  /// absent. Integer rows give an int64, Float rows a double, Boolean a bool, String and Choice a
  /// string. `tighter` replaces the row's range; `int_max`/`max_label` its integer maximum.
  bool read_value(const toml::table& table, const Key& k, const std::string& prefix, Scalar& out,
                  const Range* tighter = nullptr, std::int64_t int_max = -1, const std::string& max_label = "") const;

  // --- Typed reads ---------------------------------------------------------------------------

  bool read_float(const toml::table& table, const std::string& prefix, std::string_view key, const Range& range, double& out) const;
  template <typename T>
  bool read_int(const toml::table& table, const std::string& prefix, std::string_view key, std::int64_t min,
                std::int64_t max, T& out, const std::string& max_label = "") const {
    std::int64_t value = 0;
    if (!read_int64(table, prefix, key, min, max, value, max_label)) return false;
    out = static_cast<T>(value);
    return true;
  }
  bool read_int64(const toml::table& table, const std::string& prefix, std::string_view key, std::int64_t min,
                  std::int64_t max, std::int64_t& out, const std::string& max_label = "") const;
  bool read_string(const toml::table& table, const std::string& prefix, std::string_view key, std::string& out) const;
  bool read_bool(const toml::table& table, const std::string& prefix, std::string_view key, bool& out) const;
  bool read_choice(const toml::table& table, const std::string& prefix, std::string_view key, const Names& choices,
                   std::string& out) const;
  /// The value of a TOML float or integer (not a boolean).
  double number_of(const toml::node& node, const std::string& dotted) const;

  // --- Tables --------------------------------------------------------------------------------

  /// The sub-table at `key`, nullptr when absent; anything else there is an error.
  const toml::table* table_at(const toml::table& parent, std::string_view key, const std::string& dotted) const;
  /// The array of tables at `key` of `table` ([[topology.links]] ...), each checked against `sec`.
  std::vector<const toml::table*> table_array(const toml::table& table, std::string_view key, const Section& sec,
                                              const std::string& example) const;
  /// A required, non-empty string.
  std::string required_name(const toml::table& table, const std::string& prefix, std::string_view key,
                            const std::string& what) const;
  /// An entry's required `name`, not among `seen` (earlier entries, named `noun`s in messages); added to it.
  std::string unique_name(const toml::table& entry, const std::string& prefix, const std::string& what, Names& seen,
                          const std::string& noun) const;

  // --- Errors and positions ------------------------------------------------------------------

  /// True for a region inside an override rather than the file.
  bool from_override(const toml::source_region& region) const { return region.path && *region.path != source_; }
  [[noreturn]] void fail(const toml::source_region& where, const std::string& key, const std::string& message) const;
  [[noreturn]] void fail(const toml::node& at, const std::string& key, const std::string& message) const {
    fail(at.source(), key, message);
  }
  /// A key's own position when the file gave its value, else its value's.
  const toml::source_region& key_region(const toml::key& key, const toml::node& value) const;
  [[noreturn]] void fail_unknown_key(const toml::key& key, const toml::node& value, const std::string& where,
                                     const std::string& prefix, const Names& allowed) const;
  /// "(got string)".
  static std::string got(const toml::node& node);
  /// The region that stands for "nowhere": errors at it read "FILE: message".
  static const toml::source_region& no_region();

  const toml::table& root() const { return root_; }

 private:
  const toml::table& root_;
  std::string source_;
};

}  // namespace wsfleet::experiments::schema
