#include "experiments/summary_schema.hpp"

#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "experiments/summary/summary_rows.hpp"
#include "models/run_summary.hpp"

namespace wsfleet::experiments::summary {

namespace {

using nlohmann::ordered_json;

/// The table, section by section in the order summary.json has them (experiments/summary/).
std::vector<Field> build() {
  std::vector<Field> t;
  run_rows(t);
  fleet_rows(t);
  connection_rows(t);
  transport_rows(t);
  handshake_rows(t);
  pubsub_rows(t);
  autoscaler_rows(t);
  resource_rows(t);
  fault_rows(t);
  deploy_rows(t);
  balancer_rows(t);
  topology_rows(t);
  conservation_rows(t);
  return t;
}

// --- the tree the rows describe -------------------------------------------------------------

std::string parent_of(const std::string& path) {
  if (path.size() > 2 && path.compare(path.size() - 2, 2, "[]") == 0) return path.substr(0, path.size() - 2);
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(0, dot);
}

std::string last_key(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

std::string description(const Field& f) { return f.unit.empty() ? f.doc : f.doc + " [" + f.unit + "]"; }

ordered_json node_of(const Field& f) {
  ordered_json j = ordered_json::object();
  switch (f.type) {
    case Type::Integer: j["type"] = "integer"; break;
    case Type::Number: j["type"] = ordered_json::array({"number", "null"}); break;
    case Type::String: j["type"] = "string"; break;
    case Type::Boolean: j["type"] = "boolean"; break;
    case Type::Object:
      j["type"] = "object";
      j["properties"] = ordered_json::object();
      j["additionalProperties"] = false;
      break;
    case Type::Array: j["type"] = "array"; break;
    case Type::Map: j["type"] = "object"; break;
  }
  j["description"] = description(f);
  if (!f.unit.empty()) j["x-unit"] = f.unit;
  return j;
}

/// The JSON Schema node of `path` and below (the rows under it attached).
ordered_json schema_of(const std::string& path, const Field& self, const std::multimap<std::string, const Field*>& children) {
  ordered_json j = node_of(self);
  auto [lo, hi] = children.equal_range(path);
  for (auto it = lo; it != hi; ++it) {
    const Field& c = *it->second;
    ordered_json sub = schema_of(c.path, c, children);
    if (self.type == Type::Array) {
      j["items"] = sub;
    } else if (self.type == Type::Map) {
      j["additionalProperties"] = sub;
    } else {
      j["properties"][last_key(c.path)] = sub;
      if (!c.optional) j["required"].push_back(last_key(c.path));
    }
  }
  return j;
}

/// The table indexed: each path's row, and each object's rows beneath it.
struct Index {
  std::map<std::string, const Field*> by_path;
  std::multimap<std::string, const Field*> children;
};

/// The root object: summary.json itself, read from the run's summary.
Field root_field(std::string doc) {
  Field root;
  root.type = Type::Object;
  root.doc = std::move(doc);
  root.context = &typeid(models::RunSummary);
  return root;
}

const Index& index() {
  static const Field root = root_field("");
  static const Index idx = [] {
    Index i;
    i.by_path[""] = &root;
    for (const Field& f : fields()) {
      i.by_path[f.path] = &f;
      i.children.emplace(parent_of(f.path), &f);
    }
    return i;
  }();
  return idx;
}

void check_value(const ordered_json& v, const std::string& path, const Index& idx, std::vector<std::string>& bad) {
  const auto& by_path = idx.by_path;
  const auto it = by_path.find(path);
  if (it == by_path.end()) {
    bad.push_back(path + " (not declared)");
    return;
  }
  const Field& f = *it->second;
  bool ok = false;
  switch (f.type) {
    case Type::Integer: ok = v.is_number_integer(); break;
    case Type::Number: ok = v.is_number() || v.is_null(); break;
    case Type::String: ok = v.is_string(); break;
    case Type::Boolean: ok = v.is_boolean(); break;
    case Type::Object:
    case Type::Map: ok = v.is_object(); break;
    case Type::Array: ok = v.is_array(); break;
  }
  if (!ok) {
    bad.push_back(path + " (not of its declared type)");
    return;
  }
  if (f.type == Type::Object) {
    for (const auto& [key, sub] : v.items()) check_value(sub, path.empty() ? key : path + "." + key, idx, bad);
    auto [lo, hi] = idx.children.equal_range(path);
    for (auto c = lo; c != hi; ++c) {
      if (!c->second->optional && !v.contains(last_key(c->second->path))) bad.push_back(c->second->path + " (missing)");
    }
  } else if (f.type == Type::Map) {
    for (const auto& [key, sub] : v.items()) check_value(sub, path + ".*", idx, bad);
  } else if (f.type == Type::Array) {
    for (const auto& sub : v) check_value(sub, path + "[]", idx, bad);
  }
}

}  // namespace

const std::vector<Field>& fields() {
  static const std::vector<Field> table = [] {
    std::vector<Field> rows = build();
    // Parents before children, each path once, each row reading what its place hands it (the
    // summary, or the item of the nearest array or map above it), each able to write its value: a
    // table that breaks this is a bug found at start.
    std::map<std::string, const Field*> seen;
    const Field root = root_field("");
    for (const Field& f : rows) {
      const std::string parent = parent_of(f.path);
      if (!seen.emplace(f.path, &f).second) throw std::logic_error("summary schema: " + f.path + " declared twice");
      const Field* p = &root;
      if (!parent.empty()) {
        const auto it = seen.find(parent);
        if (it == seen.end() || (it->second->type != Type::Object && it->second->type != Type::Array && it->second->type != Type::Map)) {
          throw std::logic_error("summary schema: " + f.path + " comes before its parent " + parent);
        }
        p = it->second;
      }
      // An item reads its container's items; any other row reads what its parent reads.
      const std::type_info* context = p->type == Type::Array || p->type == Type::Map ? p->item : p->context;
      if (f.context == nullptr || context == nullptr || *f.context != *context) {
        throw std::logic_error("summary schema: " + f.path + " reads another struct than its place hands it");
      }
      const bool container = f.type == Type::Array || f.type == Type::Map;
      const bool leaf = !container && f.type != Type::Object;
      if ((leaf && !f.value) || (container && (!f.each || !f.item)) || (f.optional != static_cast<bool>(f.present))) {
        throw std::logic_error("summary schema: " + f.path + " has no way to read its value");
      }
    }
    return rows;
  }();
  return table;
}

namespace {

/// The value of `f` read from `context` (the summary, or an item of an array or a map above it).
ordered_json write(const Field& f, const void* context, const Index& idx) {
  ordered_json out;
  switch (f.type) {
    case Type::Integer:
    case Type::Number:
    case Type::String:
    case Type::Boolean: f.value(context, out); break;
    case Type::Object: {
      out = ordered_json::object();
      auto [lo, hi] = idx.children.equal_range(f.path);
      for (auto c = lo; c != hi; ++c) {
        const Field& child = *c->second;
        if (!child.present || child.present(context)) out[last_key(child.path)] = write(child, context, idx);
      }
      break;
    }
    case Type::Array:
    case Type::Map: {
      const bool array = f.type == Type::Array;
      out = array ? ordered_json::array() : ordered_json::object();
      const Field& item = *idx.by_path.at(f.path + (array ? "[]" : ".*"));
      f.each(context, [&](const std::string& key, const void* it) {
        if (array) {
          out.push_back(write(item, it, idx));
        } else {
          out[key] = write(item, it, idx);
        }
      });
      break;
    }
  }
  return out;
}

}  // namespace

ordered_json to_json(const models::RunSummary& summary) {
  const Index& idx = index();
  return write(*idx.by_path.at(""), &summary, idx);
}

std::string json_schema() {
  std::multimap<std::string, const Field*> children;
  for (const Field& f : fields()) children.emplace(parent_of(f.path), &f);
  const Field root = root_field("summary.json: the headline numbers of one wsfleet run");
  ordered_json body = schema_of("", root, children);
  ordered_json j;
  j["$schema"] = "http://json-schema.org/draft-07/schema#";
  j["$id"] = "https://wsfleet.invalid/summary.schema.json";
  j["title"] = "wsfleet summary.json";
  for (auto& [key, value] : body.items()) j[key] = value;
  return j.dump(2) + "\n";
}

std::vector<std::string> undeclared(const ordered_json& summary) {
  std::vector<std::string> bad;
  check_value(summary, "", index(), bad);
  return bad;
}

}  // namespace wsfleet::experiments::summary
