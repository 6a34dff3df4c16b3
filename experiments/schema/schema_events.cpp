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
  Key server = by_hand(integer("server", &F::server, 0, kIntMax, "type = \"crash\": the 0-based server index (< servers ever in the fleet)"));
  Key balancer = by_hand(integer("balancer", &F::balancer, 0, kIntMax,
                                 "type = \"balancer_crash\": the 0-based balancer index (< balancer.count x sites)"));
  Key site = by_hand(text("site", &F::site, "type = \"site_crash\": the name of a [[topology.sites]] entry"));
  site.default_text.clear();
  Key share = by_hand(number("share", &F::share, above_upto(0.0, 1.0),
                             "type = \"websocket_block\" (required): the share of the clients whose WebSocket breaks"));
  share.default_text.clear();
  Key at = required(by_hand(number("at_s", &F::at_s, between(0.0, kMaxDurationS), "when it happens (<= run.duration_s)")));
  at.required = false;
  at.default_text = "0.0";
  Key recover = manual("recover_after_s", KeyType::Float, "it comes back this long after; left out = never");
  recover.range = above(0.0);  // longer than the run = not within it
  recover.default_note = "never";
  return {"faults", true,
          "A crash of a server, a balancer or a whole site, a broker outage, or an incident that breaks WebSocket for a "
          "share of the clients (they fall back to long polling).",
          {type, server, balancer, site, share, at, recover},
          false, ""};
}

Section scaling() {
  using E = models::ScalingEvent;
  Key at = required(by_hand(number("at_s", &E::at_s, between(0.0, kMaxDurationS), "when the fleet changes (<= run.duration_s)")));
  Key klass = manual("class", KeyType::String, "the [[fleet.classes]] name of the added servers");
  klass.default_note = "the last class";
  return {"scaling", true, "Servers that join (slow start applies) or are drained and removed during the run.",
          {at,
           integer("add", &E::add, 0, 100000, "new servers that join"),
           integer("remove", &E::remove, 0, 100000, "running servers drained and removed, the highest-numbered first"),
           number("drain_timeout_s", &E::drain_timeout_s, at_least(0.0), "a draining server closes what is left after this"),
           default_is(by_hand(number("weight", &E::weight, above_upto(0.0, kMaxWeight), "balancer weight of the added servers")),
                      "1.0, or the class's weight"),
           klass},
          false, ""};
}

}  // namespace

std::vector<Section> events_sections() { return {faults(), scaling()}; }

}  // namespace wsfleet::experiments::schema
