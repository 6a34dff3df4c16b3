#include "experiments/scenario_writer.hpp"

#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <typeinfo>

#include "experiments/distribution_keys.hpp"
#include "experiments/schema/schema.hpp"
#include "experiments/toml_text.hpp"
#include "models/autoscaling_policy.hpp"
#include "models/backoff_policy.hpp"
#include "models/policy_params.hpp"
#include "models/balancing_policy.hpp"
#include "models/faults/fault_type.hpp"
#include "models/pubsub/buffer_presets.hpp"

namespace wsfleet::experiments {

namespace {

// TOML integers are signed 64-bit.
std::string toml_integer(std::uint64_t value, const char* key) {
  if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    throw std::invalid_argument(std::string("scenario_to_toml: ") + key + " = " + std::to_string(value) +
                                " does not fit a TOML integer (at most 9223372036854775807)");
  }
  return std::to_string(value);
}

bool is_bare_key(const std::string& key) {
  if (key.empty()) return false;
  for (const char c : key) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// A policy section: `policy` and then every parameter, written as an integer when the registry
// says it is one (and it is whole), else as a float.
void write_policy(std::ostringstream& out, const std::string& section, const std::string& policy,
                  const models::Params& params, const std::vector<models::PolicyInfo>& registry) {
  out << "\n[" << section << "]\n";
  out << "policy = " << toml_string(policy) << "\n";
  const models::PolicyInfo* info = models::find_policy(registry, policy);
  for (const auto& [name, value] : params) {
    bool integer = false;
    if (info != nullptr) {
      for (const models::ParamSpec& spec : info->params) {
        if (spec.name == name) integer = spec.integer;
      }
    }
    out << (is_bare_key(name) ? name : toml_string(name)) << " = ";
    if (integer && value == static_cast<double>(static_cast<std::int64_t>(value)) && value > -9e15 && value < 9e15) {
      out << static_cast<std::int64_t>(value);
    } else {
      out << toml_float(value);
    }
    out << "\n";
  }
}

// The keys of section `path` that `target` holds (bound to a member of S), one per line; keys read
// by hand too unless `bound_only`. Values only: the documentation is docs/scenario_reference.md, and
// reports show this file.
template <class S>
void write_keys(std::ostringstream& out, const std::string& path, const S& target, bool bound_only = false) {
  for (const schema::Key& k : schema::section(path).keys) {
    if (!k.toml_value || k.owner == nullptr || *k.owner != typeid(S) || (bound_only && !k.bound())) continue;
    const std::string value = k.toml_value(&target);
    if (value.empty()) continue;  // an optional key left out (schema::optional_number)
    out << k.name << " = " << value << "\n";
  }
}

// A table [path] with the keys `target` holds.
template <class S>
void write_table(std::ostringstream& out, const std::string& path, const S& target) {
  out << "\n[" << path << "]\n";
  write_keys(out, path, target);
}

// The balancer's own keys, after its policy's parameters in the same [balancer] table.
void write_balancer(std::ostringstream& out, const models::BalancerSection& b) {
  write_keys(out, "balancer", b);
  write_table(out, "balancer.health_check", b.health_check);
  write_table(out, "balancer.passive", b.passive);
  write_table(out, "balancer.slow_start", b.slow_start);
}

std::string session_text(const sim::Distribution& session) {
  const DistributionKeys& keys = distribution_keys(session.kind());
  if (session.kind() == sim::Distribution::Kind::Never) return "\"never\"";
  const std::vector<double> values = session.parameters();
  std::string out = "{ distribution = " + toml_string(keys.name);
  for (std::size_t i = 0; i < keys.keys.size() && i < values.size(); ++i) {
    out += ", " + keys.keys[i] + " = " + toml_float(values[i]);
  }
  return out + " }";
}

void write_pubsub(std::ostringstream& out, const models::PubSubSection& p) {
  if (!p.enabled()) return;
  write_table(out, "pubsub", p);
  write_table(out, "pubsub.feed", p.feed);
  write_table(out, "pubsub.buffer", p.buffer);
  write_table(out, "pubsub.broker", p.broker);
  write_table(out, "pubsub.resume", p.resume);
  if (p.history.enabled()) write_table(out, "pubsub.history", p.history);
  for (const models::LinkClass& l : p.links) {
    out << "\n[[pubsub.links]]\n";
    write_keys(out, "pubsub.links", l);
  }
}

}  // namespace

std::string scenario_to_toml(const models::FleetConfig& config) {
  std::ostringstream out;
  out << "# wsfleet scenario: the effective configuration of a run, every key with the value used\n"
         "# (defaults filled in). Load it again to repeat the run exactly.\n";

  write_table(out, "scenario", config);
  // TOML integers are signed 64-bit: the loader never makes larger ones, but code may.
  toml_integer(config.run.seed, "run.seed");
  toml_integer(config.run.replication, "run.replication");
  write_table(out, "run", config.run);

  const models::FleetSection& fleet = config.fleet;
  out << "\n[fleet]\n";
  if (fleet.classes.empty()) {
    out << "servers = " << fleet.servers << "\n";
    out << "weights = [";
    for (std::size_t i = 0; i < fleet.weights.size(); ++i) out << (i > 0 ? ", " : "") << toml_float(fleet.weights[i]);
    out << "]" << (fleet.weights.empty() ? "  # empty: every server has weight 1" : "") << "\n";
  } else {
    out << "# servers = " << fleet.servers << ": the sum of the [[fleet.classes]] below\n";
  }
  write_keys(out, "fleet", fleet, true);
  write_table(out, "fleet.cpu", fleet.cpu);
  write_table(out, "fleet.admission", fleet.admission);
  write_table(out, "fleet.rebalance", fleet.rebalance);
  for (const models::ServerClass& c : fleet.classes) {
    out << "\n[[fleet.classes]]\n";
    write_keys(out, "fleet.classes", c);
  }

  const models::ClientsSection& clients = config.clients;
  toml_integer(clients.count, "clients.count");
  write_table(out, "clients", clients);
  out << "session = " << session_text(clients.session_s) << "\n";

  write_policy(out, "balancer", config.balancer.policy, config.balancer.params, models::balancing_policies());
  write_balancer(out, config.balancer);
  write_policy(out, "backoff", config.backoff.policy, config.backoff.params, models::backoff_policies());

  for (const models::ScalingEvent& e : config.scaling) {
    out << "\n[[scaling]]\n";
    if (e.is_scheduled_action()) {
      // Under [autoscaler]: a scheduled action (its bounds only).
      out << "at_s = " << toml_float(e.at_s) << "\n";
      if (e.min_replicas) out << "min_replicas = " << toml_float(*e.min_replicas) << "\n";
      if (e.max_replicas) out << "max_replicas = " << toml_float(*e.max_replicas) << "\n";
      if (!e.site.empty()) out << "site = " << toml_string(e.site) << "\n";
      continue;
    }
    write_keys(out, "scaling", e);
    if (!e.server_class.empty()) out << "class = " << toml_string(e.server_class) << "\n";
  }

  for (const models::DeployEvent& e : config.deploys) {
    out << "\n[[deploys]]\n";
    write_keys(out, "deploys", e);
    auto count = [&](const char* key, double value, bool percent) {
      out << key << " = " << (percent ? "\"" + models::format_number(value) + "%\"" : std::to_string(static_cast<std::uint64_t>(value))) << "\n";
    };
    count("max_surge", e.max_surge, e.max_surge_percent);
    count("max_unavailable", e.max_unavailable, e.max_unavailable_percent);
    count("canary", e.canary, e.canary_percent);
    if (e.per_site) out << "per_site = " << (*e.per_site ? "true" : "false") << "\n";
  }
  if (const models::AutoscalerSection& a = config.autoscaler; a.enabled()) {
    write_policy(out, "autoscaler", a.policy, a.params, models::autoscaling_policies());
    write_keys(out, "autoscaler", a);
    if (!a.server_class.empty()) out << "class = " << toml_string(a.server_class) << "\n";
    out << "provisioning = " << session_text(a.provisioning_s) << "\n";
    for (const models::AutoscalerSite& site : a.sites) {
      out << "\n[[autoscaler.sites]]\n";
      write_keys(out, "autoscaler.sites", site);
    }
  }

  const models::HeartbeatSection& hb = config.heartbeat;
  out << "\n[heartbeat]  # the ping interval is clients.heartbeat_interval_s\n";
  if (!hb.preset.empty()) out << "preset = " << toml_string(hb.preset) << "\n";
  write_keys(out, "heartbeat", hb);

  const models::TopologySection& topo = config.topology;
  for (const models::TopologyLink& l : topo.links) {
    out << "\n[[topology.links]]\n";
    out << "between = [" << toml_string(l.a) << ", " << toml_string(l.b) << "]\n";
    out << "latency_ms = " << toml_float(l.latency_ms) << "\n";
  }
  for (const models::TopologySite& site : topo.sites) {
    out << "\n[[topology.sites]]\n";
    out << "name = " << toml_string(site.name) << "\n";
    if (site.share > 0.0) {
      out << "share = " << toml_float(site.share) << "  # of the servers\n";
    } else {
      out << "servers = " << site.servers << "\n";
    }
  }
  for (const models::TopologyRegion& region : topo.regions) {
    out << "\n[[topology.regions]]\n";
    write_keys(out, "topology.regions", region);
  }

  write_pubsub(out, config.pubsub);
  write_table(out, "transport", config.transport);
  write_table(out, "transport.long_polling", config.transport.long_polling);
  write_table(out, "transport.sse", config.transport.sse);
  if (!config.alerts.rules.empty()) write_table(out, "alerts", config.alerts);

  if (config.faults.empty()) out << "\n# No [[faults]]: every server stays up.\n";
  for (const models::CrashFault& fault : config.faults) {
    out << "\n[[faults]]\n";
    const models::FaultType& kind = models::fault_type(fault.target);
    out << "type = " << toml_string(std::string(kind.name())) << "\n";
    const std::string_view key = kind.target_key();
    if (key == "server") out << "server = " << fault.server << "\n";
    if (key == "balancer") out << "balancer = " << fault.balancer << "\n";
    if (key == "site") out << "site = " << toml_string(fault.site) << "\n";
    if (key == "share") out << "share = " << toml_float(fault.share) << "\n";
    if (fault.target == models::FaultTarget::SlowServer) out << "factor = " << toml_float(fault.factor) << "\n";
    if (fault.target == models::FaultTarget::HealthFlap) out << "period_s = " << toml_float(fault.period_s) << "\n";
    if (fault.target == models::FaultTarget::LinkDegrade) out << "latency_ms = " << toml_float(fault.latency_ms) << "\n";
    if (fault.target == models::FaultTarget::DroppedMessages || fault.target == models::FaultTarget::LinkLoss) {
      out << "loss = " << toml_float(fault.loss) << "\n";
    }
    if (fault.target == models::FaultTarget::LinkDown && !fault.region.empty()) out << "region = " << toml_string(fault.region) << "\n";
    out << "at_s = " << toml_float(fault.at_s) << "\n";
    if (fault.recover_after_s) {
      out << "recover_after_s = " << toml_float(*fault.recover_after_s) << "\n";
    } else {
      out << (fault.target == models::FaultTarget::WebSocketBlock ? "# no recover_after_s: WebSocket stays blocked\n"
              : fault.target == models::FaultTarget::Server || fault.target == models::FaultTarget::Site ||
                        fault.target == models::FaultTarget::Balancer || fault.target == models::FaultTarget::Broker
                  ? "# no recover_after_s: the server stays down\n"
                  : "# no recover_after_s: it lasts to the end of the run\n");
    }
  }
  return out.str();
}

}  // namespace wsfleet::experiments
