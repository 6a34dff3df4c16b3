#include "experiments/timeseries_schema.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string_view>

#include <nlohmann/json.hpp>

#include "models/fleet/sampler.hpp"

namespace wsfleet::experiments::timeseries {

namespace {

using nlohmann::ordered_json;

/// A name several scopes share is one column of the CSV; its type there is the widest of theirs.
Type widest(Type a, Type b) {
  if (a == Type::Number || b == Type::Number) return Type::Number;
  if (a == Type::Integer || b == Type::Integer) return Type::Integer;
  return Type::Flag;
}

const char* when_name(When w) {
  switch (w) {
    case When::Always: return "always";
    case When::PubSub: return "pubsub";
    case When::Deploys: return "deploys";
    case When::Autoscaler: return "autoscaler";
    case When::Sites: return "sites";
    case When::Classes: return "classes";
  }
  return "always";
}

const char* type_name(Type t) {
  switch (t) {
    case Type::Integer: return "integer";
    case Type::Number: return "number";
    case Type::Flag: return "flag";
  }
  return "number";
}

const std::vector<std::string>& columns_of(const models::RunResult& r, Scope s) {
  switch (s) {
    case Scope::Fleet: return r.fleet.columns();
    case Scope::Server: return r.servers.columns();
    case Scope::Balancer: return r.balancers.columns();
    case Scope::Site: return r.sites.columns();
    case Scope::Class: return r.classes.columns();
  }
  return r.fleet.columns();
}

constexpr Scope kScopes[] = {Scope::Fleet, Scope::Server, Scope::Balancer, Scope::Site, Scope::Class};

}  // namespace

const std::vector<const Column*>& columns() {
  static const std::vector<const Column*>& table = [] () -> const std::vector<const Column*>& {
    const std::vector<const Column*>& rows = models::Sampler::columns();
    // Each name once per scope, and never a name of the CSV's own (scope) among a scope's columns.
    std::set<std::pair<Scope, std::string>> seen;
    for (const Column* c : rows) {
      if (!seen.emplace(c->scope, c->name).second || c->name == "scope") {
        throw std::logic_error(std::string("timeseries schema: ") + scope_name(c->scope) + " column " + c->name +
                               " declared twice");
      }
    }
    return rows;
  }();
  return table;
}

std::vector<std::string> scope_columns(Scope scope, const Features& features) {
  std::vector<std::string> out;
  for (const Column* c : models::Sampler::columns(scope, features)) out.push_back(c->name);
  return out;
}

std::vector<std::string> csv_columns(const Features& features) {
  std::vector<std::string> out{"time_s", "scope", "server"};
  for (const Scope s : kScopes) {
    for (const std::string& name : scope_columns(s, features)) {
      if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
  }
  return out;
}

std::vector<std::string> mismatches(const models::RunResult& result) {
  const Features features = Features::of(result.summary);
  std::vector<std::string> bad;
  for (const Scope s : kScopes) {
    const std::vector<std::string>& written = columns_of(result, s);
    const std::vector<std::string> declared = scope_columns(s, features);
    const std::string where = std::string(scope_name(s)) + " column ";
    std::vector<std::string> both;
    for (const std::string& name : written) {
      if (std::find(declared.begin(), declared.end(), name) == declared.end()) {
        const bool elsewhere = std::any_of(columns().begin(), columns().end(),
                                           [&](const Column* c) { return c->scope == s && c->name == name; });
        bad.push_back(where + name + (elsewhere ? " (declared only for runs of another kind)" : " (not declared)"));
      } else {
        both.push_back(name);
      }
    }
    std::vector<std::string> expected;
    for (const std::string& name : declared) {
      if (std::find(written.begin(), written.end(), name) == written.end()) {
        bad.push_back(where + name + " (missing)");
      } else {
        expected.push_back(name);
      }
    }
    if (both != expected) bad.push_back(std::string(scope_name(s)) + " columns (out of the declared order)");
  }
  return bad;
}

void check(const models::RunResult& result) {
  const std::vector<std::string> bad = mismatches(result);
  if (bad.empty()) return;
  std::string list;
  for (const std::string& b : bad) list += (list.empty() ? "" : ", ") + b;
  throw std::logic_error("the time series does not conform to experiments/timeseries_schema.cpp: " + list);
}

std::string json_schema() {
  // One property per CSV column (a name shared by scopes once), its per-scope meaning under x-scopes.
  ordered_json props = ordered_json::object();
  std::map<std::string, Type> type_of;
  props["time_s"] = ordered_json::object();
  props["scope"] = {{"type", "string"},
                    {"enum", {"fleet", "server", "balancer", "site", "class"}},
                    {"description", "the kind of row: fleet totals, one server, one balancer, one site, one server class "
                                    "(site rows: only with two or more [[topology.sites]]; class rows: only with two or more "
                                    "[[fleet.classes]])"}};
  props["server"] = ordered_json::object();
  for (const Column* col : columns()) {
    const Column& c = *col;
    const auto [it, first] = type_of.emplace(c.name, c.type);
    if (!first) it->second = widest(it->second, c.type);
    if (!props.contains(c.name)) props[c.name] = ordered_json::object();
    ordered_json scope{{"type", type_name(c.type)}, {"description", c.doc}};
    if (!c.unit.empty()) scope["unit"] = c.unit;
    scope["when"] = when_name(c.when);
    props[c.name]["x-scopes"][scope_name(c.scope)] = scope;
  }
  for (auto& [name, node] : props.items()) {
    if (name == "scope") continue;
    const Type t = type_of.at(name);
    ordered_json out;
    // Every cell but time_s, scope and server is empty on the rows of the scopes without the column.
    const bool every_row = name == "time_s" || name == "server";
    const char* json_type = t == Type::Number ? "number" : "integer";
    out["type"] = every_row ? ordered_json(json_type) : ordered_json({json_type, "null"});
    if (t == Type::Flag) out["enum"] = {0, 1, nullptr};
    std::string doc;
    for (const auto& [scope, s] : node["x-scopes"].items()) {
      doc += (doc.empty() ? "" : "; ") + scope + ": " + s["description"].get<std::string>();
      if (s.contains("unit")) doc += " [" + s["unit"].get<std::string>() + "]";
    }
    if (name == "server") doc += "; -1 on fleet, balancer, site and class rows";
    out["description"] = doc;
    out["x-scopes"] = node["x-scopes"];
    node = out;
  }
  // Per scope (if scope is X then ...): its whole-number columns hold a number (a flag 0 or 1), its
  // real ones a number or nothing, every other scope's column nothing; the columns it always has are required.
  ordered_json per_scope = ordered_json::array();
  for (const Scope sc : kScopes) {
    ordered_json then = {{"properties", ordered_json::object()}, {"required", ordered_json::array()}};
    for (const auto& [name, node] : props.items()) {
      if (name == "time_s" || name == "scope" || name == "server") continue;
      const auto found = std::find_if(columns().begin(), columns().end(),
                                      [&, n = name](const Column* col) { return col->scope == sc && col->name == n; });
      if (found == columns().end()) {
        then["properties"][name] = {{"type", "null"}};
      } else {
        const Column* c = *found;
        then["properties"][name] = c->type == Type::Flag      ? ordered_json{{"enum", {0, 1}}}
                                   : c->type == Type::Integer ? ordered_json{{"type", "integer"}}
                                                              : ordered_json{{"type", {"number", "null"}}};
        // (a site row exists only with sites: its columns are required on it)
        if (c->when == When::Always || (sc == Scope::Site && c->when == When::Sites) ||
            (sc == Scope::Class && c->when == When::Classes)) {
          then["required"].push_back(name);
        }
      }
    }
    per_scope.push_back({{"if", {{"properties", {{"scope", {{"const", scope_name(sc)}}}}}}}, {"then", then}});
  }
  ordered_json j;
  j["$schema"] = "http://json-schema.org/draft-07/schema#";
  j["$id"] = "https://wsfleet.invalid/timeseries.schema.json";
  j["title"] = "wsfleet timeseries.csv";
  j["description"] = "One row of timeseries.csv (and timeseries.parquet) as an object keyed by column: the fleet rows, "
                     "then one per server, one per balancer, one per site and one per server class at each sample time; a "
                     "cell of a column its row's scope does not write is empty (null). Each column is declared by the "
                     "engine component that writes it (models/fleet/column.hpp), gathered by models::Sampler::columns().";
  j["type"] = "object";
  j["properties"] = props;
  j["required"] = {"time_s", "scope", "server"};
  j["additionalProperties"] = false;
  j["allOf"] = per_scope;
  return j.dump(2) + "\n";
}

}  // namespace wsfleet::experiments::timeseries
