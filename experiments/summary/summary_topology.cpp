// topology: the sites and the client regions of a [topology].
#include "experiments/summary/summary_rows.hpp"

namespace wsfleet::experiments::summary {

void topology_rows(std::vector<Field>& table) {
  using R = models::RunSummary;
  auto t = summary_rows(table);
  t.object("topology", "sites and client regions ([topology] only)", [](const R& s) { return !s.sites.empty(); });
  using S = models::SiteOutcome;
  auto site = t.array("topology.sites", &R::sites, "one per site", "one site at the end of the run");
  site.text("topology.sites[].name", &S::name, "its name");
  site.integer("topology.sites[].servers", &S::servers, "servers", "servers it holds (including ones added later)");
  site.integer("topology.sites[].active_at_end", &S::active_at_end, "connections", "connections open on its servers at the end");
  using G = models::RegionOutcome;
  auto region = t.array("topology.regions", &R::regions, "one per client region", "one client region");
  region.text("topology.regions[].name", &G::name, "its name");
  region.integer("topology.regions[].clients", &G::clients, "clients", "clients placed there");
  region.text("topology.regions[].nearest_site", &G::nearest_site, "where its clients go while that site is up");
  region.number("topology.regions[].latency_ms", &G::latency_ms, "ms", "one-way latency to the nearest site");
}

}  // namespace wsfleet::experiments::summary
