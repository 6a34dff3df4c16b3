#include "experiments/timeseries_schema.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string_view>

#include <nlohmann/json.hpp>

#include "models/fleet/refusal_tally.hpp"
#include "models/fleet/sampler.hpp"
#include "models/policy_params.hpp"

namespace wsfleet::experiments::timeseries {

namespace {

using nlohmann::ordered_json;

constexpr Type I = Type::Integer, N = Type::Number, F = Type::Flag;

/// Builds the table, one scope at a time.
class Table {
 public:
  explicit Table(std::vector<Column>& rows) : rows_(rows) {}
  Table& scope(Scope s) {
    scope_ = s;
    return *this;
  }
  void add(std::string name, Type type, std::string unit, std::string doc, When when = When::Always) {
    rows_.push_back({scope_, std::move(name), type, std::move(unit), std::move(doc), when});
  }
  /// A refusal cause's column (refused_<cause>), documented from the cause's name.
  void refusals(std::string_view cause, When when = When::Always) {
    static const std::map<std::string_view, std::string> why = {
        {"server_full", "refused by the server at its connection limit"},
        {"shed", "refused by the server's admission control ([fleet.admission])"},
        {"timeout", "handshakes with it not done within clients.connect_timeout_s"},
        {"backend_down", "tries that reached it while it was down"},
        {"crash", "handshakes cut by its crash or drain deadline"},
        {"no_backend", "no eligible backend at all"},
        {"rate_limited", "refused over the balancer's new-connection rate"},
        {"balancer_down", "attempts at it while it was down"},
        {"source_ports", "no free source port towards the chosen backend"}};
    add("refused_" + std::string(cause), I, "attempts", "in the interval: " + why.at(cause), when);
  }

 private:
  std::vector<Column>& rows_;
  Scope scope_ = Scope::Fleet;
};

std::vector<Column> build() {
  std::vector<Column> rows;
  Table t(rows);
  const std::string in_iv = "in the interval: ";

  t.scope(Scope::Fleet);
  t.add("time_s", N, "s", "sample time (the end of the interval the interval counts cover)");
  t.add("up", I, "servers", "servers running");
  t.add("connections", I, "connections", "established connections open fleet-wide");
  t.add("attempts", I, "attempts", in_iv + "connection attempts the clients made (first tries and retries)");
  t.add("established", I, "connections", in_iv + "handshakes completed");
  t.add("rejected", I, "attempts", in_iv + "attempts refused at once");
  t.add("failed", I, "attempts", in_iv + "attempts that failed");
  t.add("closed", I, "connections", in_iv + "established connections that ended");
  t.add("dropped", I, "connections", in_iv + "of closed, cut by a server or balancer crash");
  t.add("cpu_utilisation", N, "share", "mean CPU utilisation over the interval of the servers part of the fleet during it");
  t.add("cpu_backlog_ms", N, "ms", "longest CPU queue wait among the servers");
  t.add("memory_mib", N, "MiB", "memory of every server, summed");
  t.add("messages_delivered", I, "messages", in_iv + "messages the servers processed");
  t.add("latency_p50_ms", N, "ms", in_iv + "median message latency (empty without messages)");
  t.add("latency_p99_ms", N, "ms", in_iv + "99th percentile of message latency (empty without messages)");
  t.add("retries", I, "attempts", in_iv + "of attempts, made after a drop, rejection or failure");
  t.add("waiting", I, "clients", "clients sitting in backoff");
  t.add("gave_up", I, "clients", in_iv + "clients that exhausted their retries");
  t.add("conn_max_over_mean", N, "ratio", "most connections on one server in service / their mean (empty when none)");
  t.add("conn_cv", N, "ratio", "coefficient of variation of the connections of the servers in service (empty when none)");
  t.add("half_open", I, "connections", "half-open connections (the client is gone) still held by a server");
  t.add("clients_websocket", I, "clients", "clients connected over WebSocket");
  t.add("clients_long_polling", I, "clients", "clients connected over HTTP long polling ([transport])");
  t.add("clients_sse", I, "clients", "clients connected over Server-Sent Events ([transport])");
  t.add("polls", I, "requests", in_iv + "long-polling requests the servers answered");
  t.add("published", I, "publications", in_iv + "publications (feeds and clients)", When::PubSub);
  t.add("pubsub_delivered", I, "copies", in_iv + "publication copies delivered to clients", When::PubSub);
  t.add("pubsub_dropped", I, "copies", in_iv + "publication copies dropped by the send-buffer policy", When::PubSub);
  t.add("buffered_mib", N, "MiB", "bytes in every send buffer, summed", When::PubSub);
  t.add("pubsub_latency_p99_ms", N, "ms", in_iv + "99th percentile of publication delivery latency (empty without deliveries)",
        When::PubSub);
  t.add("deploy_old", I, "servers", "servers of the old version", When::Deploys);
  t.add("deploy_starting", I, "servers", "new servers not yet ready", When::Deploys);
  t.add("deploy_new", I, "servers", "new servers ready (or available)", When::Deploys);
  t.add("deploy_terminating", I, "servers", "old servers shutting down (preStop, grace period)", When::Deploys);
  t.add("deploy_closed", I, "connections", in_iv + "connections a rollout closed", When::Deploys);
  t.add("deploy_away", I, "clients", "clients a rollout disconnected that are not connected again", When::Deploys);
  t.add("replicas", I, "servers", "the autoscaler's replicas (launched and not removed)", When::Autoscaler);
  t.add("replicas_ready", I, "servers", "of replicas, ready and in service", When::Autoscaler);
  t.add("replicas_desired", I, "servers", "the replica count the autoscaler last asked for", When::Autoscaler);
  t.add("cost_per_hour", N, "currency/h", "cost rate of the servers running", When::Autoscaler);
  // A Prometheus histogram of the interval's message latency (docs/monitoring.md).
  for (const double bound : models::Sampler::latency_bounds_ms()) {
    const std::string le = models::format_number(bound);
    t.add("latency_le_ms_" + le, I, "messages", in_iv + "messages whose latency was at most " + le + " ms (cumulative bucket)");
  }
  t.add("latency_count", I, "messages", in_iv + "messages whose latency was measured (the histogram's count)");
  t.add("latency_sum_ms", N, "ms", in_iv + "sum of those latencies (the histogram's sum)");

  t.scope(Scope::Server);
  t.add("time_s", N, "s", "sample time");
  t.add("server", I, "", "the server's number (slot; -1 on the rows of other scopes)");
  t.add("up", F, "", "1 while the server runs");
  t.add("connections", I, "connections", "established connections open on it");
  t.add("attempts", I, "attempts", in_iv + "attempts that reached it");
  t.add("established", I, "connections", in_iv + "handshakes it completed");
  t.add("rejected", I, "attempts", in_iv + "attempts it refused at once");
  t.add("failed", I, "attempts", in_iv + "attempts at it that failed");
  t.add("closed", I, "connections", in_iv + "its connections that ended");
  t.add("dropped", I, "connections", in_iv + "of closed, cut by its crash");
  t.add("cpu_utilisation", N, "share", "its CPU utilisation over the interval (busy core time / core time)");
  t.add("cpu_backlog_ms", N, "ms", "wait of the last job in its CPU queue");
  t.add("memory_mib", N, "MiB", "its memory");
  t.add("messages_delivered", I, "messages", in_iv + "messages it processed");
  t.add("latency_p50_ms", N, "ms", in_iv + "its median message latency (empty without messages)");
  t.add("latency_p99_ms", N, "ms", in_iv + "its 99th percentile of message latency (empty without messages)");
  t.add("polls", I, "requests", in_iv + "long-polling requests it answered");
  t.add("buffered_kib", N, "KiB", "bytes in its connections' send buffers", When::PubSub);
  t.add("pubsub_delivered", I, "copies", in_iv + "publication copies it delivered", When::PubSub);
  t.add("pubsub_dropped", I, "copies", in_iv + "publication copies it dropped", When::PubSub);
  t.add("present", F, "", "1 while it is part of the fleet (a planned removal is not a crash)");
  for (std::string_view cause : models::RefusalTally::kServerCauseNames) t.refusals(cause);

  t.scope(Scope::Balancer);
  t.add("time_s", N, "s", "sample time");
  t.add("balancer", I, "", "the balancer's number");
  t.add("up", F, "", "1 while the balancer runs");
  t.add("source_ports_in_use", I, "ports", "source ports in use towards its busiest backend");
  t.add("source_ports_limit", N, "ports", "source ports per backend (balancer.source_ports x source_addresses; empty: no limit)");
  for (std::string_view cause : models::RefusalTally::kBalancerCauseNames) t.refusals(cause);

  t.scope(Scope::Site);
  t.add("time_s", N, "s", "sample time", When::Sites);
  t.add("site", I, "", "the site's number: its place in [[topology.sites]] and summary.json's topology.sites", When::Sites);
  t.add("up", I, "servers", "the site's servers running", When::Sites);
  t.add("ready", I, "servers", "of up, in service: taking new connections (not draining)", When::Sites);
  t.add("draining", I, "servers", "of up, draining: taking no new connections before they leave", When::Sites);
  t.add("connections", I, "connections", "established connections open on the site's servers", When::Sites);
  return rows;
}

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
  }
  return r.fleet.columns();
}

constexpr Scope kScopes[] = {Scope::Fleet, Scope::Server, Scope::Balancer, Scope::Site};

}  // namespace

Features Features::of(const models::RunSummary& s) {
  return {s.pubsub.enabled, !s.deploys.empty(), s.autoscaler.enabled, s.sites.size() > 1};
}

bool Features::has(When when) const {
  switch (when) {
    case When::Always: return true;
    case When::PubSub: return pubsub;
    case When::Deploys: return deploys;
    case When::Autoscaler: return autoscaler;
    case When::Sites: return sites;
  }
  return false;
}

const char* scope_name(Scope scope) {
  switch (scope) {
    case Scope::Fleet: return "fleet";
    case Scope::Server: return "server";
    case Scope::Balancer: return "balancer";
    case Scope::Site: return "site";
  }
  return "fleet";
}

const std::vector<Column>& columns() {
  static const std::vector<Column> table = [] {
    std::vector<Column> rows = build();
    // Each name once per scope, and never a name of the CSV's own (scope) among a scope's columns.
    std::set<std::pair<Scope, std::string>> seen;
    for (const Column& c : rows) {
      if (!seen.emplace(c.scope, c.name).second || c.name == "scope") {
        throw std::logic_error(std::string("timeseries schema: ") + scope_name(c.scope) + " column " + c.name +
                               " declared twice");
      }
    }
    return rows;
  }();
  return table;
}

std::vector<std::string> scope_columns(Scope scope, const Features& features) {
  std::vector<std::string> out;
  for (const Column& c : columns()) {
    if (c.scope == scope && features.has(c.when)) out.push_back(c.name);
  }
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
                                           [&](const Column& c) { return c.scope == s && c.name == name; });
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
                    {"enum", {"fleet", "server", "balancer", "site"}},
                    {"description", "the kind of row: fleet totals, one server, one balancer, one site (site rows: only with "
                                    "two or more [[topology.sites]])"}};
  props["server"] = ordered_json::object();
  for (const Column& c : columns()) {
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
    if (name == "server") doc += "; -1 on fleet, balancer and site rows";
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
      const auto c = std::find_if(columns().begin(), columns().end(),
                                  [&, n = name](const Column& col) { return col.scope == sc && col.name == n; });
      if (c == columns().end()) {
        then["properties"][name] = {{"type", "null"}};
      } else {
        then["properties"][name] = c->type == Type::Flag      ? ordered_json{{"enum", {0, 1}}}
                                   : c->type == Type::Integer ? ordered_json{{"type", "integer"}}
                                                              : ordered_json{{"type", {"number", "null"}}};
        // (a site row exists only with sites: its columns are required on it)
        if (c->when == When::Always || (sc == Scope::Site && c->when == When::Sites)) then["required"].push_back(name);
      }
    }
    per_scope.push_back({{"if", {{"properties", {{"scope", {{"const", scope_name(sc)}}}}}}}, {"then", then}});
  }
  ordered_json j;
  j["$schema"] = "http://json-schema.org/draft-07/schema#";
  j["$id"] = "https://wsfleet.invalid/timeseries.schema.json";
  j["title"] = "wsfleet timeseries.csv";
  j["description"] = "One row of timeseries.csv (and timeseries.parquet) as an object keyed by column: the fleet rows, "
                     "then one per server, one per balancer and one per site at each sample time; a cell of a column "
                     "its row's scope does not write is empty (null). Declared in experiments/timeseries_schema.cpp.";
  j["type"] = "object";
  j["properties"] = props;
  j["required"] = {"time_s", "scope", "server"};
  j["additionalProperties"] = false;
  j["allOf"] = per_scope;
  return j.dump(2) + "\n";
}

}  // namespace wsfleet::experiments::timeseries
