#include "models/topology.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>

#include "models/policy_params.hpp"
#include "sim/random.hpp"

namespace wsfleet::models {

namespace {

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, boost::no_property,
                                    boost::property<boost::edge_weight_t, double>>;

}  // namespace

Topology::Topology(const TopologySection& section, std::uint32_t total_servers) {
  if (!section.enabled()) {
    site_names_ = {"all"};
    region_names_ = {"all"};
    first_ = {0, total_servers};
    site_of_.assign(total_servers, 0);
    latency_ = {0.0};
    order_ = {{0}};
    cumulative_share_ = {1.0};
    return;
  }
  // Every place named anywhere is a vertex.
  std::map<std::string, std::size_t> vertex;
  auto vertex_of = [&](const std::string& name) {
    auto [it, added] = vertex.emplace(name, vertex.size());
    return it->second;
  };
  for (const auto& l : section.links) {
    vertex_of(l.a);
    vertex_of(l.b);
  }
  for (const auto& s : section.sites) vertex_of(s.name);
  if (section.regions.empty()) throw std::invalid_argument("topology: give at least one [[topology.regions]] entry");
  for (const auto& r : section.regions) vertex_of(r.name);

  Graph graph(vertex.size());
  for (const auto& l : section.links) {
    if (!(l.latency_ms >= 0.0) || !std::isfinite(l.latency_ms)) {
      throw std::invalid_argument("topology: link " + l.a + " - " + l.b + " needs a latency_ms >= 0");
    }
    boost::add_edge(vertex.at(l.a), vertex.at(l.b), l.latency_ms, graph);
  }

  std::uint32_t next = 0;
  first_.push_back(0);
  for (const auto& s : section.sites) {
    if (s.servers == 0) throw std::invalid_argument("topology: site " + s.name + " holds no servers");
    site_names_.push_back(s.name);
    next += s.servers;
    first_.push_back(next);
    site_of_.insert(site_of_.end(), s.servers, static_cast<std::uint32_t>(site_names_.size() - 1));
  }
  if (next != total_servers) {
    throw std::invalid_argument("topology: the sites hold " + std::to_string(next) + " servers but the fleet has " +
                                std::to_string(total_servers) + " (fleet.servers plus [[scaling]] adds)");
  }

  double total_share = 0.0;
  for (const auto& r : section.regions) {
    region_names_.push_back(r.name);
    total_share += r.share;
    cumulative_share_.push_back(total_share);
    std::vector<double> dist(boost::num_vertices(graph), std::numeric_limits<double>::infinity());
    boost::dijkstra_shortest_paths(graph, vertex.at(r.name), boost::distance_map(dist.data()));
    std::vector<std::uint32_t> order;
    for (std::size_t s = 0; s < site_names_.size(); ++s) {
      const double d = dist[vertex.at(site_names_[s])];
      latency_.push_back(d);
      // Boost's Dijkstra leaves unreachable vertices at the largest double.
      if (d < std::numeric_limits<double>::max()) {
        order.push_back(static_cast<std::uint32_t>(s));
      } else {
        latency_.back() = std::numeric_limits<double>::infinity();
      }
    }
    if (order.empty()) throw std::invalid_argument("topology: region " + r.name + " has no path to any site");
    const std::size_t row = (region_names_.size() - 1) * site_names_.size();
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t x, std::uint32_t y) { return latency_[row + x] < latency_[row + y]; });
    order_.push_back(std::move(order));
  }
  if (std::abs(total_share - 1.0) > 1e-9) {
    throw std::invalid_argument("topology: the regions' shares add up to " + format_number(total_share) + ", not 1");
  }
  cumulative_share_.back() = 1.0;
}

std::uint32_t Topology::region_of(std::uint64_t client) const {
  if (cumulative_share_.size() == 1) return 0;
  const double u = static_cast<double>(sim::mix64(client ^ 0x7E610ull) >> 11) * 0x1.0p-53;
  const auto it = std::upper_bound(cumulative_share_.begin(), cumulative_share_.end(), u);
  return static_cast<std::uint32_t>(std::min<std::size_t>(it - cumulative_share_.begin(), cumulative_share_.size() - 1));
}

}  // namespace wsfleet::models
