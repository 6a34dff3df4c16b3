// deploys[]: what each [[deploys]] rollout did, and per site when it rolled one Deployment per site.
#include "experiments/summary/summary_rows.hpp"

namespace wsfleet::experiments::summary {

void deploy_rows(std::vector<Field>& table) {
  using R = models::RunSummary;
  using D = models::DeployOutcome;
  auto t = summary_rows(table);
  auto d = t.array("deploys", &R::deploys, "one per [[deploys]] entry ([[deploys]] only)", "what one rollout did",
                   [](const R& s) { return !s.deploys.empty(); });
  d.text("deploys[].strategy", &D::strategy, "\"rolling\", \"blue_green\" or \"canary\"");
  d.number("deploys[].at_s", &D::at_s, "s", "when it was due");
  d.number("deploys[].started_s", &D::started_s, "s", "when it started (null: never)");
  d.number("deploys[].duration_s", &D::duration_s, "s", "from its start until the rollout was complete (null: not by the end)");
  d.number("deploys[].finished_s", &D::finished_s, "s", "from its start until the last old server was gone (null: not by the end)");
  d.number("deploys[].all_reconnected_s", &D::all_reconnected_s, "s", "from its start until the last client it disconnected was back (null: not by the end)");
  d.integer("deploys[].replicas", &D::replicas, "servers", "servers it replaced");
  d.integer("deploys[].max_surge", &D::max_surge, "servers", "resolved maxSurge (a percent rounds up)");
  d.integer("deploys[].max_unavailable", &D::max_unavailable, "servers", "resolved maxUnavailable (a percent rounds down)");
  d.integer("deploys[].servers_started", &D::servers_started, "servers", "new servers it started");
  d.integer("deploys[].servers_terminated", &D::servers_terminated, "servers", "old servers it terminated");
  d.integer("deploys[].peak_servers", &D::peak_servers, "servers", "most servers at once (old, new and terminating)");
  d.integer("deploys[].min_available", &D::min_available, "servers", "fewest available servers at once while it ran");
  d.integer("deploys[].connections_closed", &D::connections_closed, "connections", "established connections its terminating servers closed");
  d.integer("deploys[].closed_at_sigterm", &D::closed_at_sigterm, "connections", "of those, closed at once at SIGTERM");
  d.integer("deploys[].closed_spread", &D::closed_spread, "connections", "of those, closed one by one over the grace period");
  d.integer("deploys[].closed_at_kill", &D::closed_at_kill, "connections", "of those, cut by SIGKILL at the end of the grace period");
  d.integer("deploys[].handshakes_cut", &D::handshakes_cut, "attempts", "handshakes in progress on a server when it closed");
  d.integer("deploys[].reconnected", &D::reconnected, "connections", "closed connections whose client connected again");
  d.integer("deploys[].gave_up", &D::gave_up, "connections", "closed connections whose client gave up");
  d.integer("deploys[].not_reconnected_at_end", &D::not_reconnected_at_end, "connections", "closed connections whose client was still away at the end");
  d.integer("deploys[].peak_disconnected", &D::peak_disconnected, "clients", "most of its clients away at once");
  d.number("deploys[].peak_retries_per_s", &D::peak_retries_per_s, "attempts/s", "highest fleet-wide reconnection attempts in one second");
  d.latency("deploys[].reconnect_s", &D::reconnect_s, "s", "from a close to the client connected again (0.1 s resolution)");
  d.flag("deploys[].per_site", &D::per_site,
         "one Deployment per topology site, each rolled with its own rounding, all at once (deploys[].per_site); then "
         "replicas, max_surge and max_unavailable are the sites' sums");
  using S = models::DeploySiteOutcome;
  auto s = d.array("deploys[].sites", &D::sites, "per site, its own Deployment (only when per_site)", "one site's Deployment",
                   [](const D& x) { return x.per_site; });
  s.text("deploys[].sites[].site", &S::site, "the site's name");
  s.integer("deploys[].sites[].replicas", &S::replicas, "servers", "the site's servers it replaced");
  s.integer("deploys[].sites[].max_surge", &S::max_surge, "servers", "maxSurge resolved from the site's replicas (a percent rounds up)");
  s.integer("deploys[].sites[].max_unavailable", &S::max_unavailable, "servers", "maxUnavailable resolved from the site's replicas (a percent rounds down)");
}

}  // namespace wsfleet::experiments::summary
