// [[faults]] and [[scaling]]: what happens to the fleet during the run.
#include "experiments/schema/limits.hpp"
#include "experiments/schema/schema.hpp"
#include "models/faults/fault_type.hpp"
#include "models/fleet_config.hpp"

namespace wsfleet::experiments::schema {

namespace {

Section faults() {
  using F = models::CrashFault;
  Key type = manual("type", KeyType::Choice, "the kind of fault");
  for (const models::FaultType* kind : models::fault_types()) type.choices.emplace_back(kind->name());
  type.required = true;
  Key server = by_hand(integer("server", &F::server, 0, kIntMax, "type = \"crash\" (and the other faults of one server): the 0-based server index (< servers "
                                                          "ever in the fleet; with [autoscaler] and sites: of the scenario's own "
                                                          "servers, site by site); after a [[deploys]] rollout replaced it: its "
                                                          "replacement (docs/operations.md)"));
  Key balancer = by_hand(integer("balancer", &F::balancer, 0, kIntMax,
                                 "type = \"balancer_crash\": the 0-based balancer index (< balancer.count x sites)"));
  Key site = by_hand(text("site", &F::site, "type = \"site_crash\": the name of a [[topology.sites]] entry"));
  site.default_text.clear();
  Key share = by_hand(number("share", &F::share, above_upto(0.0, 1.0),
                             "type = \"websocket_block\" (required): the share of the clients whose WebSocket breaks"));
  share.default_text.clear();
  Key factor = by_hand(number("factor", &F::factor, above(1.0),
                              "type = \"slow_server\": the server does 1/factor of its work per second"));
  Key period = by_hand(number("period_s", &F::period_s, between(0.002, kMaxDurationS),
                              "type = \"health_flap\": its health endpoint fails the first half of every period"));
  Key latency = by_hand(number("latency_ms", &F::latency_ms, above_upto(0.0, 1e6),
                               "type = \"link_degrade\": one-way latency added to every region's path to the site"));
  Key loss = by_hand(number("loss", &F::loss, above_upto(0.0, 1.0),
                            "type = \"dropped_messages\": the share of the server's inbound messages and heartbeats it drops; "
                            "type = \"link_loss\": the probability that a packet is lost (< 1; TCP retransmits it)"));
  Key region = by_hand(text("region", &F::region,
                            "type = \"link_down\": the [[topology.regions]] name cut off from the site; left out = every region"));
  region.default_text.clear();
  region.default_note = "every region";
  Key at = required(by_hand(number("at_s", &F::at_s, between(0.0, kMaxDurationS), "when it happens (<= run.duration_s)")));
  at.required = false;
  at.default_text = "0.0";
  Key recover = manual("recover_after_s", KeyType::Float, "it comes back this long after; left out = never");
  recover.range = above(0.0);  // longer than the run = not within it
  recover.default_note = "never";
  return {"faults", true,
          "A crash of a server, a balancer or a whole site, a broker outage, an incident that breaks WebSocket for a "
          "share of the clients (they fall back to long polling), or a gray failure: a slow server, a server that never "
          "completes handshakes, a server whose health flaps, a slower link to a site, a server that drops a share of its "
          "messages, a lossy link, a link from a region to a site that is down (docs/operations.md).",
          {type, server, balancer, site, share, factor, period, latency, loss, region, at, recover},
          false, ""};
}

Section scaling() {
  using E = models::ScalingEvent;
  Key at = required(by_hand(number("at_s", &E::at_s, between(0.0, kMaxDurationS), "when the fleet changes (<= run.duration_s)")));
  Key klass = manual("class", KeyType::String, "the [[fleet.classes]] name of the added servers");
  klass.default_note = "the last class";
  Key site = by_hand(text("site", &E::site, "with [autoscaler] and [[topology.sites]]: the site whose autoscaler the "
                                             "scheduled action bounds"));
  site.default_text.clear();
  site.default_note = "every site";
  site.toml_value = [](const void* t) {
    const std::string& v = static_cast<const E*>(t)->site;
    return v.empty() ? std::string() : toml_string(v);
  };
  return {"scaling", true,
          "Servers that join (slow start applies) or are drained and removed during the run. Under [autoscaler] an entry "
          "is a scheduled action instead: new min_replicas / max_replicas for the autoscaler from at_s on (AWS scheduled "
          "scaling); add and remove are refused there (an HPA overrides a manual scale at its next sync).",
          {at,
           integer("add", &E::add, 0, 100000, "new servers that join"),
           integer("remove", &E::remove, 0, 100000, "running servers drained and removed, the highest-numbered first"),
           number("drain_timeout_s", &E::drain_timeout_s, at_least(0.0), "a draining server closes what is left after this"),
           default_is(by_hand(number("weight", &E::weight, above_upto(0.0, kMaxWeight), "balancer weight of the added servers")),
                      "1.0, or the class's weight"),
           klass,
           by_hand(optional_number("min_replicas", &E::min_replicas, between(0.0, 100000.0),
                                   "under [autoscaler]: its new minimum from at_s on (below it, it scales out to it at once)",
                                   "unchanged")),
           by_hand(optional_number("max_replicas", &E::max_replicas, between(1.0, 100000.0),
                                   "under [autoscaler]: its new maximum from at_s on (above it, it scales in to it at once)",
                                   "unchanged")),
           site},
          false, ""};
}

// An IntOrString count of the Deployment API: an integer, or a percent string such as "25%".
Key count_or_percent(std::string name, std::string doc, std::string default_text) {
  Key k = manual(std::move(name), KeyType::Special, std::move(doc), std::move(default_text));
  k.json = R"({"oneOf": [{"type": "integer", "minimum": 0, "maximum": 100000}, )"
           R"({"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?%$"}]})";
  return k;
}

// deploys[].per_site: true, false or "auto".
Key per_site_key() {
  Key k = manual("per_site", KeyType::Special,
                 "with [[topology.sites]]: true rolls one Deployment per site (each with its own maxSurge/maxUnavailable "
                 "rounding of its own replicas, all sites at once, as one manifest applied to every cluster), false one "
                 "Deployment spread over the sites (fleet-wide rounding); \"auto\": per site, since each site has its own "
                 "autoscaler",
                 "\"auto\"");
  k.json = R"({"oneOf": [{"type": "boolean"}, {"type": "string", "enum": ["auto"]}]})";
  return k;
}

Section deploys() {
  using D = models::DeployEvent;
  Key at = required(by_hand(number("at_s", &D::at_s, between(0.0, kMaxDurationS), "when the rollout starts (<= run.duration_s)")));
  return {"deploys", true,
          "A new version of the servers rolled out during the run, as the Kubernetes Deployment controller does it "
          "(docs/operations.md): new servers start and join when ready; old ones leave the balancers, run their "
          "preStop hook, get SIGTERM and are killed at the end of their grace period; their clients reconnect. With "
          "[[topology.sites]] it needs [autoscaler]: each site's new servers replace its own (docs/autoscaling.md).",
          {at,
           choice("strategy", &D::strategy, {"rolling", "blue_green", "canary"},
                  "rolling (maxSurge/maxUnavailable), blue_green (a whole new set, switched at once when every new server is "
                  "available), canary (rolling, holding at `canary` new servers for canary_hold_s)"),
           count_or_percent("max_surge", "servers started above the replicas: a count or a percent of them (rounded up)", "\"25%\""),
           count_or_percent("max_unavailable",
                            "servers below the replicas that may be unavailable: a count or a percent (rounded down); "
                            "not 0 when max_surge is 0",
                            "\"25%\""),
           number("ready_after_s", &D::ready_after_s, between(0.0, kMaxDurationS), "a new server's boot, image pull and readiness probe"),
           number("ready_jitter_s", &D::ready_jitter_s, between(0.0, kMaxDurationS), "plus a uniform draw in [0, this) per server"),
           number("min_ready_s", &D::min_ready_s, between(0.0, kMaxDurationS), "minReadySeconds: ready this long before it counts as available"),
           number("prestop_s", &D::prestop_s, between(0.0, kMaxDurationS), "the preStop hook's length (e.g. a sleep); capped by grace_s"),
           number("grace_s", &D::grace_s, between(0.0, kMaxDurationS), "terminationGracePeriodSeconds, from the deletion"),
           choice("on_sigterm", &D::on_sigterm, {"close", "spread", "ignore"},
                  "what the server does at SIGTERM: close every connection at once, spread the closes over the rest of the "
                  "grace period, or ignore it (SIGKILL cuts them at the end)"),
           count_or_percent("canary", "strategy = \"canary\": new servers before the hold, a count or a percent (rounded up)", "\"10%\""),
           number("canary_hold_s", &D::canary_hold_s, between(0.0, kMaxDurationS), "strategy = \"canary\": how long the canary runs alone"),
           per_site_key()},
          false, ""};
}

}  // namespace

std::vector<Section> events_sections() { return {faults(), scaling(), deploys()}; }

}  // namespace wsfleet::experiments::schema
