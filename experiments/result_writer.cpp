#include "experiments/result_writer.hpp"

#include <algorithm>
#include <cmath>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "experiments/atomic_directory.hpp"
#include "experiments/scenario_loader.hpp"
#include "experiments/summary_schema.hpp"
#include "experiments/timeseries_schema.hpp"
#include "experiments/version.hpp"
#include "models/faults/fault_type.hpp"
#include "models/policy_params.hpp"

#include <nlohmann/json.hpp>

namespace wsfleet::experiments {

namespace {
using nlohmann::ordered_json;

ordered_json num(double v) { return std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr); }

ordered_json latency_json(const models::LatencyStats& s) {
  return ordered_json{{"count", s.count}, {"mean", num(s.mean_ms)}, {"p50", num(s.p50_ms)}, {"p90", num(s.p90_ms)},
                      {"p99", num(s.p99_ms)}, {"p999", num(s.p999_ms)}, {"max", num(s.max_ms)}};
}

ordered_json messages_json(const models::MessageCounts& m) {
  return ordered_json{{"sent", m.sent}, {"delivered", m.delivered}, {"dropped", m.dropped},
                      {"in_flight_at_end", m.in_flight_at_end}};
}

ordered_json summary_ordered(const models::RunSummary& s) {
  ordered_json j;
  j["wsfleet_version"] = kVersion;
  j["scenario"] = {{"name", s.scenario_name}, {"description", s.scenario_description}};
  j["seed"] = s.seed;
  j["replication"] = s.replication;
  j["simulated_seconds"] = s.simulated_seconds;
  j["wall_seconds"] = s.wall_seconds;
  j["events_processed"] = s.events_processed;
  j["events_per_second"] = s.wall_seconds > 0 ? static_cast<double>(s.events_processed) / s.wall_seconds : 0.0;
  j["fleet"] = {{"servers", s.servers}, {"total_servers", s.total_servers},
                {"max_connections_per_server", s.max_connections_per_server},
                {"balancer", s.balancer}, {"backoff", s.backoff}};
  ordered_json classes = ordered_json::array();
  std::vector<std::uint64_t> at_start(s.classes.size(), 0), ever(s.classes.size(), 0);
  for (std::size_t b = 0; b < s.server_class.size(); ++b) {
    ++ever[s.server_class[b]];
    if (b < s.servers) ++at_start[s.server_class[b]];
  }
  double cost = 0.0;
  std::uint64_t connection_capacity = 0, cores = 0;
  for (std::size_t k = 0; k < s.classes.size(); ++k) {
    const models::ServerClass& c = s.classes[k];
    cost += static_cast<double>(at_start[k]) * c.cost_per_hour;
    connection_capacity += at_start[k] * c.max_connections;
    cores += at_start[k] * c.cpu_cores;
    // A core does a microsecond of [fleet.cpu] work per microsecond: the class's CPU capacity in
    // the costs' unit, per server.
    classes.push_back({{"name", c.name}, {"servers", at_start[k]}, {"total_servers", ever[k]},
                       {"max_connections", c.max_connections}, {"cpu_cores", c.cpu_cores},
                       {"base_memory_mib", num(c.base_memory_mib)},
                       {"memory_per_connection_kib", num(c.memory_per_connection_kib)}, {"weight", num(c.weight)},
                       {"cost_per_hour", num(c.cost_per_hour)}, {"memory_limit_mib", num(c.memory_limit_mib)},
                       {"cpu_capacity_us_per_s", num(1e6 * c.cpu_cores)},
                       {"connection_capacity", at_start[k] * c.max_connections}});
  }
  j["fleet"]["cost_per_hour"] = num(cost);  // of the servers at the start
  j["fleet"]["connection_capacity"] = connection_capacity;
  j["fleet"]["cpu_cores"] = cores;
  j["fleet"]["classes"] = classes;
  ordered_json server_class = ordered_json::array();
  for (const std::uint32_t k : s.server_class) server_class.push_back(s.classes.at(k).name);
  j["fleet"]["server_class"] = server_class;
  j["clients"] = {{"count", s.clients}};
  const auto& c = s.connections;
  j["connections"] = {{"attempted", c.attempted}, {"established", c.established}, {"rejected", c.rejected},
                      {"failed", c.failed}, {"pending_at_end", c.pending_at_end}, {"closed", c.closed},
                      {"ended", c.ended}, {"dropped", c.dropped}, {"drained", c.drained},
                      {"vanished", c.vanished}, {"idle_cut", c.idle_cut}, {"idle_closed", c.idle_closed},
                      {"rebalanced", c.rebalanced}, {"slow_consumer", c.slow_consumer},
                      {"session_unknown", c.session_unknown}, {"poll_failed", c.poll_failed},
                      {"active_at_end", c.active_at_end}, {"retries", c.retries},
                      {"gave_up", c.gave_up}, {"waiting_at_end", c.waiting_at_end},
                      {"peak", s.peak_connections}, {"peak_per_server", s.peak_server_connections}};
  j["connections"]["rejected_by"] = {{"server_full", c.rejected_server_full}, {"no_backend", c.no_backend},
                                     {"rate_limited", c.rejected_rate_limited}, {"shed", c.rejected_shed}};
  j["connections"]["failed_by"] = {{"timeout", c.failed_timeout}, {"backend_down", c.failed_backend_down},
                                   {"source_ports", c.failed_source_ports}, {"balancer_down", c.failed_balancer_down},
                                   {"crash", c.failed_crash}};
  if (s.session_opening.enabled) {
    // Only with a client library that sends requests before its WebSocket: other runs' summaries stay as they were.
    j["connections"]["failed_by"]["session_unknown"] = c.failed_session_unknown;
  }
  j["messages"] = messages_json(s.messages);
  j["messages"]["latency_ms"] = latency_json(s.message_latency);
  j["heartbeats"] = messages_json(s.heartbeats);
  const auto& hb = s.heartbeat;
  j["heartbeats"]["per_message"] = num(hb.frames_per_message);
  j["heartbeats"]["bytes"] = num(hb.bytes);
  j["heartbeats"]["half_open_detected"] = hb.ghosts_detected;
  j["heartbeats"]["half_open_at_end"] = hb.ghosts_at_end;
  j["heartbeats"]["detection_s"] = {{"count", hb.detection_s.count}, {"mean", num(hb.detection_s.mean_ms)},
                                    {"p50", num(hb.detection_s.p50_ms)}, {"p99", num(hb.detection_s.p99_ms)},
                                    {"max", num(hb.detection_s.max_ms)}};
  const auto& tr = s.transport;
  auto per_transport = [](const models::TransportClients& t) {
    return ordered_json{{"websocket", t.websocket}, {"long_polling", t.long_polling}, {"sse", t.sse}};
  };
  const auto& p = tr.polls;
  j["transport"] = {{"clients_at_end", per_transport(tr.at_end)},
                    {"peak_clients", per_transport(tr.peak)},
                    {"fallback_share_at_end", num(tr.fallback_share_at_end)},
                    {"peak_fallback_share", num(tr.peak_fallback_share)},
                    {"polls", {{"sent", p.sent}, {"answered_with_data", p.answered_with_data}, {"timed_out", p.timed_out},
                               {"failed", p.failed}, {"in_flight_at_end", p.in_flight_at_end},
                               {"failed_by", {{"session_unknown", p.failed_session_unknown},
                                              {"backend_down", p.failed_backend_down},
                                              {"no_backend", p.failed_no_backend},
                                              {"balancer_down", p.failed_balancer_down},
                                              {"session_closed", p.failed_session_closed}}}}},
                    {"posts", {{"sent", tr.posts_sent}, {"failed", tr.posts_failed}}},
                    {"http_bytes", num(tr.http_bytes)}};
  if (s.session_opening.enabled) {
    const auto& o = s.session_opening;
    j["session_opening"] = {{"library", o.library}, {"requests_per_open", o.requests_per_open}, {"opens", o.opens},
                            {"straight_to_websocket", o.straight_to_websocket},
                            {"sequences", {{"completed", o.sequences_completed}, {"failed", o.sequences_failed},
                                           {"timed_out", o.sequences_timed_out}, {"in_flight_at_end", o.sequences_in_flight_at_end}}},
                            {"requests", {{"sent", o.requests_sent}, {"answered", o.requests_answered}, {"failed", o.requests_failed},
                                          {"failed_by", {{"session_unknown", o.failed_session_unknown},
                                                         {"backend_down", o.failed_backend_down},
                                                         {"no_backend", o.failed_no_backend},
                                                         {"balancer_down", o.failed_balancer_down}}}}},
                            {"upgrades", {{"reached_a_server", o.upgrades}, {"session_unknown", o.upgrades_session_unknown}}},
                            {"cpu_seconds", num(o.cpu_seconds)},
                            {"http_bytes", num(o.http_bytes)}};
  }
  if (s.pusher_fallback.enabled) {
    const auto& o = s.pusher_fallback;
    j["pusher_fallback"] = {{"transport", o.transport},
                            {"won_by", {{"websocket", o.won_by_websocket}, {"fallback", o.won_by_fallback}}},
                            {"fallback", {{"started", o.fallback_started}, {"refused", o.fallback_refused},
                                          {"too_slow", o.fallback_too_slow}, {"lost", o.fallback_lost},
                                          {"took_over", o.fallback_took_over},
                                          {"failed_after_takeover", o.fallback_failed_after_takeover},
                                          {"connecting_at_end", o.fallback_connecting_at_end}}},
                            {"losers_closed", {{"websocket", o.losers_closed_websocket}, {"fallback", o.losers_closed_fallback}}},
                            {"cache", {{"tried_websocket", o.cached_websocket}, {"tried_fallback", o.cached_fallback},
                                       {"flushed", o.cache_flushed}}},
                            {"not_raced_held", o.not_raced_held}};
  }
  if (s.signalr_fallback.enabled) {
    const auto& o = s.signalr_fallback;
    j["signalr_fallback"] = {{"transports", o.transports},
                             {"starts", per_transport(o.starts)},
                             {"connections", per_transport(o.connections)},
                             {"fallbacks", o.fallbacks},
                             {"fallbacks_from", {{"websocket", o.fallbacks_from_websocket}, {"sse", o.fallbacks_from_sse}}},
                             {"fallbacks_by", {{"blocked", o.fallbacks_blocked}, {"refused", o.fallbacks_refused},
                                               {"timed_out", o.fallbacks_timed_out}, {"session_unknown", o.fallbacks_session_unknown}}},
                             {"exhausted", o.exhausted},
                             {"starting_at_end", o.starting_at_end}};
  }
  j["handshake_latency_ms"] = latency_json(s.handshake_latency);
  if (s.pubsub.enabled) {
    const auto& o = s.pubsub;
    ordered_json ps;
    ps["publications"] = {{"published", o.published}, {"from_feeds", o.from_feeds}, {"from_clients", o.from_clients},
                          {"publish_failed", o.publish_failed}, {"arrived", o.arrived},
                          {"lost_in_broker", o.lost_in_broker}, {"in_broker_at_end", o.in_broker_at_end}};
    ps["fanouts"] = {{"dispatched", o.fanouts}, {"done", o.fanouts_done}, {"lost", o.fanouts_lost},
                     {"pending_at_end", o.fanouts_pending_at_end}};
    ps["copies"] = {{"created", o.copies}, {"delivered", o.delivered}, {"dropped_full", o.dropped_full},
                    {"dropped_oldest", o.dropped_oldest}, {"dropped_volatile", o.dropped_volatile},
                    {"conflated", o.conflated}, {"discarded", o.discarded}, {"buffered_at_end", o.buffered_at_end},
                    {"bytes_delivered", num(o.bytes_delivered)}};
    ps["latency_ms"] = latency_json(o.latency);
    const auto drops = o.dropped_full + o.dropped_oldest + o.dropped_volatile + o.conflated + o.discarded;
    ps["slow_consumers"] = {{"closed", c.slow_consumer}, {"memory_crashes", o.memory_crashes},
                            {"peak_server_buffered_mib", num(o.peak_server_buffered_mib)},
                            {"dropped", drops}};
    const double attempts = static_cast<double>(o.resume_attempts);
    ps["continuity"] = {{"expected", o.expected}, {"in_order", o.in_order}, {"recovered_resume", o.recovered_resume},
                        {"recovered_history", o.recovered_history}, {"lost", o.lost},
                        {"pending_at_end", o.pending_at_end}, {"duplicated", o.duplicated},
                        {"out_of_order", o.out_of_order},
                        {"exactly_once", o.lost == 0 && o.duplicated == 0}};
    ps["resume"] = {{"attempts", o.resume_attempts}, {"resumed", o.resumed}, {"too_late", o.resume_too_late},
                    {"evicted", o.resume_evicted},
                    {"success_rate", attempts > 0 ? num(static_cast<double>(o.resumed) / attempts) : ordered_json(nullptr)},
                    {"history_fetches", o.history_fetches}};
    if (o.joins.enabled) {
      const auto& jn = o.joins;
      ps["channel_joins"] = {{"attempted", jn.attempted}, {"on_open", jn.on_open}, {"retried", jn.retried},
                             {"succeeded", jn.succeeded}, {"timed_out", jn.timed_out}, {"refused", jn.refused},
                             {"cancelled", jn.cancelled}, {"in_flight_at_end", jn.in_flight_at_end},
                             {"leaves", jn.leaves}, {"joined_at_end", jn.joined_at_end},
                             {"waiting_at_end", jn.waiting_at_end}};
    }
    j["pubsub"] = ps;
  }
  if (s.autoscaler.enabled) {
    const auto& a = s.autoscaler;
    j["autoscaler"] = {
        {"policy", a.policy},
        {"sync_period_s", num(a.sync_period_s)},
        {"decisions", {{"total", a.decisions}, {"scale_up", a.scale_ups}, {"scale_down", a.scale_downs},
                       {"no_change", a.no_changes}, {"limited", a.limited}, {"without_metrics", a.without_metrics}}},
        {"servers", {{"initial", a.initial_servers}, {"launched", a.launched}, {"became_ready", a.became_ready},
                     {"cancelled", a.cancelled}, {"drains_started", a.drains_started}, {"drains_done", a.drains_done},
                     {"not_launched_no_slot", a.not_launched_no_slot}, {"booting_at_end", a.booting_at_end},
                     {"starting_at_end", a.starting_at_end}, {"in_service_at_end", a.in_service_at_end},
                     {"draining_at_end", a.draining_at_end}}},
        {"replicas", {{"at_end", a.replicas_at_end}, {"peak", a.peak_replicas}, {"lowest", a.lowest_replicas}}},
        {"connections_closed_by_scale_in", a.connections_closed_by_scale_in},
        {"mean_launch_to_ready_s", num(a.mean_launch_to_ready_s)},
        {"first_scale_up_s", num(a.first_scale_up_s)},
        {"server_hours", num(a.server_hours)},
        {"cost", num(a.cost)}};
    if (a.held) j["autoscaler"]["decisions"]["held_during_rollouts"] = *a.held;
    if (a.adopted) j["autoscaler"]["servers"]["adopted_from_rollouts"] = *a.adopted;
    if (a.released) j["autoscaler"]["servers"]["released_to_rollouts"] = *a.released;
    if (a.scheduled_actions) {
      j["autoscaler"]["scheduled_actions"] = {{"applied", *a.scheduled_actions},
                                              {"launched", a.scheduled_launched.value_or(0)},
                                              {"removed", a.scheduled_drains.value_or(0)}};
    }
    if (!a.sites.empty()) {
      ordered_json sites = ordered_json::array();
      for (const models::AutoscalerSiteOutcome& o : a.sites) {
        sites.push_back({{"site", o.site}, {"min_replicas", o.min_replicas}, {"max_replicas", o.max_replicas},
                         {"decisions", o.decisions}, {"scale_up", o.scale_ups}, {"scale_down", o.scale_downs},
                         {"no_change", o.no_changes}, {"launched", o.launched}, {"drains_started", o.drains_started},
                         {"replicas_at_end", o.replicas_at_end}, {"in_service_at_end", o.in_service_at_end},
                         {"peak_replicas", o.peak_replicas}, {"lowest_replicas", o.lowest_replicas}});
      }
      j["autoscaler"]["sites"] = sites;
    }
  }
  j["cpu"] = {{"mean_utilisation", num(s.cpu_mean_utilisation)}, {"peak_utilisation", num(s.cpu_peak_utilisation)},
              {"capacity_core_seconds", num(s.cpu_capacity_core_seconds)}};
  j["memory"] = {{"peak_server_mib", num(s.peak_server_memory_mib)}};
  ordered_json faults = ordered_json::array();
  for (const auto& f : s.faults) {
    // The kind's name and the key that names what it hit; an out-of-memory kill is the run's own.
    const models::FaultType* kind = models::fault_type_of_outcome(f.target);
    const std::string type = kind ? std::string(kind->name()) : "out_of_memory";
    const std::string key = kind ? (kind->target_key().empty() ? f.target : std::string(kind->target_key())) : "server";
    faults.push_back({{"type", type},
                      {key, key == "site" ? ordered_json(f.site) : key == "share" ? num(f.share) : ordered_json(f.server)},
                      {"at_s", f.at_s},
                      {"recover_after_s", f.recover_after_s ? num(*f.recover_after_s) : ordered_json(nullptr)},
                      {"connections_dropped", f.connections_dropped},
                      {"handshakes_failed", f.handshakes_failed},
                      {"reconnected_within_s",
                       f.reconnected_within_s ? num(*f.reconnected_within_s) : ordered_json(nullptr)},
                      {"detected_within_s", f.detected_within_s ? num(*f.detected_within_s) : ordered_json(nullptr)},
                      {"tries_while_undetected", f.tries_while_undetected}});
    if (key == "share") faults.back()["clients_blocked"] = f.clients_blocked;
    if (f.target == "dropped_messages" || f.target == "link_loss" || f.target == "link_down") {
      faults.back()["messages_lost"] = f.messages_lost;
      faults.back()["heartbeats_lost"] = f.heartbeats_lost;
      faults.back()["heartbeat_timeouts"] = f.heartbeat_timeouts;
    }
    if (f.target == "link_down") {
      faults.back()["attempts_blocked"] = f.attempts_blocked;
      faults.back()["syn_retransmissions"] = f.syn_retransmissions;
      faults.back()["syn_timeouts"] = f.syn_timeouts;
      faults.back()["attempts_through_after_link_back"] = f.attempts_through_after_link_back;
    }
    if (f.target == "link_loss") {
      faults.back()["retransmissions"] = f.retransmissions;
      faults.back()["handshakes_delayed"] = f.handshakes_delayed;
      faults.back()["messages_delayed"] = f.messages_delayed;
      faults.back()["message_delay_s"] = num(f.message_delay_s);
    }
  }
  j["faults"] = faults;
  if (!s.deploys.empty()) {
    ordered_json deploys = ordered_json::array();
    auto opt = [](const std::optional<double>& v) { return v ? num(*v) : ordered_json(nullptr); };
    for (const auto& d : s.deploys) {
      deploys.push_back({{"strategy", d.strategy}, {"at_s", num(d.at_s)}, {"started_s", opt(d.started_s)},
                         {"duration_s", opt(d.duration_s)}, {"finished_s", opt(d.finished_s)},
                         {"all_reconnected_s", opt(d.all_reconnected_s)}, {"replicas", d.replicas},
                         {"max_surge", d.max_surge}, {"max_unavailable", d.max_unavailable},
                         {"servers_started", d.servers_started}, {"servers_terminated", d.servers_terminated},
                         {"peak_servers", d.peak_servers}, {"min_available", d.min_available},
                         {"connections_closed", d.connections_closed}, {"closed_at_sigterm", d.closed_at_sigterm},
                         {"closed_spread", d.closed_spread}, {"closed_at_kill", d.closed_at_kill},
                         {"handshakes_cut", d.handshakes_cut}, {"reconnected", d.reconnected}, {"gave_up", d.gave_up},
                         {"not_reconnected_at_end", d.not_reconnected_at_end}, {"peak_disconnected", d.peak_disconnected},
                         {"peak_retries_per_s", num(d.peak_retries_per_s)}, {"reconnect_s", latency_json(d.reconnect_s)},
                         {"per_site", d.per_site}});
      if (d.per_site) {
        ordered_json sites = ordered_json::array();
        for (const auto& site : d.sites) {
          sites.push_back({{"site", site.site}, {"replicas", site.replicas}, {"max_surge", site.max_surge},
                           {"max_unavailable", site.max_unavailable}});
        }
        deploys.back()["sites"] = std::move(sites);
      }
    }
    j["deploys"] = deploys;
  }
  ordered_json balancers = ordered_json::array();
  for (const auto& b : s.balancers) {
    ordered_json bj = {{"index", b.index}, {"routed", b.routed}, {"rate_limited", b.rate_limited},
                       {"port_exhausted", b.port_exhausted}, {"failed_tries", b.failed_tries},
                       {"marked_down", b.marked_down}, {"peak_ports_per_backend", b.peak_ports}};
    if (b.connect_timeouts) bj["connect_timeouts"] = *b.connect_timeouts;
    if (b.connect_completions) bj["connect_completions"] = *b.connect_completions;
    if (b.haproxy) {
      const models::HaproxyOutcome& h = *b.haproxy;
      bj["haproxy"] = {{"queued", h.queued}, {"dequeued", h.dequeued}, {"queue_timeouts", h.queue_timeouts},
                       {"queue_abandoned", h.queue_abandoned}, {"queue_cut", h.queue_cut}, {"retry_waits", h.retry_waits},
                       {"retry_resumed", h.retry_resumed}, {"retry_abandoned", h.retry_abandoned},
                       {"retry_cut", h.retry_cut}, {"redispatches", h.redispatches}};
    }
    if (b.outlier) {
      const models::OutlierOutcome& o = *b.outlier;
      bj["outlier"] = {{"ejections", o.ejections}, {"ejections_overflow", o.ejections_overflow},
                       {"unejections", o.unejections}, {"panic_picks", o.panic_picks}};
    }
    balancers.push_back(std::move(bj));
  }
  j["balancers"] = balancers;
  if (!s.sites.empty()) {
    ordered_json sites = ordered_json::array(), regions = ordered_json::array();
    for (const auto& site : s.sites) {
      sites.push_back({{"name", site.name}, {"servers", site.servers}, {"active_at_end", site.active_at_end}});
    }
    for (const auto& r : s.regions) {
      regions.push_back({{"name", r.name}, {"clients", r.clients}, {"nearest_site", r.nearest_site},
                         {"latency_ms", num(r.latency_ms)}});
    }
    j["topology"] = {{"sites", sites}, {"regions", regions}};
  }
  bool ok = true;
  ordered_json checks = ordered_json::object();
  for (const auto& chk : s.conservation) {
    ok = ok && chk.ok;
    checks[chk.name] = {{"equation", chk.equation}, {"values", chk.values}, {"ok", chk.ok}};
  }
  j["conservation"] = {{"ok", ok}, {"checks", checks}};
  return j;
}

// Shortest round-trip digits; a missing value (NaN) is an empty field.
void write_number(std::ostream& out, double v) {
  if (!std::isnan(v)) out << models::format_number(v);
}

}  // namespace

std::string summary_json_text(const models::RunSummary& summary) {
  const ordered_json j = summary_ordered(summary);
  // The declaration (experiments/summary_schema.cpp) is this writer's contract: a key it does not
  // declare (a misspelling), a value of another type or a required key left out is a bug here,
  // stopped on the first run that writes it rather than written into summary.json.
  if (const std::vector<std::string> bad = experiments::summary::undeclared(j); !bad.empty()) {
    std::string list;
    for (const auto& b : bad) list += (list.empty() ? "" : ", ") + b;
    throw std::logic_error("summary.json does not conform to experiments/summary_schema.cpp: " + list);
  }
  return j.dump(2) + "\n";
}

void write_timeseries_csv(std::ostream& out, const models::RunResult& result) {
  // One schema for every scope, in the order experiments/timeseries_schema.cpp declares: fleet-only
  // columns are empty on server rows, server-only ones (after the fleet's) on fleet rows; balancer
  // rows (server -1) come next, then site rows (server -1; only with several sites) and class rows
  // (server -1; only with several [[fleet.classes]]), their own columns after the servers'. A column the sampler wrote but the table does not declare (or one
  // it declares for this run but the sampler left out) stops the write.
  timeseries::check(result);
  const std::vector<std::string> cols = timeseries::csv_columns(timeseries::Features::of(result.summary));
  for (std::size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << cols[i];
  out << "\n";
  // Resolve column positions once per table.
  auto positions = [&](const sim::TimeSeries& ts) {
    std::vector<int> pos;
    for (std::size_t i = 3; i < cols.size(); ++i) {
      int p = -1;
      for (std::size_t c = 0; c < ts.columns().size(); ++c) {
        if (ts.columns()[c] == cols[i]) p = static_cast<int>(c);
      }
      pos.push_back(p);
    }
    return pos;
  };
  auto rows = [&](const sim::TimeSeries& ts, const char* scope, bool per_server) {
    if (ts.columns().empty()) return;
    const auto pos = positions(ts);
    const std::size_t server_col = per_server ? ts.index_of("server") : 0;
    for (std::size_t r = 0; r < ts.rows(); ++r) {
      write_number(out, ts.column(0)[r]);
      out << "," << scope << ",";
      if (per_server) {
        write_number(out, ts.column(server_col)[r]);
      } else {
        out << "-1";
      }
      for (int p : pos) {
        out << ",";
        if (p >= 0) write_number(out, ts.column(static_cast<std::size_t>(p))[r]);
      }
      out << "\n";
    }
  };
  rows(result.fleet, "fleet", false);
  rows(result.servers, "server", true);
  rows(result.balancers, "balancer", false);
  rows(result.sites, "site", false);
  rows(result.classes, "class", false);
}

namespace {
// The files a run directory may hold (report.html is written by `wsfleet report`).
// timeseries.parquet: `run --format parquet` (the Python package writes it beside the CSV).
const std::initializer_list<std::string_view> kRunFiles = {"summary.json", "timeseries.csv", "scenario.toml",
                                                                "report.html", "timeseries.parquet"};
}  // namespace

void check_run_directory(const std::filesystem::path& dir) { AtomicDirectory::check_target(dir, kRunFiles); }

void write_run_directory(const std::filesystem::path& dir, const models::FleetConfig& config,
                         const models::RunResult& result) {
  // Built in memory first (the CSV is the large part: a few MB per million samples), then written
  // as one atomic directory: an interrupted write leaves the previous results, never a mix.
  std::ostringstream csv;
  write_timeseries_csv(csv, result);
  if (!csv) throw std::runtime_error((dir / "timeseries.csv").string() + ": write failed");
  AtomicDirectory out(dir, kRunFiles);
  out.write("summary.json", summary_json_text(result.summary));
  out.write("timeseries.csv", csv.str());
  out.write("scenario.toml", scenario_to_toml(config));
  out.commit();
}

}  // namespace wsfleet::experiments
