// [fleet], [fleet.cpu], [fleet.admission], [fleet.rebalance] and [[fleet.classes]].
#include "experiments/schema/limits.hpp"
#include "experiments/schema/schema.hpp"
#include "models/fleet_config.hpp"

namespace wsfleet::experiments::schema {

namespace {

constexpr std::int64_t kMaxServers = 100000;
constexpr std::int64_t kMaxConnections = 1000000000;
constexpr std::int64_t kMaxCores = 1024;

Section fleet() {
  using F = models::FleetSection;
  Key weights = manual("weights", KeyType::FloatArray,
                       "per-server balancer weight, one per server (not with [[fleet.classes]]); 0 only with an ipvs_* "
                       "policy: IPVS weight 0 (kube-proxy's graceful termination), no new connections", "[]");
  weights.range = between(0.0, kMaxWeight);
  weights.default_note = "[] = every server has weight 1";
  return {"fleet", false, "The servers: identical, or of several [[fleet.classes]].",
          {by_hand(integer("servers", &F::servers, 1, kMaxServers, "number of servers (not with [[fleet.classes]]: their sum)")),
           integer("max_connections", &F::max_connections, 1, kMaxConnections, "hard limit per server; attempts beyond it are rejected"),
           integer("cpu_cores", &F::cpu_cores, 1, kMaxCores, "cores per server; the CPU queue is served by this many cores"),
           number("memory_per_connection_kib", &F::memory_per_connection_kib, between(0.0, kMaxMemoryKib), "resident memory per open connection"),
           number("base_memory_mib", &F::base_memory_mib, between(0.0, kMaxMemoryMib), "memory of an idle server process"),
           weights,
           number("cost_per_hour", &F::cost_per_hour, between(0.0, 1e12), "price of one server per hour (any currency; for plans and reports)"),
           table_array("classes", "kinds of server (machine sizes); their keys default to [fleet]'s"),
           number("idle_close_s", &F::idle_close_s, at_least(0.0),
                  "servers close connections without a data message (either way) for this long; pings do not count; 0 = never"),
           table("cpu", "CPU cost of each operation"),
           table("admission", "what a server refuses at the door (load shedding)"),
           table("rebalance", "servers above their share close connections so that clients move"),
           number("memory_limit_mib", &F::memory_limit_mib, between(0.0, kMaxMemoryMib),
                  "a server above this memory is killed (out of memory); 0 = no limit; must be above base_memory_mib"),
           number("restart_s", &F::restart_s, between(0.0, kMaxDurationS), "a server killed for memory is back this long after")},
          false, ""};
}

Section cpu() {
  using C = models::CpuCosts;
  const Range cost = between(0.0, kMaxCpuCostUs);
  return {"fleet.cpu", false, "CPU cost of each operation on a server, in microseconds of one core.",
          {number("handshake_us", &C::handshake_us, cost, "WebSocket upgrade (HTTP + TLS resumption + auth)"),
           number("inbound_message_us", &C::inbound_message_us, cost, "parse and handle one client message"),
           number("outbound_message_us", &C::outbound_message_us, cost, "serialise and write one message to a client"),
           number("heartbeat_us", &C::heartbeat_us, cost, "handle one ping and send its pong"),
           choice("service_time", &C::service_time, {"deterministic", "exponential"},
                  "each job takes exactly its cost, or an exponential time with the cost as mean")},
          false, ""};
}

Section admission() {
  using A = models::AdmissionSection;
  return {"fleet.admission", false, "What a server refuses at the door to protect itself (load shedding).",
          {number("max_handshakes_per_s", &A::max_handshakes_per_s, between(0.0, kMaxRatePerS),
                  "per server, beyond it new connections are refused; 0 = unlimited"),
           number("reject_above_backlog_ms", &A::reject_above_backlog_ms, between(0.0, 1e9),
                  "refuse new connections while the CPU queue is longer than this; 0 = never"),
           number("reject_us", &A::reject_us, between(0.0, kMaxCpuCostUs), "CPU time to refuse one connection"),
           number("retry_after_s", &A::retry_after_s, between(0.0, kMaxDurationS),
                  "the refusal's Retry-After hint: clients that honour it (clients.honour_retry_after) wait at least this "
                  "long; 0 = none")},
          false, ""};
}

Section rebalance() {
  using R = models::RebalanceSection;
  return {"fleet.rebalance", false, "Servers above their share close connections (the idle ones first) so that clients move.",
          {number("interval_s", &R::interval_s, zero_or_between(kMinTimerS, kMaxDurationS),
                  "how often servers compare themselves with the fleet; 0 = off"),
           number("tolerance", &R::tolerance, between(0.0, 100.0), "a server sheds what it holds above mean x (1 + tolerance)"),
           integer("max_per_interval", &R::max_per_interval, 1, kMaxConnections, "connections one server closes per interval at most")},
          false, ""};
}

Section classes() {
  using S = models::ServerClass;
  Key name = required(text("name", &S::name, "unique; names the class in keys such as fleet.classes.NAME.servers"));
  name.manual = true;
  Key servers = required(integer("servers", &S::servers, 1, kMaxServers, "servers of this class at the start"));
  servers.manual = true;
  const std::string from_fleet = "[fleet]'s";
  return {"fleet.classes", true, "A kind of server (a machine size); the keys left out take [fleet]'s value.",
          {name, servers,
           default_is(integer("max_connections", &S::max_connections, 1, kMaxConnections, "hard limit per server"), from_fleet),
           default_is(integer("cpu_cores", &S::cpu_cores, 1, kMaxCores, "cores per server"), from_fleet),
           default_is(number("base_memory_mib", &S::base_memory_mib, between(0.0, kMaxMemoryMib), "memory of an idle server process"), from_fleet),
           default_is(number("memory_per_connection_kib", &S::memory_per_connection_kib, between(0.0, kMaxMemoryKib),
                             "resident memory per open connection"), from_fleet),
           number("weight", &S::weight, above_upto(0.0, kMaxWeight), "balancer weight of each server"),
           default_is(number("cost_per_hour", &S::cost_per_hour, between(0.0, 1e12), "price of one server per hour"), from_fleet),
           default_is(number("memory_limit_mib", &S::memory_limit_mib, between(0.0, kMaxMemoryMib),
                             "a server above this memory is killed; 0 = no limit"), from_fleet)},
          false, ""};
}

}  // namespace

std::vector<Section> fleet_sections() { return {fleet(), classes(), cpu(), admission(), rebalance()}; }

}  // namespace wsfleet::experiments::schema
