#include "experiments/scenario_writer.hpp"

#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "experiments/distribution_keys.hpp"
#include "experiments/toml_text.hpp"
#include "models/backoff_policy.hpp"
#include "models/balancing_policy.hpp"
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

// The balancer's own keys, after its policy's parameters in the same [balancer] table.
void write_balancer(std::ostringstream& out, const models::BalancerSection& b) {
  out << "count = " << b.count << "\n";
  out << "tries = " << b.tries << "  # backends tried per connection, 0 = all\n";
  out << "max_connections_per_backend = " << b.max_connections_per_backend << "  # 0 = unlimited\n";
  out << "max_new_connections_per_s = " << toml_float(b.max_new_connections_per_s) << "  # 0 = unlimited\n";
  out << "source_ports = " << b.source_ports << "  # per (balancer address, backend), 0 = unlimited\n";
  out << "source_addresses = " << b.source_addresses << "\n";
  out << "metrics_interval_s = " << toml_float(b.metrics_interval_s) << "\n";
  out << "sticky = "
      << (b.sticky == models::Stickiness::None ? "\"none\"" : b.sticky == models::Stickiness::Cookie ? "\"cookie\"" : "\"source_ip\"")
      << "\n";
  out << "failover_s = " << toml_float(b.failover_s) << "\n";
  out << "idle_timeout_s = " << toml_float(b.idle_timeout_s) << "  # 0 = never\n";
  const models::HealthCheckSection& hc = b.health_check;
  out << "\n[balancer.health_check]\n";
  out << "mode = "
      << (hc.mode == models::HealthCheckMode::Active ? "\"active\"" : hc.mode == models::HealthCheckMode::Instant ? "\"instant\"" : "\"none\"")
      << "\n";
  out << "interval_s = " << toml_float(hc.interval_s) << "\n";
  out << "timeout_s = " << toml_float(hc.timeout_s) << "\n";
  out << "fall = " << hc.fall << "\n";
  out << "rise = " << hc.rise << "\n";
  out << "\n[balancer.passive]\n";
  out << "max_fails = " << b.passive.max_fails << "  # 0 = off\n";
  out << "fail_timeout_s = " << toml_float(b.passive.fail_timeout_s) << "\n";
  const models::SlowStartSection& ss = b.slow_start;
  out << "\n[balancer.slow_start]\n";
  out << "window_s = " << toml_float(ss.window_s) << "  # 0 = off\n";
  out << "curve = " << (ss.curve == models::SlowStartCurve::Linear ? "\"linear\"" : "\"power\"") << "\n";
  out << "aggression = " << toml_float(ss.aggression) << "\n";
  out << "min_weight_percent = " << toml_float(ss.min_weight_percent) << "\n";
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
  out << "\n[pubsub]\n";
  out << "channels = " << p.channels << "\n";
  out << "zipf_s = " << toml_float(p.zipf_s) << "\n";
  out << "subscriptions = " << p.subscriptions << "\n";
  out << "message_bytes = " << toml_float(p.message_bytes) << "\n";
  out << "fanout_us = " << toml_float(p.fanout_us) << "\n";
  out << "client_publish_share = " << toml_float(p.client_publish_share) << "\n";
  out << "\n[pubsub.feed]\n";
  out << "channels = " << p.feed.channels << "\n";
  out << "rate_per_s = " << toml_float(p.feed.rate_per_s) << "\n";
  out << "process = " << (p.feed.process == models::FeedProcess::Poisson ? "\"poisson\"" : "\"periodic\"") << "\n";
  out << "\n[pubsub.buffer]\n";
  out << "policy = " << toml_string(models::buffer_policy_name(p.buffer.policy)) << "\n";
  out << "limit_kib = " << toml_float(p.buffer.limit_kib) << "\n";
  out << "close_on_limit = " << (p.buffer.close_on_limit ? "true" : "false") << "\n";
  out << "delta_ratio = " << toml_float(p.buffer.delta_ratio) << "\n";
  out << "\n[pubsub.broker]\n";
  out << "mode = " << (p.broker.mode == models::BrokerMode::Sharded ? "\"sharded\"" : "\"broadcast\"") << "\n";
  out << "capacity_per_s = " << toml_float(p.broker.capacity_per_s) << "\n";
  out << "latency_ms = " << toml_float(p.broker.latency_ms) << "\n";
  out << "\n[pubsub.resume]\n";
  out << "window_s = " << toml_float(p.resume.window_s) << "  # 0 = no resume\n";
  out << "cache_messages = " << p.resume.cache_messages << "  # 0 = all within the window\n";
  if (p.history.enabled()) {
    out << "\n[pubsub.history]\n";
    out << "size = " << p.history.size << "\n";
    out << "ttl_s = " << toml_float(p.history.ttl_s) << "\n";
    out << "fetch_ms = " << toml_float(p.history.fetch_ms) << "\n";
    out << "fetch = " << (p.history.fetch == models::HistoryFetch::Position ? "\"position\"" : "\"rewind\"") << "\n";
    out << "rewind = " << p.history.rewind << "\n";
  }
  for (const models::LinkClass& l : p.links) {
    out << "\n[[pubsub.links]]\n";
    out << "name = " << toml_string(l.name) << "\n";
    out << "share = " << toml_float(l.share) << "\n";
    out << "drain_kib_per_s = " << toml_float(l.drain_kib_per_s) << "  # 0 = reads at once\n";
  }
}

}  // namespace

std::string scenario_to_toml(const models::FleetConfig& config) {
  std::ostringstream out;
  out << "# wsfleet scenario: the effective configuration of a run, every key with the value used\n"
         "# (defaults filled in). Load it again to repeat the run exactly.\n";

  out << "\n[scenario]\n";
  out << "name = " << toml_string(config.name) << "\n";
  out << "description = " << toml_string(config.description) << "\n";

  const models::RunConfig& run = config.run;
  out << "\n[run]\n";
  out << "duration_s = " << toml_float(run.duration_s) << "\n";
  out << "sample_interval_s = " << toml_float(run.sample_interval_s) << "\n";
  out << "seed = " << toml_integer(run.seed, "run.seed") << "\n";
  out << "replication = " << toml_integer(run.replication, "run.replication") << "\n";

  const models::FleetSection& fleet = config.fleet;
  out << "\n[fleet]\n";
  if (fleet.classes.empty()) {
    out << "servers = " << fleet.servers << "\n";
  } else {
    out << "# servers = " << fleet.servers << ": the sum of the [[fleet.classes]] below\n";
  }
  out << "max_connections = " << fleet.max_connections << "\n";
  out << "cpu_cores = " << fleet.cpu_cores << "\n";
  out << "memory_per_connection_kib = " << toml_float(fleet.memory_per_connection_kib) << "\n";
  out << "base_memory_mib = " << toml_float(fleet.base_memory_mib) << "\n";
  if (fleet.classes.empty()) {
    out << "weights = [";
    for (std::size_t i = 0; i < fleet.weights.size(); ++i) out << (i > 0 ? ", " : "") << toml_float(fleet.weights[i]);
    out << "]" << (fleet.weights.empty() ? "  # empty: every server has weight 1" : "") << "\n";
  }
  out << "cost_per_hour = " << toml_float(fleet.cost_per_hour) << "  # per server\n";
  out << "idle_close_s = " << toml_float(fleet.idle_close_s) << "  # 0 = never\n";
  out << "memory_limit_mib = " << toml_float(fleet.memory_limit_mib) << "  # 0 = no limit\n";
  out << "restart_s = " << toml_float(fleet.restart_s) << "\n";

  out << "\n[fleet.cpu]\n";
  out << "handshake_us = " << toml_float(fleet.cpu.handshake_us) << "\n";
  out << "inbound_message_us = " << toml_float(fleet.cpu.inbound_message_us) << "\n";
  out << "outbound_message_us = " << toml_float(fleet.cpu.outbound_message_us) << "\n";
  out << "heartbeat_us = " << toml_float(fleet.cpu.heartbeat_us) << "\n";
  out << "service_time = "
      << (fleet.cpu.service_time == models::ServiceTime::Deterministic ? "\"deterministic\"" : "\"exponential\"")
      << "\n";

  out << "\n[fleet.admission]\n";
  out << "max_handshakes_per_s = " << toml_float(fleet.admission.max_handshakes_per_s) << "  # 0 = unlimited\n";
  out << "reject_above_backlog_ms = " << toml_float(fleet.admission.reject_above_backlog_ms) << "  # 0 = never\n";
  out << "reject_us = " << toml_float(fleet.admission.reject_us) << "\n";
  out << "retry_after_s = " << toml_float(fleet.admission.retry_after_s) << "\n";
  out << "\n[fleet.rebalance]\n";
  out << "interval_s = " << toml_float(fleet.rebalance.interval_s) << "  # 0 = off\n";
  out << "tolerance = " << toml_float(fleet.rebalance.tolerance) << "\n";
  out << "max_per_interval = " << fleet.rebalance.max_per_interval << "\n";
  for (const models::ServerClass& c : fleet.classes) {
    out << "\n[[fleet.classes]]\n";
    out << "name = " << toml_string(c.name) << "\n";
    out << "servers = " << c.servers << "\n";
    out << "max_connections = " << c.max_connections << "\n";
    out << "cpu_cores = " << c.cpu_cores << "\n";
    out << "base_memory_mib = " << toml_float(c.base_memory_mib) << "\n";
    out << "memory_per_connection_kib = " << toml_float(c.memory_per_connection_kib) << "\n";
    out << "weight = " << toml_float(c.weight) << "\n";
    out << "cost_per_hour = " << toml_float(c.cost_per_hour) << "\n";
    out << "memory_limit_mib = " << toml_float(c.memory_limit_mib) << "  # 0 = no limit\n";
  }

  const models::ClientsSection& clients = config.clients;
  out << "\n[clients]\n";
  out << "count = " << toml_integer(clients.count, "clients.count") << "\n";
  out << "ramp_s = " << toml_float(clients.ramp_s) << "\n";
  out << "session = " << session_text(clients.session_s) << "\n";
  out << "on_session_end = " << (clients.on_session_end == models::SessionEnd::Leave ? "\"leave\"" : "\"reconnect\"")
      << "\n";
  out << "messages_per_minute = " << toml_float(clients.messages_per_minute) << "\n";
  out << "replies_per_message = " << toml_float(clients.replies_per_message) << "\n";
  out << "message_bytes = " << toml_float(clients.message_bytes) << "\n";
  out << "heartbeat_interval_s = " << toml_float(clients.heartbeat_interval_s) << "\n";
  out << "connect_timeout_s = " << toml_float(clients.connect_timeout_s) << "\n";
  out << "vanish_share = " << toml_float(clients.vanish_share) << "\n";

  write_policy(out, "balancer", config.balancer.policy, config.balancer.params, models::balancing_policies());
  write_balancer(out, config.balancer);
  write_policy(out, "backoff", config.backoff.policy, config.backoff.params, models::backoff_policies());

  for (const models::ScalingEvent& e : config.scaling) {
    out << "\n[[scaling]]\n";
    out << "at_s = " << toml_float(e.at_s) << "\n";
    out << "add = " << e.add << "\n";
    out << "remove = " << e.remove << "\n";
    out << "drain_timeout_s = " << toml_float(e.drain_timeout_s) << "\n";
    out << "weight = " << toml_float(e.weight) << "\n";
    if (!e.server_class.empty()) out << "class = " << toml_string(e.server_class) << "\n";
  }

  const models::HeartbeatSection& hb = config.heartbeat;
  out << "\n[heartbeat]  # the ping interval is clients.heartbeat_interval_s\n";
  if (!hb.preset.empty()) out << "preset = " << toml_string(hb.preset) << "\n";
  out << "sender = " << (hb.sender == models::HeartbeatSender::Client ? "\"client\"" : "\"server\"") << "\n";
  out << "mode = " << (hb.mode == models::HeartbeatMode::Periodic ? "\"periodic\"" : "\"when_idle\"") << "\n";
  out << "timeout_s = " << toml_float(hb.timeout_s) << "\n";
  out << "peer_timeout_s = " << toml_float(hb.peer_timeout_s) << "  # 0 = the receiver never times out\n";
  out << "frame_bytes = " << toml_float(hb.frame_bytes) << "\n";

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
    out << "name = " << toml_string(region.name) << "\n";
    out << "share = " << toml_float(region.share) << "\n";
  }

  write_pubsub(out, config.pubsub);
  const models::TransportSection& tr = config.transport;
  out << "\n[transport]  # clients that cannot use WebSocket (docs/transports.md)\n";
  out << "long_polling_share = " << toml_float(tr.long_polling_share) << "\n";
  out << "sse_share = " << toml_float(tr.sse_share) << "\n";
  out << "\n[transport.long_polling]\n";
  out << "poll_timeout_s = " << toml_float(tr.long_polling.poll_timeout_s) << "\n";
  out << "request_us = " << toml_float(tr.long_polling.request_us) << "\n";
  out << "memory_per_request_kib = " << toml_float(tr.long_polling.memory_per_request_kib) << "\n";
  out << "request_bytes = " << toml_float(tr.long_polling.request_bytes) << "\n";
  out << "pong_posts = " << (tr.long_polling.pong_posts ? "true" : "false") << "\n";
  out << "\n[transport.sse]\n";
  out << "request_us = " << toml_float(tr.sse.request_us) << "\n";
  out << "request_bytes = " << toml_float(tr.sse.request_bytes) << "\n";

  if (config.faults.empty()) out << "\n# No [[faults]]: every server stays up.\n";
  for (const models::CrashFault& fault : config.faults) {
    out << "\n[[faults]]\n";
    if (fault.target == models::FaultTarget::Server) {
      out << "type = \"crash\"\n";
      out << "server = " << fault.server << "\n";
    } else if (fault.target == models::FaultTarget::Broker) {
      out << "type = \"broker_outage\"\n";
    } else if (fault.target == models::FaultTarget::Site) {
      out << "type = \"site_crash\"\n";
      out << "site = " << toml_string(fault.site) << "\n";
    } else if (fault.target == models::FaultTarget::WebSocketBlock) {
      out << "type = \"websocket_block\"\n";
      out << "share = " << toml_float(fault.share) << "\n";
    } else {
      out << "type = \"balancer_crash\"\n";
      out << "balancer = " << fault.balancer << "\n";
    }
    out << "at_s = " << toml_float(fault.at_s) << "\n";
    if (fault.recover_after_s) {
      out << "recover_after_s = " << toml_float(*fault.recover_after_s) << "\n";
    } else {
      out << (fault.target == models::FaultTarget::WebSocketBlock ? "# no recover_after_s: WebSocket stays blocked\n"
                                                                    : "# no recover_after_s: the server stays down\n");
    }
  }
  return out.str();
}

}  // namespace wsfleet::experiments
