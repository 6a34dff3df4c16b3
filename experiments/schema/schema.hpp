#pragma once
// The scenario schema: one declarative table per TOML section (key, type, unit, default, allowed
// values, one line of documentation), bound to the config struct field it fills. The loader
// validates from it, the writer writes from it, and `wsfleet schema` exports it as a JSON Schema
// and as docs/scenario_reference.md. Cross-checks between keys stay in the loader; each key is
// declared here once. One file per section group (schema_*.cpp) builds the rows.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <type_traits>
#include <variant>
#include <vector>

#include "experiments/toml_text.hpp"

namespace wsfleet::experiments::schema {

using Names = std::vector<std::string>;
inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr std::int64_t kIntMax = std::numeric_limits<std::int64_t>::max();

/// True when `name` is one of `names`.
inline bool contains(const Names& names, std::string_view name) {
  for (const std::string& n : names) {
    if (n == name) return true;
  }
  return false;
}

/// An allowed interval of a number. A bound may be named after the key it comes from
/// ("run.duration_s"), so the message explains where the number came from. `or_zero` also allows
/// exactly 0 (the "0 = off" keys whose other values have a floor).
struct Range {
  double min = -kInf;
  double max = kInf;
  bool min_open = false;
  bool max_open = false;
  std::string min_label;
  std::string max_label;
  bool or_zero = false;

  bool contains(double v) const;
  /// "between 0 and 1", "> 0 and <= run.duration_s = 600", "0 or between 0.001 and 1e+07".
  std::string describe() const;
};

inline Range at_least(double min) { return Range{min, kInf, false, false, "", "", false}; }
inline Range above(double min) { return Range{min, kInf, true, false, "", "", false}; }
inline Range between(double min, double max) { return Range{min, max, false, false, "", "", false}; }
inline Range above_upto(double min, double max) { return Range{min, max, true, false, "", "", false}; }
/// 0 (off) or a value >= min.
inline Range zero_or_at_least(double min) { return Range{min, kInf, false, false, "", "", true}; }
/// 0 (off) or a value in [min, max].
inline Range zero_or_between(double min, double max) { return Range{min, max, false, false, "", "", true}; }

/// What a key holds.
enum class KeyType {
  Integer,     ///< a TOML integer in [int_min, int_max]
  Float,       ///< a TOML float or integer in `range`
  Boolean,
  String,
  Choice,      ///< a string from `choices`
  FloatArray,  ///< an array of numbers in `range`
  Table,       ///< a sub-table: the section at path.key
  TableArray,  ///< an array of tables: the section at path.key
  Special,     ///< a value of its own shape, read by hand (`json` describes it)
};

/// A value as read from TOML, handed to a key's binding.
using Scalar = std::variant<std::int64_t, double, bool, std::string>;

/// One key of a section.
struct Key {
  std::string name;
  KeyType type = KeyType::Float;
  std::string unit;            ///< "s", "ms", "KiB", ... (from the name's suffix), "" when none
  std::string doc;             ///< one line
  Range range;                 ///< Float, FloatArray
  std::int64_t int_min = 0;    ///< Integer
  std::int64_t int_max = kIntMax;
  Names choices;               ///< Choice
  std::string default_text;    ///< the default as TOML text; "" = required, none or computed (see `default_note`)
  std::string default_note;    ///< when the default is not a constant ("the policy's software", "all 1")
  bool required = false;       ///< an array-of-tables entry must give it
  bool manual = false;         ///< validated and written by hand in the loader/writer (cross-checked or shaped)
  std::string json;            ///< Special: the JSON Schema of the value
  const std::type_info* owner = nullptr;                     ///< the struct the binding writes to
  std::function<void(void*, const Scalar&)> assign;          ///< stores a validated value
  std::function<std::string(const void*)> toml_value;        ///< the field as TOML text

  /// True when the loader reads and the writer writes it through the binding.
  bool bound() const { return !manual && static_cast<bool>(assign); }
};

/// A section: a table ([fleet.cpu]) or an array of tables ([[faults]]).
struct Section {
  std::string path;            ///< "fleet.cpu", "faults"; "" for the top level
  bool array = false;          ///< written [[path]]
  std::string doc;
  std::vector<Key> keys;       ///< in documentation order (the order of "Allowed: ..." messages)
  bool open = false;           ///< other keys are allowed: a policy's parameters, or a study's settings
  std::string open_doc;        ///< what the other keys are

  /// Every key's name, in order.
  Names names() const;
  /// The key named `name`; throws std::logic_error when there is none (a loader bug).
  const Key& key(std::string_view name) const;
  bool has(std::string_view name) const;
};

/// Every section of a scenario, the top level ("") first, parents before children.
const std::vector<Section>& sections();
/// The section at `path`; throws std::logic_error when there is none.
const Section& section(std::string_view path);
/// Every key's dotted path ("run.duration_s", "faults.type"), parents before children; open
/// sections' free keys and sub-table keys themselves are not listed.
Names key_paths();

/// The unit a key name implies: "_s" seconds, "_ms", "_us" (of one CPU core), "_kib", "_mib",
/// "_per_s", "_bytes", "_percent"; "" for none.
std::string unit_of(std::string_view name);

// --- Row builders: one call per key, bound to a member of the section's struct ----------------

namespace detail {
template <class S>
S& of(void* target) { return *static_cast<S*>(target); }
template <class S>
const S& of(const void* target) { return *static_cast<const S*>(target); }
}  // namespace detail

/// A number (TOML float or integer) stored in a double member.
template <class S>
Key number(std::string name, double S::*member, Range range, std::string doc) {
  Key k;
  k.type = KeyType::Float;
  k.unit = unit_of(name);
  k.name = std::move(name);
  k.range = std::move(range);
  k.doc = std::move(doc);
  k.owner = &typeid(S);
  k.default_text = toml_float(S{}.*member);
  k.assign = [member](void* t, const Scalar& v) { detail::of<S>(t).*member = std::get<double>(v); };
  k.toml_value = [member](const void* t) { return toml_float(detail::of<S>(t).*member); };
  return k;
}

/// A number that may be left out, stored in a std::optional<double> member: absent means "computed"
/// (`default_note` says how); the writer leaves it out when it holds no value, so the file it writes
/// loads back to the same configuration.
template <class S>
Key optional_number(std::string name, std::optional<double> S::*member, Range range, std::string doc, std::string default_note) {
  Key k;
  k.type = KeyType::Float;
  k.unit = unit_of(name);
  k.name = std::move(name);
  k.range = std::move(range);
  k.doc = std::move(doc);
  k.default_note = std::move(default_note);
  k.owner = &typeid(S);
  k.assign = [member](void* t, const Scalar& v) { detail::of<S>(t).*member = std::get<double>(v); };
  k.toml_value = [member](const void* t) {
    const std::optional<double>& v = detail::of<S>(t).*member;
    return v ? toml_float(*v) : std::string();
  };
  return k;
}

/// A TOML integer stored in an unsigned or signed integral member.
template <class S, class I>
Key integer(std::string name, I S::*member, std::int64_t min, std::int64_t max, std::string doc) {
  static_assert(std::is_integral_v<I> && !std::is_same_v<I, bool>);
  Key k;
  k.type = KeyType::Integer;
  k.name = std::move(name);
  k.int_min = min;
  k.int_max = max;
  k.doc = std::move(doc);
  k.owner = &typeid(S);
  k.default_text = std::to_string(S{}.*member);
  k.assign = [member](void* t, const Scalar& v) { detail::of<S>(t).*member = static_cast<I>(std::get<std::int64_t>(v)); };
  k.toml_value = [member](const void* t) { return std::to_string(detail::of<S>(t).*member); };
  return k;
}

/// true or false.
template <class S>
Key flag(std::string name, bool S::*member, std::string doc) {
  Key k;
  k.type = KeyType::Boolean;
  k.name = std::move(name);
  k.doc = std::move(doc);
  k.owner = &typeid(S);
  k.default_text = S{}.*member ? "true" : "false";
  k.assign = [member](void* t, const Scalar& v) { detail::of<S>(t).*member = std::get<bool>(v); };
  k.toml_value = [member](const void* t) { return std::string(detail::of<S>(t).*member ? "true" : "false"); };
  return k;
}

/// A free-form string.
template <class S>
Key text(std::string name, std::string S::*member, std::string doc) {
  Key k;
  k.type = KeyType::String;
  k.name = std::move(name);
  k.doc = std::move(doc);
  k.owner = &typeid(S);
  k.default_text = toml_string(S{}.*member);
  k.assign = [member](void* t, const Scalar& v) { detail::of<S>(t).*member = std::get<std::string>(v); };
  k.toml_value = [member](const void* t) { return toml_string(detail::of<S>(t).*member); };
  return k;
}

/// One of `names`, stored as the enum value of the same index (names[i] is E(i)).
template <class S, class E>
Key choice(std::string name, E S::*member, Names names, std::string doc) {
  static_assert(std::is_enum_v<E>);
  Key k;
  k.type = KeyType::Choice;
  k.name = std::move(name);
  k.choices = names;
  k.doc = std::move(doc);
  k.owner = &typeid(S);
  k.default_text = toml_string(names.at(static_cast<std::size_t>(S{}.*member)));
  k.assign = [member, names](void* t, const Scalar& v) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == std::get<std::string>(v)) detail::of<S>(t).*member = static_cast<E>(i);
    }
  };
  k.toml_value = [member, names](const void* t) {
    return toml_string(names.at(static_cast<std::size_t>(detail::of<S>(t).*member)));
  };
  return k;
}

/// A key the loader reads by hand (its checks involve other keys, or its value has a shape of its own).
Key manual(std::string name, KeyType type, std::string doc, std::string default_text = "");
/// A sub-table, described by the section at path.name.
Key table(std::string name, std::string doc);
/// An array of tables, described by the section at path.name.
Key table_array(std::string name, std::string doc);

// Key modifiers (chainable on a built row).
/// The key is required in each entry of an array of tables.
inline Key required(Key k) {
  k.required = true;
  k.default_text.clear();
  return k;
}
/// The key is validated from its row but read and written by hand.
inline Key by_hand(Key k) {
  k.manual = true;
  return k;
}
/// The key's name ends like a unit but is none (zipf_s is an exponent).
inline Key unitless(Key k) {
  k.unit.clear();
  return k;
}
/// The default is not a constant: say what it is instead.
inline Key default_is(Key k, std::string note) {
  k.default_text.clear();
  k.default_note = std::move(note);
  return k;
}

// The section groups (one file each).
std::vector<Section> run_sections();        // [scenario], [run]
std::vector<Section> fleet_sections();      // [fleet] and its sub-tables, [[fleet.classes]]
std::vector<Section> clients_sections();    // [clients], [heartbeat]
std::vector<Section> balancer_sections();   // [balancer] and its sub-tables, [backoff]
std::vector<Section> events_sections();     // [[faults]], [[scaling]]
std::vector<Section> autoscaler_sections(); // [autoscaler]
std::vector<Section> topology_sections();   // [topology] and its arrays
std::vector<Section> pubsub_sections();     // [pubsub] and its sub-tables
std::vector<Section> transport_sections();  // [transport] and its sub-tables
std::vector<Section> study_sections();      // [sweep], [plan] (free-form, read by Python)

}  // namespace wsfleet::experiments::schema
