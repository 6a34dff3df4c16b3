// The [autoscaler]: its decisions, the servers it launched and removed, its cost, its scheduled
// actions and its per-site controllers.
#include "experiments/summary/summary_rows.hpp"

namespace wsfleet::experiments::summary {

void autoscaler_rows(std::vector<Field>& table) {
  using R = models::RunSummary;
  using A = models::AutoscalerOutcome;
  auto t = summary_rows(table);
  auto a = t.of(&R::autoscaler);
  t.object("autoscaler", "the autoscaler's decisions, servers and cost ([autoscaler] only)", [](const R& s) { return s.autoscaler.enabled; });
  a.text("autoscaler.policy", &A::policy, "autoscaler.policy");
  a.number("autoscaler.sync_period_s", &A::sync_period_s, "s", "time between its decisions");
  a.object("autoscaler.decisions", "its syncs");
  a.integer("autoscaler.decisions.total", &A::decisions, "decisions", "syncs");
  a.integer("autoscaler.decisions.scale_up", &A::scale_ups, "decisions", "that raised the replica count");
  a.integer("autoscaler.decisions.scale_down", &A::scale_downs, "decisions", "that lowered it");
  a.integer("autoscaler.decisions.no_change", &A::no_changes, "decisions", "that kept it");
  a.integer("autoscaler.decisions.limited", &A::limited, "decisions", "a rate limit, cooldown, disabled direction or min/max changed");
  a.integer("autoscaler.decisions.without_metrics", &A::without_metrics, "decisions", "without a usable metric (kept the count)");
  a.integer_if_set("autoscaler.decisions.held_during_rollouts", &A::held, "syncs", "with [[deploys]]: syncs that held while a rollout replaced the replicas (not decisions)");
  a.object("autoscaler.servers", "the servers it launched and removed");
  a.integer("autoscaler.servers.initial", &A::initial_servers, "servers", "in service at the start");
  a.integer("autoscaler.servers.launched", &A::launched, "servers", "servers it asked for");
  a.integer("autoscaler.servers.became_ready", &A::became_ready, "servers", "of launched, that joined the balancers");
  a.integer("autoscaler.servers.cancelled", &A::cancelled, "servers", "of launched, removed by a scale-in before they were ready");
  a.integer("autoscaler.servers.drains_started", &A::drains_started, "servers", "servers in service it removed (drained)");
  a.integer("autoscaler.servers.drains_done", &A::drains_done, "servers", "of those, gone by the end");
  a.integer("autoscaler.servers.not_launched_no_slot", &A::not_launched_no_slot, "servers", "asked beyond the reserved server slots (2 x max_replicas)");
  a.integer("autoscaler.servers.booting_at_end", &A::booting_at_end, "servers", "booting at the end");
  a.integer("autoscaler.servers.starting_at_end", &A::starting_at_end, "servers", "booted, not yet ready at the end");
  a.integer("autoscaler.servers.in_service_at_end", &A::in_service_at_end, "servers", "in service at the end");
  a.integer("autoscaler.servers.draining_at_end", &A::draining_at_end, "servers", "draining at the end");
  a.integer_if_set("autoscaler.servers.adopted_from_rollouts", &A::adopted, "servers", "with [[deploys]]: rollouts' new servers taken into service");
  a.integer_if_set("autoscaler.servers.released_to_rollouts", &A::released, "servers", "with [[deploys]]: servers in service that rollouts terminated");
  a.object("autoscaler.replicas", "the replica count it asked for");
  a.integer("autoscaler.replicas.at_end", &A::replicas_at_end, "servers", "at the end");
  a.integer("autoscaler.replicas.peak", &A::peak_replicas, "servers", "most after a decision");
  a.integer("autoscaler.replicas.lowest", &A::lowest_replicas, "servers", "fewest after a decision");
  a.integer("autoscaler.connections_closed_by_scale_in", &A::connections_closed_by_scale_in, "connections", "open connections the drained servers closed at their deadline");
  a.number("autoscaler.mean_launch_to_ready_s", &A::mean_launch_to_ready_s, "s", "decision to ready (null when none became ready)");
  a.number("autoscaler.first_scale_up_s", &A::first_scale_up_s, "s", "time of the first scale-up decision (null when none)");
  a.number("autoscaler.server_hours", &A::server_hours, "h", "billed servers (booting to removed) x hours");
  a.number("autoscaler.cost", &A::cost, "currency", "sum of their cost_per_hour x hours");
  a.object("autoscaler.scheduled_actions", "with [[scaling]]: the scheduled actions (new bounds) it applied",
           [](const A& x) { return x.scheduled_actions.has_value(); });
  a.integer("autoscaler.scheduled_actions.applied", [](const A& x) { return *x.scheduled_actions; }, "actions", "bound changes applied (one per controller an entry bounds)");
  a.integer("autoscaler.scheduled_actions.launched", [](const A& x) { return x.scheduled_launched.value_or(0); }, "servers", "of servers.launched, by a raised minimum");
  a.integer("autoscaler.scheduled_actions.removed", [](const A& x) { return x.scheduled_drains.value_or(0); }, "servers", "of servers.drains_started and cancelled, by a lowered maximum");

  using S = models::AutoscalerSiteOutcome;
  auto site = a.array("autoscaler.sites", &A::sites, "with [[topology.sites]]: one controller per site, in site order", "one site's controller",
                      [](const A& x) { return !x.sites.empty(); });
  site.text("autoscaler.sites[].site", &S::site, "its site");
  site.integer("autoscaler.sites[].min_replicas", &S::min_replicas, "servers", "its minimum at the end");
  site.integer("autoscaler.sites[].max_replicas", &S::max_replicas, "servers", "its maximum at the end");
  site.integer("autoscaler.sites[].decisions", &S::decisions, "decisions", "its syncs");
  site.integer("autoscaler.sites[].scale_up", &S::scale_ups, "decisions", "that raised its replica count");
  site.integer("autoscaler.sites[].scale_down", &S::scale_downs, "decisions", "that lowered it");
  site.integer("autoscaler.sites[].no_change", &S::no_changes, "decisions", "that kept it");
  site.integer("autoscaler.sites[].launched", &S::launched, "servers", "servers it asked for");
  site.integer("autoscaler.sites[].drains_started", &S::drains_started, "servers", "servers in service it removed");
  site.integer("autoscaler.sites[].replicas_at_end", &S::replicas_at_end, "servers", "booting, starting and in service at the end");
  site.integer("autoscaler.sites[].in_service_at_end", &S::in_service_at_end, "servers", "in service at the end");
  site.integer("autoscaler.sites[].peak_replicas", &S::peak_replicas, "servers", "most after a decision");
  site.integer("autoscaler.sites[].lowest_replicas", &S::lowest_replicas, "servers", "fewest after a decision");
}

}  // namespace wsfleet::experiments::summary
