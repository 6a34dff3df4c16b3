// faults[]: what each [[faults]] entry did, then each out-of-memory kill. A kind's own figures
// are written for that kind only.
#include <stdexcept>

#include "experiments/summary/summary_rows.hpp"
#include "models/faults/fault_type.hpp"

namespace wsfleet::experiments::summary {

namespace {

using F = models::FaultOutcome;

/// The fault's kind (wsfleet list), or "out_of_memory" for the run's own kills.
std::string type_of(const F& f) {
  const models::FaultType* kind = models::fault_type_of_outcome(f.target);
  return kind ? std::string(kind->name()) : "out_of_memory";
}

/// The key that names what the fault hit: its kind's target key (the target itself when the kind
/// has none: "broker"); "server" for an out-of-memory kill.
std::string target_key_of(const F& f) {
  const models::FaultType* kind = models::fault_type_of_outcome(f.target);
  const std::string key = kind ? (kind->target_key().empty() ? f.target : std::string(kind->target_key())) : "server";
  if (key != "server" && key != "balancer" && key != "site" && key != "share" && key != "broker") {
    throw std::logic_error("summary.json: fault kind " + type_of(f) + " names its target by " + key +
                           ", which experiments/summary/summary_faults.cpp does not declare");
  }
  return key;
}

/// Written for the faults whose target key is `key`.
std::function<bool(const F&)> hits(std::string key) {
  return [key = std::move(key)](const F& f) { return target_key_of(f) == key; };
}

/// Written for the faults of the given targets.
std::function<bool(const F&)> of_kind(std::vector<std::string> targets) {
  return [targets = std::move(targets)](const F& f) {
    for (const std::string& t : targets) {
      if (f.target == t) return true;
    }
    return false;
  };
}

}  // namespace

void fault_rows(std::vector<Field>& table) {
  using R = models::RunSummary;
  auto t = summary_rows(table);
  auto f = t.array("faults", &R::faults, "one per [[faults]] entry, then one per out-of-memory kill", "what one fault did");
  f.text("faults[].type", type_of, "its kind (wsfleet list), or \"out_of_memory\"");
  f.integer("faults[].server", &F::server, "", "the server it hit (kinds that hit a server; out-of-memory kills)", hits("server"));
  f.integer("faults[].balancer", &F::server, "", "the balancer it hit (balancer_crash)", hits("balancer"));
  f.text("faults[].site", &F::site, "the site it hit (site kinds)", hits("site"));
  f.number("faults[].share", &F::share, "share", "the share of the clients it targets (websocket_block)", hits("share"));
  f.integer("faults[].broker", &F::server, "", "the broker (broker_outage)", hits("broker"));
  f.number("faults[].at_s", &F::at_s, "s", "when it started");
  f.number("faults[].recover_after_s", &F::recover_after_s, "s", "how long it lasted (null: until the end)");
  f.integer("faults[].connections_dropped", &F::connections_dropped, "connections", "established connections cut");
  f.integer("faults[].handshakes_failed", &F::handshakes_failed, "attempts", "handshakes in progress that were lost");
  f.number("faults[].reconnected_within_s", &F::reconnected_within_s, "s", "from the start until every dropped client was connected again (null: not by the end)");
  f.number("faults[].detected_within_s", &F::detected_within_s, "s", "server crash: until every running balancer stopped sending it new connections");
  f.integer("faults[].tries_while_undetected", &F::tries_while_undetected, "attempts", "server crash: tries balancers sent to it while it was down");
  f.integer("faults[].clients_blocked", &F::clients_blocked, "clients", "clients whose WebSocket it breaks (websocket_block)", hits("share"));
  const auto gray = of_kind({"dropped_messages", "link_loss", "link_down"});
  const auto loss = of_kind({"link_loss"});
  const auto down = of_kind({"link_down"});
  f.integer("faults[].messages_lost", &F::messages_lost, "messages", "inbound messages it lost (dropped_messages, link_loss, link_down)", gray);
  f.integer("faults[].heartbeats_lost", &F::heartbeats_lost, "exchanges", "heartbeat exchanges it lost or delayed past heartbeat.timeout_s (dropped_messages, link_loss, link_down)", gray);
  f.integer("faults[].heartbeat_timeouts", &F::heartbeat_timeouts, "connections", "of heartbeats_lost, connections the heartbeat timeout then closed (= connections_dropped)", gray);
  f.integer("faults[].retransmissions", &F::retransmissions, "packets", "TCP retransmissions of handshake packets and frames (link_loss)", loss);
  f.integer("faults[].handshakes_delayed", &F::handshakes_delayed, "attempts", "handshakes that needed a retransmission (link_loss)", loss);
  f.integer("faults[].attempts_blocked", &F::attempts_blocked, "attempts", "attempts whose SYN the link swallowed: the balancer took nothing (link_down)", down);
  f.integer("faults[].syn_retransmissions", &F::syn_retransmissions, "packets", "their SYN retransmissions (1, 2, 4, ... s apart) (link_down)", down);
  f.integer("faults[].syn_timeouts", &F::syn_timeouts, "attempts", "of attempts_blocked, ended by the connect timeout (link_down)", down);
  f.integer("faults[].attempts_through_after_link_back", &F::attempts_through_after_link_back, "attempts", "of attempts_blocked, a retransmitted SYN got through once the link was back (link_down)", down);
  f.integer("faults[].messages_delayed", &F::messages_delayed, "messages", "messages that needed a retransmission (link_loss)", loss);
  f.number("faults[].message_delay_s", &F::message_delay_s, "s", "their retransmission delays summed: in their latency (link_loss)", loss);
}

}  // namespace wsfleet::experiments::summary
