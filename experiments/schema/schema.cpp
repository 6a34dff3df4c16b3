#include "experiments/schema/schema.hpp"

#include <algorithm>
#include <stdexcept>

namespace wsfleet::experiments::schema {

bool Range::contains(double v) const {
  if (or_zero && v == 0.0) return true;
  const bool above_min = min_open ? v > min : v >= min;
  const bool below_max = max_open ? v < max : v <= max;
  return above_min && below_max;
}

std::string Range::describe() const {
  const std::string lo = min_label.empty() ? human_number(min) : min_label + " = " + human_number(min);
  const std::string hi = max_label.empty() ? human_number(max) : max_label + " = " + human_number(max);
  const bool has_min = std::isfinite(min);
  const bool has_max = std::isfinite(max);
  const std::string zero = or_zero ? "0 or " : "";
  if (has_min && has_max && !min_open && !max_open) return zero + "between " + lo + " and " + hi;
  std::string out = zero;
  if (has_min) out += (min_open ? "> " : ">= ") + lo;
  if (has_min && has_max) out += " and ";
  if (has_max) out += (max_open ? "< " : "<= ") + hi;
  return out;
}

Names Section::names() const {
  Names out;
  for (const Key& k : keys) out.push_back(k.name);
  return out;
}

bool Section::has(std::string_view name) const {
  return std::any_of(keys.begin(), keys.end(), [&](const Key& k) { return k.name == name; });
}

const Key& Section::key(std::string_view name) const {
  for (const Key& k : keys) {
    if (k.name == name) return k;
  }
  throw std::logic_error("schema: [" + path + "] has no key '" + std::string(name) + "'");
}

std::string unit_of(std::string_view name) {
  const std::pair<std::string_view, std::string_view> suffixes[] = {
      {"_kib_per_s", "KiB/s"}, {"_per_s", "1/s"}, {"_ms", "ms"}, {"_us", "us of one core"}, {"_kib", "KiB"}, {"_mib", "MiB"},
      {"_bytes", "bytes"}, {"_percent", "%"}, {"_s", "s"}};
  for (const auto& [suffix, unit] : suffixes) {
    if (name.ends_with(suffix)) return std::string(unit);
  }
  return "";
}

Key manual(std::string name, KeyType type, std::string doc, std::string default_text) {
  Key k;
  k.unit = unit_of(name);
  k.name = std::move(name);
  k.type = type;
  k.doc = std::move(doc);
  k.default_text = std::move(default_text);
  k.manual = true;
  return k;
}

Key table(std::string name, std::string doc) {
  Key k = manual(std::move(name), KeyType::Table, std::move(doc));
  k.unit.clear();
  return k;
}

Key table_array(std::string name, std::string doc) {
  Key k = manual(std::move(name), KeyType::TableArray, std::move(doc));
  k.unit.clear();
  return k;
}

namespace {

Section top_level() {
  Section s;
  s.path = "";
  s.doc = "A wsfleet scenario: every section is optional; keys left out keep their defaults.";
  s.keys = {
      table("scenario", "the scenario's name and description"),
      table("run", "simulated time, sampling and random seeds"),
      table("fleet", "the servers"),
      table("clients", "the client population and what each client does"),
      table("balancer", "the load-balancer tier and its policy"),
      table("backoff", "the clients' reconnect policy"),
      table("heartbeat", "ping/pong and dead-peer detection"),
      table_array("faults", "crashes and incidents during the run"),
      table_array("scaling", "servers that join or leave during the run"),
      table_array("deploys", "rolling, blue/green and canary deploys of a new server version"),
      table("autoscaler", "an autoscaling controller that adds and removes servers"),
      table("topology", "sites, client regions and the links between them"),
      table("pubsub", "channels, publishers, send buffers, broker and resume"),
      table("transport", "clients on HTTP long polling or Server-Sent Events"),
      table("sweep", "a study of the scenario (wsfleet sweep); read by the Python package"),
      table("plan", "a capacity plan of the scenario (wsfleet plan); read by the Python package"),
      table("storm", "the triggers of a storm map (wsfleet storm-map); read by the Python package"),
      table("alerts", "Prometheus rules evaluated on the run (wsfleet alerts, the report)"),
  };
  return s;
}

std::vector<Section> build() {
  std::vector<Section> all = {top_level()};
  for (auto part : {run_sections, fleet_sections, clients_sections, balancer_sections, events_sections, autoscaler_sections,
                    topology_sections, pubsub_sections, transport_sections, study_sections}) {
    for (Section& s : part()) all.push_back(std::move(s));
  }
  return all;
}

}  // namespace

const std::vector<Section>& sections() {
  static const std::vector<Section> all = build();
  return all;
}

const Section& section(std::string_view path) {
  for (const Section& s : sections()) {
    if (s.path == path) return s;
  }
  throw std::logic_error("schema: no section [" + std::string(path) + "]");
}

Names key_paths() {
  Names out;
  for (const Section& s : sections()) {
    if (s.path.empty()) continue;
    for (const Key& k : s.keys) {
      if (k.type != KeyType::Table && k.type != KeyType::TableArray) out.push_back(s.path + "." + k.name);
    }
  }
  return out;
}

}  // namespace wsfleet::experiments::schema
