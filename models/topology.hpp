#pragma once
// The network the fleet lives in: named places (client regions, points of presence, data-centre
// sites) joined by links with one-way latencies, held as a Boost.Graph graph. Shortest paths give
// each region's distance to every site and the order in which a geo-aware DNS or anycast front
// door tries them.
#include <cstdint>
#include <string>
#include <stdexcept>
#include <vector>

#include "models/fleet_config.hpp"

namespace wsfleet::models {

/// How many servers each site holds, in site order, for a fleet of `total_servers` (fleet.servers
/// plus [[scaling]] adds): the sites' `servers`, which must add up to it, or, when the sites give
/// shares (adding up to 1), the largest-remainder apportionment of it (deterministic; ties go to the
/// earlier site). Throws std::invalid_argument when a site would hold no server or the counts or
/// shares do not add up.
std::vector<std::uint32_t> site_server_counts(const std::vector<TopologySite>& sites, std::uint32_t total_servers);

/// A validated topology. Without a [topology] section: one site with every server, one region at
/// distance 0.
class Topology {
 public:
  /// Builds the graph and the shortest paths. Throws std::invalid_argument naming the problem
  /// (unknown node, region that reaches no site, server counts that do not add up). `extra`, when
  /// given (one entry per site), adds that many server slots at the end of each site's range (an
  /// autoscaler's per site): the sites' counts then share total_servers minus their sum.
  Topology(const TopologySection& section, std::uint32_t total_servers, const std::vector<std::uint32_t>& extra = {});

  std::size_t sites() const { return site_names_.size(); }
  std::size_t regions() const { return region_names_.size(); }
  const std::string& site_name(std::size_t s) const { return site_names_.at(s); }
  const std::string& region_name(std::size_t r) const { return region_names_.at(r); }
  /// The first server of site s; its servers are [first_server(s), first_server(s + 1)).
  std::uint32_t first_server(std::size_t s) const { return first_.at(s); }
  std::uint32_t site_servers(std::size_t s) const { return first_.at(s + 1) - first_.at(s); }
  /// The end of site s's own servers: [first_server(s), own_end(s)) before its extra slots.
  std::uint32_t own_end(std::size_t s) const { return first_.at(s + 1) - (extra_.empty() ? 0u : extra_.at(s)); }
  /// The site holding server b.
  std::uint32_t site_of(std::uint32_t server) const { return site_of_.at(server); }
  /// The index in the run of the scenario's server `k` (its servers numbered site by site, without
  /// the extra slots): k itself without extra slots; else the k-th own server, in its site's range.
  std::uint32_t scenario_server(std::uint32_t k) const {
    if (extra_.empty()) return k;
    for (std::size_t s = 0; s + 1 < first_.size(); ++s) {
      const std::uint32_t own = own_end(s) - first_[s];
      if (k < own) return first_[s] + k;
      k -= own;
    }
    throw std::invalid_argument("topology: server number past the scenario's servers");
  }
  /// One-way latency from region r to site s over the shortest path, ms.
  double latency_ms(std::size_t region, std::size_t site) const { return latency_.at(region * sites() + site); }
  /// Sites in order of distance from region r (ties: configuration order).
  const std::vector<std::uint32_t>& nearest_sites(std::size_t region) const { return order_.at(region); }
  /// The region of client `index` (its share decides; the same client is always in the same region).
  std::uint32_t region_of(std::uint64_t client) const;

 private:
  std::vector<std::string> site_names_, region_names_;
  std::vector<std::uint32_t> first_;     ///< sites + 1 entries
  std::vector<std::uint32_t> site_of_;   ///< per server
  std::vector<std::uint32_t> extra_;     ///< per site: slots after its own servers (empty: none)
  std::vector<double> latency_;          ///< regions x sites
  std::vector<std::vector<std::uint32_t>> order_;
  std::vector<double> cumulative_share_;
};

}  // namespace wsfleet::models
