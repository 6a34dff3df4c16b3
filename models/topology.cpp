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

std::vector<std::uint32_t> site_server_counts(const std::vector<TopologySite>& sites, std::uint32_t total_servers) {
  std::vector<std::uint32_t> counts;
  if (sites.empty()) return counts;
  const bool shares = sites.front().share > 0.0;
  for (const auto& s : sites) {
    if ((s.share > 0.0) != shares) {
      throw std::invalid_argument("topology: give every site either servers or a share, not a mix (site " + s.name +
                                  " differs from site " + sites.front().name + ")");
    }
  }
  if (!shares) {
    std::uint64_t sum = 0;
    for (const auto& s : sites) {
      if (s.servers == 0) throw std::invalid_argument("topology: site " + s.name + " holds no servers");
      counts.push_back(s.servers);
      sum += s.servers;
    }
    if (sum != total_servers) {
      throw std::invalid_argument("topology: the sites hold " + std::to_string(sum) + " servers but the fleet has " +
                                  std::to_string(total_servers) +
                                  " (fleet.servers plus [[scaling]] adds); give each site a share instead of servers "
                                  "to let the sites follow fleet.servers");
    }
    return counts;
  }
  // Largest remainder (Hamilton): every site gets the whole part of its quota, then the servers
  // left over go one each to the largest fractional parts (ties: the earlier site).
  double total_share = 0.0;
  for (const auto& s : sites) {
    if (!(s.share > 0.0 && s.share <= 1.0)) {
      throw std::invalid_argument("topology: site " + s.name + " needs a share in (0, 1]");
    }
    total_share += s.share;
  }
  if (std::abs(total_share - 1.0) > 1e-9) {
    throw std::invalid_argument("topology: the sites' shares add up to " + format_number(total_share) +
                                ", not 1");
  }
  std::vector<double> remainder;
  std::uint64_t given = 0;
  for (const auto& s : sites) {
    const double quota = s.share / total_share * static_cast<double>(total_servers);
    const auto whole = static_cast<std::uint32_t>(std::floor(quota));
    counts.push_back(whole);
    remainder.push_back(quota - whole);
    given += whole;
  }
  std::vector<std::size_t> order(sites.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
  for (std::size_t k = 0; given < total_servers; ++k, ++given) ++counts[order[k % order.size()]];
  for (std::size_t i = 0; i < sites.size(); ++i) {
    if (counts[i] == 0) {
      throw std::invalid_argument("topology: site " + sites[i].name + " gets no server of " +
                                  std::to_string(total_servers) + " with share " + format_number(sites[i].share) +
                                  ": every site needs at least one; raise fleet.servers or its share");
    }
  }
  return counts;
}

Topology::Topology(const TopologySection& section, std::uint32_t total_servers, const std::vector<std::uint32_t>& extra) {
  if (!extra.empty() && extra.size() != section.sites.size()) {
    throw std::invalid_argument("topology: extra server slots need one count per site");
  }
  extra_ = extra;
  std::uint32_t extra_total = 0;
  for (std::uint32_t k : extra) extra_total += k;
  if (extra_total > total_servers) throw std::invalid_argument("topology: more extra slots than servers");
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

  const std::vector<std::uint32_t> counts = site_server_counts(section.sites, total_servers - extra_total);
  std::uint32_t next = 0;
  first_.push_back(0);
  for (std::size_t i = 0; i < section.sites.size(); ++i) {
    const auto& s = section.sites[i];
    site_names_.push_back(s.name);
    const std::uint32_t n = counts[i] + (extra.empty() ? 0u : extra[i]);
    next += n;
    first_.push_back(next);
    site_of_.insert(site_of_.end(), n, static_cast<std::uint32_t>(i));
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
