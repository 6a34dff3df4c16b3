// [topology], [[topology.links]], [[topology.sites]], [[topology.regions]].
#include "experiments/schema/schema.hpp"
#include "models/fleet_config.hpp"

namespace wsfleet::experiments::schema {

namespace {

Section topology() {
  return {"topology", false,
          "Regions, points of presence and sites as a graph with link latencies; clients go to the nearest site with a "
          "server up. Left out: one site holding every server.",
          {table_array("links", "network links between named places"),
           table_array("sites", "data centres holding servers and their own balancer tier (at least one)"),
           table_array("regions", "where the clients are (at least one; shares add up to 1)")},
          false, ""};
}

Section links() {
  using L = models::TopologyLink;
  Key ends = manual("between", KeyType::Special, "the two different places it joins, e.g. [\"eu\", \"eu-west\"]");
  ends.required = true;
  ends.json = R"({"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 2, "maxItems": 2})";
  return {"topology.links", true, "A network link between two named places.",
          {ends, required(by_hand(number("latency_ms", &L::latency_ms, between(0.0, 1e6), "one-way latency of the link")))},
          false, ""};
}

Section sites() {
  using S = models::TopologySite;
  Key name = required(by_hand(text("name", &S::name, "the place (a node of the links) the site is at; unique")));
  Key servers = by_hand(integer("servers", &S::servers, 1, 100000, "how many of the fleet's servers it holds (or share)"));
  servers.default_text.clear();
  Key share = by_hand(number("share", &S::share, above_upto(0.0, 1.0), "its share of the fleet's servers (or servers)"));
  share.default_text.clear();
  return {"topology.sites", true, "A data centre holding the next servers (in index order) and its own balancer tier.",
          {name, servers, share}, false, ""};
}

Section regions() {
  using R = models::TopologyRegion;
  return {"topology.regions", true, "Where a share of the clients are.",
          {required(by_hand(text("name", &R::name, "the place (a node of the links) the clients are at; unique"))),
           required(by_hand(number("share", &R::share, above_upto(0.0, 1.0), "fraction of the clients")))},
          false, ""};
}

}  // namespace

std::vector<Section> topology_sections() { return {topology(), links(), sites(), regions()}; }

}  // namespace wsfleet::experiments::schema
