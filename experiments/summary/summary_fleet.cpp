// The servers (fleet, its classes and each slot's class) and the client population.
#include "experiments/summary/summary_rows.hpp"

namespace wsfleet::experiments::summary {

namespace {

using R = models::RunSummary;

/// A server class with its servers at the start and its slots that ever existed.
struct ClassFigures {
  models::ServerClass c;
  std::uint64_t servers = 0;
  std::uint64_t total_servers = 0;
};

std::vector<ClassFigures> classes_of(const R& s) {
  std::vector<ClassFigures> out;
  for (const models::ServerClass& c : s.classes) out.push_back({c, 0, 0});
  for (std::size_t b = 0; b < s.server_class.size(); ++b) {
    ++out[s.server_class[b]].total_servers;
    if (b < s.servers) ++out[s.server_class[b]].servers;
  }
  return out;
}

double cost_per_hour(const R& s) {
  double cost = 0.0;
  for (const ClassFigures& k : classes_of(s)) cost += static_cast<double>(k.servers) * k.c.cost_per_hour;
  return cost;
}

std::uint64_t connection_capacity(const R& s) {
  std::uint64_t n = 0;
  for (const ClassFigures& k : classes_of(s)) n += k.servers * k.c.max_connections;
  return n;
}

std::uint64_t cpu_cores(const R& s) {
  std::uint64_t n = 0;
  for (const ClassFigures& k : classes_of(s)) n += k.servers * k.c.cpu_cores;
  return n;
}

std::vector<std::string> class_names(const R& s) {
  std::vector<std::string> names;
  for (const std::uint32_t k : s.server_class) names.push_back(s.classes.at(k).name);
  return names;
}

}  // namespace

void fleet_rows(std::vector<Field>& table) {
  auto t = summary_rows(table);
  t.object("fleet", "the servers");
  t.integer("fleet.servers", &R::servers, "servers", "servers at the start");
  t.integer("fleet.total_servers", &R::total_servers, "servers", "server slots that ever existed ([[scaling]] additions, deploys' and the autoscaler's slots)");
  t.integer("fleet.max_connections_per_server", &R::max_connections_per_server, "connections", "the largest of the classes' connection limits");
  t.text("fleet.balancer", &R::balancer, "balancer.policy");
  t.text("fleet.backoff", &R::backoff, "backoff.policy");
  t.number("fleet.cost_per_hour", cost_per_hour, "currency/h", "cost of the servers at the start per hour");
  t.integer("fleet.connection_capacity", connection_capacity, "connections", "the servers at the start x their class's connection limit");
  t.integer("fleet.cpu_cores", cpu_cores, "cores", "cores of the servers at the start");
  auto k = t.array("fleet.classes", classes_of, "the server classes (one \"default\" class without [[fleet.classes]])", "one server class");
  using C = models::ServerClass;
  auto c = k.of(&ClassFigures::c);
  c.text("fleet.classes[].name", &C::name, "the class's name");
  k.integer("fleet.classes[].servers", &ClassFigures::servers, "servers", "its servers at the start");
  k.integer("fleet.classes[].total_servers", &ClassFigures::total_servers, "servers", "its server slots that ever existed");
  c.integer("fleet.classes[].max_connections", &C::max_connections, "connections", "connection limit of one server");
  c.integer("fleet.classes[].cpu_cores", &C::cpu_cores, "cores", "cores of one server");
  c.number("fleet.classes[].base_memory_mib", &C::base_memory_mib, "MiB", "memory of an idle server process");
  c.number("fleet.classes[].memory_per_connection_kib", &C::memory_per_connection_kib, "KiB", "resident memory per open connection");
  c.number("fleet.classes[].weight", &C::weight, "", "balancer weight of each server");
  c.number("fleet.classes[].cost_per_hour", &C::cost_per_hour, "currency/h", "price of one server per hour");
  c.number("fleet.classes[].memory_limit_mib", &C::memory_limit_mib, "MiB", "a server above this memory is killed; 0 = no limit");
  // A core does a microsecond of [fleet.cpu] work per microsecond: the class's CPU capacity in the
  // costs' unit, per server.
  c.number("fleet.classes[].cpu_capacity_us_per_s", [](const C& x) { return 1e6 * x.cpu_cores; }, "us/s",
           "CPU work one server does per second at full load, in [fleet.cpu]'s microseconds (cores x 1e6)");
  k.integer("fleet.classes[].connection_capacity", [](const ClassFigures& x) { return x.servers * x.c.max_connections; },
            "connections", "its servers at the start x max_connections");
  t.texts("fleet.server_class", class_names, "per server slot (index = server number): its class's name", "a class's name");

  t.object("clients", "the client population");
  t.integer("clients.count", &R::clients, "clients", "clients.count");
}

}  // namespace wsfleet::experiments::summary
