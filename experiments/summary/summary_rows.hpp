#pragma once
// How a key of summary.json is declared: one row with its path, its value (a member pointer or a
// small accessor of what the row reads), its unit and one line of documentation. The row is the
// writer too: experiments/summary_schema.cpp walks the table over a run's models::RunSummary.
//
// To add a key: one line in the section's file (experiments/summary/summary_<section>.cpp), at the
// place summary.json should have it (rows are in output order, parents before children):
//   c.integer("connections.attempted", &C::attempted, "attempts", "connection attempts made");
//   t.number("cpu.mean_utilisation", &R::cpu_mean_utilisation, "share", "busy core-time over ...");
//   t.integer("connections.peak", [](const R& s) { return s.peak_connections; }, "connections", "...");
// The builder names the JSON type: integer (an integral member), number (a double, written null
// when NaN; a std::optional<double>, null when empty), text (a std::string), flag (a bool),
// integer_if_set (a std::optional integer, written only when set). A last argument `when`
// (a predicate of what the row reads) makes a key optional: written only when it holds.
// Objects (`object`) hold the rows declared after them under their path; `of(&S::member)` declares
// rows that read a member struct; `array` and `map` declare a row per item and return the rows of
// the item (they read the item). A fault kind, a feature's section: `object(..., when)` and its rows.
#include <cmath>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/summary_schema.hpp"
#include "models/run_summary.hpp"

namespace wsfleet::experiments::summary {

using Json = nlohmann::ordered_json;

/// A double as summary.json has it: null when undefined (NaN: a mean of nothing) or infinite.
inline Json number_json(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

namespace detail {
template <class T>
inline constexpr bool is_optional_v = false;
template <class T>
inline constexpr bool is_optional_v<std::optional<T>> = true;
template <class T>
inline constexpr bool is_count_v = std::is_integral_v<T> && !std::is_same_v<T, bool>;
}  // namespace detail

/// Declares the rows whose values are read from an S: the run's summary, an array's item, or a
/// member struct of either (`of`). Each builder appends one row to the table (two for arrays and
/// maps: the container and its item).
template <class S>
class Rows {
 public:
  /// Whether an optional key is written (false: left out).
  using When = std::function<bool(const S&)>;
  /// The S a row reads, from its context (the summary or an item).
  using Get = std::function<const S&(const void*)>;

  Rows(std::vector<Field>& table, const std::type_info& context, Get get)
      : table_(&table), context_(&context), get_(std::move(get)) {}

  /// The rows that read the member struct `member` of S (from the same context).
  template <class T>
  Rows<T> of(T S::*member) const {
    const Get g = get_;
    return Rows<T>(*table_, *context_, [g, member](const void* c) -> const T& { return g(c).*member; });
  }

  /// The rows that read the struct a std::optional member holds: declare them under an object
  /// written only when it holds one.
  template <class T>
  Rows<T> of_optional(std::optional<T> S::*member) const {
    const Get g = get_;
    return Rows<T>(*table_, *context_, [g, member](const void* c) -> const T& { return *(g(c).*member); });
  }

  /// An object: the rows declared after it under its path are its keys.
  Rows& object(std::string path, std::string doc, When when = {}) {
    add(std::move(path), Type::Object, "", std::move(doc), std::move(when));
    return *this;
  }

  /// An integer: `get` (a member pointer or an accessor of S) gives an integral value.
  template <class F>
  Rows& integer(std::string path, F get, std::string unit, std::string doc, When when = {}) {
    static_assert(detail::is_count_v<std::decay_t<std::invoke_result_t<F, const S&>>>, "integer: an integral value");
    Field& f = add(std::move(path), Type::Integer, std::move(unit), std::move(doc), std::move(when));
    f.value = [g = get_, get](const void* c, Json& out) { out = std::invoke(get, g(c)); };
    return *this;
  }

  /// An integer held in a std::optional: written only when it holds a value.
  template <class F>
  Rows& integer_if_set(std::string path, F get, std::string unit, std::string doc) {
    using V = std::decay_t<std::invoke_result_t<F, const S&>>;
    static_assert(detail::is_optional_v<V> && detail::is_count_v<typename V::value_type>,
                  "integer_if_set: a std::optional integral value");
    Field& f = add(std::move(path), Type::Integer, std::move(unit), std::move(doc),
                   [get](const S& s) { return std::invoke(get, s).has_value(); });
    f.value = [g = get_, get](const void* c, Json& out) { out = *std::invoke(get, g(c)); };
    return *this;
  }

  /// A number: a double (null when NaN) or a std::optional<double> (null when empty).
  template <class F>
  Rows& number(std::string path, F get, std::string unit, std::string doc, When when = {}) {
    using V = std::decay_t<std::invoke_result_t<F, const S&>>;
    static_assert(std::is_same_v<V, double> || std::is_same_v<V, std::optional<double>>,
                  "number: a double or a std::optional<double>");
    Field& f = add(std::move(path), Type::Number, std::move(unit), std::move(doc), std::move(when));
    f.value = [g = get_, get](const void* c, Json& out) {
      const V v = std::invoke(get, g(c));
      if constexpr (std::is_same_v<V, double>) {
        out = number_json(v);
      } else {
        out = v ? number_json(*v) : Json(nullptr);
      }
    };
    return *this;
  }

  /// A string.
  template <class F>
  Rows& text(std::string path, F get, std::string doc, When when = {}) {
    static_assert(std::is_convertible_v<std::invoke_result_t<F, const S&>, std::string>, "text: a string");
    Field& f = add(std::move(path), Type::String, "", std::move(doc), std::move(when));
    f.value = [g = get_, get](const void* c, Json& out) { out = std::string(std::invoke(get, g(c))); };
    return *this;
  }

  /// true or false.
  template <class F>
  Rows& flag(std::string path, F get, std::string doc, When when = {}) {
    static_assert(std::is_same_v<std::decay_t<std::invoke_result_t<F, const S&>>, bool>, "flag: a bool");
    Field& f = add(std::move(path), Type::Boolean, "", std::move(doc), std::move(when));
    f.value = [g = get_, get](const void* c, Json& out) { out = static_cast<bool>(std::invoke(get, g(c))); };
    return *this;
  }

  /// An array with one object per element of the std::vector `get` gives (a member, or one an
  /// accessor computes). Declares `path` and `path[]`; returns the rows of an element (path[].KEY).
  template <class F>
  auto array(std::string path, F get, std::string doc, std::string item_doc, When when = {}) {
    using T = typename std::decay_t<std::invoke_result_t<F, const S&>>::value_type;
    Field& f = add(path, Type::Array, "", std::move(doc), std::move(when));
    f.item = &typeid(T);
    f.each = [g = get_, get](const void* c, const ItemFn& fn) {
      const auto& items = std::invoke(get, g(c));
      for (const T& it : items) fn("", &it);
    };
    return item_rows<T>(path + "[]", Type::Object, std::move(item_doc));
  }

  /// An array of strings (the std::vector<std::string> `get` gives).
  template <class F>
  Rows& texts(std::string path, F get, std::string doc, std::string item_doc, When when = {}) {
    Rows<std::string> item = array(path, std::move(get), std::move(doc), "", std::move(when));
    Field& i = table_->back();
    i.type = Type::String;
    i.doc = std::move(item_doc);
    i.value = [](const void* c, Json& out) { out = *static_cast<const std::string*>(c); };
    return *this;
  }

  /// An object whose keys are computed: one per element of the std::vector `get` gives, named
  /// `key(element)`. Declares `path` and `path.*`; returns the rows of an element (path.*.KEY).
  template <class F, class K>
  auto map(std::string path, F get, K key, std::string doc, std::string item_doc) {
    using T = typename std::decay_t<std::invoke_result_t<F, const S&>>::value_type;
    Field& f = add(path, Type::Map, "", std::move(doc), {});
    f.item = &typeid(T);
    f.each = [g = get_, get, key](const void* c, const ItemFn& fn) {
      const auto& items = std::invoke(get, g(c));
      for (const T& it : items) fn(std::invoke(key, it), &it);
    };
    return item_rows<T>(path + ".*", Type::Object, std::move(item_doc));
  }

  /// A latency distribution's percentiles (models::LatencyStats; stats_of in summary_helpers):
  /// count, mean, p50, p90, p99, p999, max (without p90 and p999 when not `full`).
  template <class F>
  Rows& latency(const std::string& at, F get, const std::string& unit, std::string doc, bool full = true) {
    using L = models::LatencyStats;
    Rows<L> l = of_value(get);
    object(at, std::move(doc));
    l.integer(at + ".count", &L::count, "samples", "samples in the distribution");
    l.number(at + ".mean", &L::mean_ms, unit, "mean (null without samples)");
    l.number(at + ".p50", &L::p50_ms, unit, "median (null without samples)");
    if (full) l.number(at + ".p90", &L::p90_ms, unit, "90th percentile (null without samples)");
    l.number(at + ".p99", &L::p99_ms, unit, "99th percentile (null without samples)");
    if (full) l.number(at + ".p999", &L::p999_ms, unit, "99.9th percentile (null without samples)");
    l.number(at + ".max", &L::max_ms, unit, "largest sample (null without samples)");
    return *this;
  }

  /// Messages of one kind (models::MessageCounts): sent, delivered, dropped, in_flight_at_end.
  template <class F>
  Rows& messages(const std::string& at, F get, const std::string& unit, std::string doc) {
    using M = models::MessageCounts;
    Rows<M> m = of_value(get);
    object(at, std::move(doc));
    m.integer(at + ".sent", &M::sent, unit, "submitted to a server's CPU");
    m.integer(at + ".delivered", &M::delivered, unit, "processed by the end of the run");
    m.integer(at + ".dropped", &M::dropped, unit, "lost in a crashed server's queue");
    m.integer(at + ".in_flight_at_end", &M::in_flight_at_end, unit, "still queued at the end");
    return *this;
  }

 private:
  template <class>
  friend class Rows;

  Field& add(std::string path, Type type, std::string unit, std::string doc, When when) {
    Field f;
    f.path = std::move(path);
    f.type = type;
    f.unit = std::move(unit);
    f.doc = std::move(doc);
    f.context = context_;
    if (when) {
      f.optional = true;
      f.present = [g = get_, when = std::move(when)](const void* c) { return when(g(c)); };
    }
    table_->push_back(std::move(f));
    return table_->back();
  }

  /// The rows of an item of an array or a map: the item is their context.
  template <class T>
  Rows<T> item_rows(std::string path, Type type, std::string doc) {
    Rows<T> item(*table_, typeid(T), [](const void* c) -> const T& { return *static_cast<const T*>(c); });
    item.add(std::move(path), type, "", std::move(doc), {});
    return item;
  }

  /// The rows of the struct a member pointer or an accessor returning a reference gives.
  template <class F>
  auto of_value(F get) const {
    using T = std::decay_t<std::invoke_result_t<F, const S&>>;
    static_assert(std::is_reference_v<std::invoke_result_t<F, const S&>>, "a member, or an accessor returning a reference");
    const Get g = get_;
    return Rows<T>(*table_, *context_, [g, get](const void* c) -> const T& { return std::invoke(get, g(c)); });
  }

  std::vector<Field>* table_;
  const std::type_info* context_;
  Get get_;
};

/// The rows that read the run's summary itself.
inline Rows<models::RunSummary> summary_rows(std::vector<Field>& table) {
  using R = models::RunSummary;
  return Rows<R>(table, typeid(R), [](const void* c) -> const R& { return *static_cast<const R*>(c); });
}

// The sections, in the order summary.json has them (one file each, experiments/summary/).
void run_rows(std::vector<Field>& table);          // wsfleet_version, scenario, seed, ... events_per_second
void fleet_rows(std::vector<Field>& table);        // fleet (classes, server_class), clients
void connection_rows(std::vector<Field>& table);   // connections, messages, heartbeats
void transport_rows(std::vector<Field>& table);    // transport, session_opening, pusher_fallback, signalr_fallback
void handshake_rows(std::vector<Field>& table);    // handshake_latency_ms
void pubsub_rows(std::vector<Field>& table);       // pubsub
void autoscaler_rows(std::vector<Field>& table);   // autoscaler
void resource_rows(std::vector<Field>& table);     // cpu, memory
void fault_rows(std::vector<Field>& table);        // faults
void deploy_rows(std::vector<Field>& table);       // deploys
void balancer_rows(std::vector<Field>& table);     // balancers
void topology_rows(std::vector<Field>& table);     // topology
void conservation_rows(std::vector<Field>& table); // conservation

}  // namespace wsfleet::experiments::summary
