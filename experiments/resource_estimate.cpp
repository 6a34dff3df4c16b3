#include "experiments/resource_estimate.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "models/transport/session_opening.hpp"

namespace wsfleet::experiments {

namespace {

// Measured peak RSS of `wsfleet run` (default.toml and live_scores.toml at 1e5 and 4e5-1e6
// clients): the increments per client, per subscription and per long-polling client, rounded up.
constexpr double kBaseBytes = 32e6;             // the program, the policies, the output buffers
constexpr double kClientBytes = 100.0;          // a client and its connection
constexpr double kSubscriptionBytes = 160.0;    // one channel subscription with its send-buffer share
constexpr double kFallbackClientBytes = 30.0;   // a client's long-polling or SSE state
constexpr double kSeriesRowBytes = 27 * 8.0;    // one row of the per-server time series
constexpr double kSubscriberListBytes = 24.0;   // one (server, channel) subscriber list

std::string gigabytes(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GB", bytes / 1e9);
  return text;
}

/// "63 M", "4.1 G", "850 k", "1.2e+15".
std::string count_text(double n) {
  char text[32];
  if (n >= 1e13) std::snprintf(text, sizeof text, "%.1e", n);
  else if (n >= 1e9) std::snprintf(text, sizeof text, "%.3g G", n / 1e9);
  else if (n >= 1e6) std::snprintf(text, sizeof text, "%.3g M", n / 1e6);
  else if (n >= 1e3) std::snprintf(text, sizeof text, "%.3g k", n / 1e3);
  else std::snprintf(text, sizeof text, "%.0f", n);
  return text;
}

/// "0.4 s", "32 s", "14 min", "5.2 hours", "18 days".
std::string duration_text(double s) {
  char text[32];
  if (s < 10) std::snprintf(text, sizeof text, "%.1f s", s);
  else if (s < 600) std::snprintf(text, sizeof text, "%.0f s", s);
  else if (s < 3 * 3600) std::snprintf(text, sizeof text, "%.0f min", s / 60);
  else if (s < 3 * 86400) std::snprintf(text, sizeof text, "%.1f hours", s / 3600);
  else std::snprintf(text, sizeof text, "%.3g days", s / 86400);
  return text;
}

/// The share of `clients` x `subscriptions` subscriptions on the `top` most popular of `channels`
/// channels with Zipf exponent `s` (models/pubsub/zipf_channels: channel r has weight 1 / r^s),
/// per channel: P(a client subscribes to channel r) ~ 1 - (1 - p_r)^subscriptions.
std::vector<double> subscribe_probability(std::uint32_t channels, double s, std::uint32_t subscriptions, std::uint32_t top) {
  double total = 0.0;
  for (std::uint32_t r = 1; r <= channels; ++r) total += std::pow(static_cast<double>(r), -s);
  std::vector<double> p(std::min(top, channels));
  for (std::uint32_t r = 1; r <= p.size(); ++r) {
    const double pr = std::pow(static_cast<double>(r), -s) / total;
    p[r - 1] = 1.0 - std::pow(1.0 - std::min(1.0, pr), static_cast<double>(subscriptions));
  }
  return p;
}

}  // namespace

EventEstimate estimate_events(const models::FleetConfig& config) {
  using models::FaultTarget;
  const double duration = config.run.duration_s;
  const double clients = static_cast<double>(config.clients.count);
  const double servers = std::max(1.0, static_cast<double>(config.base_servers()));
  const double balancers = std::max(1.0, static_cast<double>(config.balancer.count));
  const auto per = [&](double interval_s) { return interval_s > 0.0 ? duration / interval_s : 0.0; };
  // Connected time of the population: clients arrive uniformly over the ramp (or in the wave).
  const double ramp = std::min(duration, config.clients.ramp_s);
  const double connected_s = clients * std::max(0.0, duration - ramp / 2.0);
  const double lp = std::clamp(config.transport.long_polling_share, 0.0, 1.0);
  const double sse = std::clamp(config.transport.sse_share, 0.0, 1.0 - lp);

  std::vector<EventTerm> terms;
  // Connections: arrival, handshake done (or timeout), and a session end or a retry: about 3 each.
  // A finite session reconnects (or leaves) after its mean; a crash makes its server's share reconnect.
  double sessions = clients;
  const double session_mean = config.clients.session_s.mean();
  if (std::isfinite(session_mean) && session_mean > 0.0) {
    const double cycle = session_mean + std::max(0.0, config.clients.offline_mean_s);
    sessions += config.clients.on_session_end == models::SessionEnd::Reconnect ? connected_s / cycle
                                                                                 : clients * std::min(1.0, duration / session_mean);
  }
  for (const auto& f : config.faults) {
    if (f.target == FaultTarget::Server) sessions += clients / servers;
    else if (f.target == FaultTarget::Site || f.target == FaultTarget::Balancer || f.target == FaultTarget::WebSocketBlock) {
      sessions += clients / std::max(1.0, f.target == FaultTarget::Balancer ? balancers : 1.0) * std::min(1.0, f.share);
    }
  }
  sessions += clients * static_cast<double>(config.deploys.size());  // a rollout replaces every server: each connection moves once
  terms.push_back({"clients.count", 3.0 * sessions, 0.0});
  // Session opening (socket.io's polling handshake, SignalR's negotiate): one event per request, each
  // sent when the previous reply arrives (models/transport/session_opening).
  if (const auto library = models::SessionOpening::library_of(config); library != models::OpeningLibrary::None) {
    terms.push_back({library == models::OpeningLibrary::EngineIo ? "clients.upgrade_from_polling" : "clients.skip_negotiation",
                     sessions * static_cast<double>(models::SessionOpening::requests_per_open(library)), 0.0});
  }

  // Messages: pooled per server with the heartbeats (the default: models/fleet/server_pool), or one
  // event each when a connection's activity is tracked, with per-connection timers, or with the
  // fallback transports (plus the POST's reply there).
  const double messages = config.clients.messages_per_minute / 60.0 * connected_s;
  const bool fallback = lp > 0.0 || sse > 0.0 ||
                        std::any_of(config.faults.begin(), config.faults.end(),
                                    [](const auto& f) { return f.target == FaultTarget::WebSocketBlock; });
  const bool per_message_events = config.run.per_connection_timers || fallback || config.fleet.idle_close_s > 0.0 ||
                                  config.heartbeat.mode == models::HeartbeatMode::WhenIdle ||
                                  config.balancer.idle_timeout_s > 0.0 || config.clients.vanish_share > 0.0 ||
                                  config.fleet.rebalance.interval_s > 0.0;
  if (per_message_events) terms.push_back({"clients.messages_per_minute", messages * (1.0 + lp + sse), 0.0, 0.0});
  else terms.push_back({"clients.messages_per_minute", 0.0, 0.0, messages});

  // Heartbeats: per-connection timers are events; pooled per server (the default, unless idle
  // tracking needs each connection's timer) they are a loop in the server's queue.
  if (config.clients.heartbeat_interval_s > 0.0) {
    const double beats = connected_s * (1.0 - lp) / config.clients.heartbeat_interval_s;
    const bool tracked = config.run.per_connection_timers || config.heartbeat.mode == models::HeartbeatMode::WhenIdle ||
                         config.balancer.idle_timeout_s > 0.0 || config.clients.vanish_share > 0.0 ||
                         config.fleet.rebalance.interval_s > 0.0;
    terms.push_back({"clients.heartbeat_interval_s", tracked ? beats : 0.0, 0.0, tracked ? 0.0 : beats});
  }
  if (config.balancer.idle_timeout_s > 0.0) terms.push_back({"balancer.idle_timeout_s", connected_s / config.balancer.idle_timeout_s, 0.0});
  if (config.fleet.idle_close_s > 0.0) terms.push_back({"fleet.idle_close_s", connected_s / config.fleet.idle_close_s, 0.0});
  // Long polling: a poll held until data or its timeout, then the next one (about 3 events a cycle).
  if (lp > 0.0) {
    terms.push_back({"transport.long_polling.poll_timeout_s", 3.0 * lp * connected_s / config.transport.long_polling.poll_timeout_s, 0.0});
  }

  // Periodic timers of the fleet: samples, load reports, probes, rebalancing rounds.
  terms.push_back({"run.sample_interval_s", per(config.run.sample_interval_s), 0.0});
  terms.push_back({"balancer.metrics_interval_s", per(config.balancer.metrics_interval_s), 0.0});
  if (config.balancer.health_check.mode == models::HealthCheckMode::Active) {
    terms.push_back({"balancer.health_check.interval_s",
                     balancers * static_cast<double>(config.total_servers()) * per(config.balancer.health_check.interval_s), 0.0});
  }
  if (config.fleet.rebalance.interval_s > 0.0) terms.push_back({"fleet.rebalance.interval_s", per(config.fleet.rebalance.interval_s), 0.0});
  // Gray failures: a slow server's 10 ms CPU slices, a flapping health endpoint's two changes a period.
  double gray = 0.0;
  for (const auto& f : config.faults) {
    const double span = std::max(0.0, std::min(duration, f.at_s + f.recover_after_s.value_or(duration)) - f.at_s);
    if (f.target == FaultTarget::SlowServer) gray += span / 0.01;
    if (f.target == FaultTarget::HealthFlap && f.period_s > 0.0) gray += 2.0 * span / f.period_s;
  }
  if (gray > 0.0) terms.push_back({"faults", gray, 0.0});

  // Pub/sub: a publication is an event (the feed's or the client's), its arrival from the broker,
  // and one fan-out per server holding a subscriber; it is then written to every subscriber.
  if (config.pubsub.enabled()) {
    const auto& ps = config.pubsub;
    const auto per_publication = [&](double subscribers) {
      const double holding = servers * (1.0 - std::pow(1.0 - 1.0 / servers, subscribers));  // servers with a subscriber
      return std::pair{2.0 + holding, subscribers};
    };
    const double connected_share = std::max(0.0, duration - ramp / 2.0) / duration;
    const double fed = ps.feed.rate_per_s > 0.0 ? static_cast<double>(std::min(ps.feed.channels, ps.channels)) : 0.0;
    if (fed > 0.0) {
      double events = 0.0, deliveries = 0.0;
      const std::vector<double> p = subscribe_probability(ps.channels, ps.zipf_s, ps.subscriptions, ps.feed.channels);
      for (const double pr : p) {
        const auto [e, d] = per_publication(clients * connected_share * pr);
        events += e;
        deliveries += d;
      }
      const double publications = ps.feed.rate_per_s * duration;
      terms.push_back({"pubsub.feed.rate_per_s", events * publications, deliveries * publications});
    }
    if (ps.client_publish_share > 0.0 && messages > 0.0) {
      // A client publishes to one of its channels: the popular ones, mostly (one subscriber of
      // channel r in proportion to its subscribers).
      const std::vector<double> p = subscribe_probability(ps.channels, ps.zipf_s, ps.subscriptions, ps.channels);
      double sum = 0.0, events = 0.0, deliveries = 0.0;
      for (const double pr : p) sum += pr;
      for (const double pr : p) {
        const auto [e, d] = per_publication(clients * connected_share * pr);
        events += pr / sum * e;
        deliveries += pr / sum * d;
      }
      const double publications = messages * ps.client_publish_share;
      terms.push_back({"pubsub.client_publish_share", publications * events, publications * deliveries});
    }
  }

  EventEstimate e;
  double largest = -1.0;
  for (const EventTerm& t : terms) {
    e.events += t.events;
    e.deliveries += t.deliveries;
    e.heartbeats += t.heartbeats;
    const double cost = t.events / kEventsPerSecond + t.deliveries / kDeliveriesPerSecond + t.heartbeats / kHeartbeatsPerSecond;
    e.seconds += cost;
    if (cost > largest) {
      largest = cost;
      e.largest_key = t.key;
    }
  }
  e.largest_share = e.seconds > 0.0 ? largest / e.seconds : 0.0;
  e.terms = std::move(terms);
  return e;
}

std::string events_refusal(const EventEstimate& estimate, double max_events) {
  // Deliveries count for the time they take: kEventsPerSecond / kDeliveriesPerSecond of an event.
  const double equivalent = estimate.seconds * kEventsPerSecond;
  if (!(equivalent > max_events)) return "";
  char share[16];
  std::snprintf(share, sizeof share, "%.0f %%", 100.0 * estimate.largest_share);
  std::string what = estimate.largest_key;
  const bool interval = what.size() > 2 && what.compare(what.size() - 2, 2, "_s") == 0 && what != "run.duration_s";
  const std::string change = what == "clients.count" || what == "faults" ? "lower " + what
                             : interval                                   ? "raise " + what
                                                                          : "lower " + what;
  return "this scenario needs about " + count_text(equivalent) + " events (about " + duration_text(estimate.seconds) +
         " of computing at " + count_text(kEventsPerSecond) + " events/s), more than run.max_events = " + count_text(max_events) +
         ": " + what + " makes " + share + " of them; " + change +
         " or shorten run.duration_s, or raise run.max_events if you mean to run it";
}

std::string describe_estimate(const EventEstimate& estimate) {
  std::string text = "about " + count_text(estimate.events) + " events";
  if (estimate.deliveries / kDeliveriesPerSecond > 0.1 * estimate.seconds) {
    text += " and " + count_text(estimate.deliveries) + " deliveries";
  }
  return text + ", ~" + duration_text(estimate.seconds);
}

MemoryEstimate estimate_memory(const models::FleetConfig& config) {
  const double clients = static_cast<double>(config.clients.count);
  const double servers = config.total_servers();
  double per_client = kClientBytes;
  if (config.pubsub.enabled()) per_client += kSubscriptionBytes * config.pubsub.subscriptions;
  per_client += kFallbackClientBytes * std::min(1.0, config.transport.long_polling_share + config.transport.sse_share);
  const double by_clients = clients * per_client;
  const double samples = std::ceil(config.run.duration_s / config.run.sample_interval_s);
  const double by_servers = servers * samples * kSeriesRowBytes;
  const double by_channels = config.pubsub.enabled() ? servers * config.pubsub.channels * kSubscriberListBytes : 0.0;
  MemoryEstimate e;
  e.bytes = kBaseBytes + by_clients + by_servers + by_channels;
  e.largest_key = by_clients >= by_servers && by_clients >= by_channels ? "clients.count"
                  : by_servers >= by_channels                           ? "fleet.servers"
                                                                        : "pubsub.channels";
  return e;
}

double machine_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
}

std::string memory_refusal(const MemoryEstimate& estimate, double machine_bytes) {
  if (machine_bytes <= 0.0 || estimate.bytes <= machine_bytes) return "";
  const std::string advice = estimate.largest_key == "fleet.servers" ? "reduce fleet.servers or raise run.sample_interval_s"
                                                                      : "reduce " + estimate.largest_key;
  return "this scenario needs about " + gigabytes(estimate.bytes) + " of memory; this machine has " +
         gigabytes(machine_bytes) + ": " + advice;
}

}  // namespace wsfleet::experiments
