#include "models/fleet/autoscaler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "models/fleet/connections.hpp"
#include "models/fleet/deployer.hpp"
#include "models/fleet/server_pool.hpp"
#include "models/fleet/summary_helpers.hpp"
#include "models/pubsub/pubsub.hpp"

namespace wsfleet::models {

Autoscaler::Autoscaler(FleetState& state)
    : st_(state),
      rng_provisioning_(state.streams.stream("autoscaler.provisioning")),
      readiness_delay_(state.duration(state.cfg.autoscaler.readiness_delay_s)),
      drain_timeout_(state.duration(state.cfg.autoscaler.drain_timeout_s)),
      slots_(state.servers.size()),
      last_busy_(state.servers.size(), 0) {
  self_ = st_.sim.add_handler(this);
  const AutoscalerSection& a = st_.cfg.autoscaler;
  if (st_.cfg.autoscaler_site_slots().empty()) {
    Group g;
    g.policy = make_autoscaling_policy(a.policy, a.params);
    g.first = 0;
    g.end = static_cast<std::uint32_t>(st_.servers.size());
    groups_.push_back(std::move(g));
  } else {
    // One controller per site, over the site's own servers and slots (one HPA per cluster).
    for (std::size_t site = 0; site < st_.topo.sites(); ++site) {
      Group g;
      g.site = st_.topo.site_name(site);
      g.site_index = static_cast<std::uint32_t>(site);
      g.policy = make_autoscaling_policy(a.policy, a.site_params(g.site));
      g.first = st_.topo.first_server(site);
      g.end = g.first + st_.topo.site_servers(site);
      groups_.push_back(std::move(g));
    }
    // Each site's scaler reads its own site's demand from outside (its KEDA activation from zero).
    st_.home_attempts.assign(st_.topo.sites(), 0);
  }
  period_ = groups_.front().policy->sync_period();
  if (a.metric == AutoscalerMetric::P99Latency) st_.parts.servers->keep_latency_window();
  // Every server present at the start is in service (up for long: past every initialization period).
  for (std::uint32_t b = 0; b < st_.servers.size(); ++b) {
    if (!st_.servers[b].present) continue;
    slots_[b].phase = Phase::InService;
    slots_[b].running_since = slots_[b].ready_at = -3600 * sim::kNanosPerSecond;
    ++in_service_;
    ++group_of(b).in_service;
    ++initial_;
    cost_rate_ += st_.specs[b].cost_per_hour;
    ++billed_;
  }
  for (Group& g : groups_) {
    g.peak = g.low = g.replicas();
    g.last_desired = static_cast<std::int32_t>(g.replicas());
  }
  peak_replicas_ = low_replicas_ = replicas();
}

Autoscaler::Group& Autoscaler::group_of(std::uint32_t b) {
  return groups_.size() == 1 ? groups_.front() : groups_[st_.topo.site_of(b)];
}

std::int32_t Autoscaler::desired() const {
  std::int32_t n = 0;
  for (const Group& g : groups_) n += g.last_desired;
  return n;
}

void Autoscaler::start() {
  if (period_ <= st_.end) st_.sim.schedule_at(period_, self_, kSync, 0);
}

void Autoscaler::handle(const sim::Event& e) {
  const auto slot = static_cast<std::uint32_t>(e.data & 0xffffffffu);
  const auto gen = static_cast<std::uint32_t>(e.data >> 32);
  switch (e.tag) {
    case kSync: sync(); return;
    case kBooted:
      if (slots_[slot].gen == gen) booted(slot);
      return;
    case kReady:
      if (slots_[slot].gen == gen) ready(slot);
      return;
    case kDrainDeadline:
      if (slots_[slot].gen == gen) drain_deadline(slot);
      return;
    default: throw std::logic_error("Autoscaler: unknown event tag");
  }
}

void Autoscaler::accrue() {
  const sim::SimTime now = st_.sim.now();
  const double hours = sim::to_seconds(now - accrued_at_) / 3600.0;
  cost_ += cost_rate_ * hours;
  server_hours_ += billed_ * hours;
  accrued_at_ = now;
}

void Autoscaler::set_phase(std::uint32_t slot, Phase phase) {
  accrue();
  auto counter = [this](Phase p) -> std::uint32_t* {
    switch (p) {
      case Phase::Booting: return &booting_;
      case Phase::Starting: return &starting_;
      case Phase::InService: return &in_service_;
      case Phase::Draining: return &draining_;
      case Phase::Deploying: return &deploying_;
      case Phase::Terminating: return &terminating_;
      default: return nullptr;
    }
  };
  const Phase old = slots_[slot].phase;
  if (auto* c = counter(old)) --*c;
  if (auto* c = counter(phase)) ++*c;
  auto group_counter = [](Group& g, Phase p) -> std::uint32_t* {
    switch (p) {
      case Phase::Booting: return &g.booting;
      case Phase::Starting: return &g.starting;
      case Phase::InService: return &g.in_service;
      default: return nullptr;
    }
  };
  Group& g = group_of(slot);
  if (auto* c = group_counter(g, old)) --*c;
  if (auto* c = group_counter(g, phase)) ++*c;
  const bool billed_before = counter(old) != nullptr, billed_after = counter(phase) != nullptr;
  if (billed_before != billed_after) {
    const double sign = billed_after ? 1.0 : -1.0;
    cost_rate_ += sign * st_.specs[slot].cost_per_hour;
    billed_ += sign;
  }
  slots_[slot].phase = phase;
}

AutoscalingInput Autoscaler::observe(Group& g, sim::SimTime now) {
  AutoscalingInput in;
  in.now = now;
  in.replicas = static_cast<std::int32_t>(g.replicas());
  in.metric_is_cpu = {st_.cfg.autoscaler.metric == AutoscalerMetric::Cpu};
  in.metric_window = period_;
  // What a scaler outside the servers sees of the demand (KEDA activates on it at zero replicas):
  // the connection attempts since the previous sync, refused or not. With sites, a site's scaler
  // sees its own site's demand: the attempts of the clients whose nearest site it is (a site at zero
  // has none of its servers in the balancers, so the front door sends those attempts to the next
  // site and they succeed there: only the site's front-door metric still shows them, as a KEDA
  // trigger on a per-site ingress or DNS query rate would).
  if (g.site.empty()) {
    in.activation = static_cast<double>(st_.conn.attempted - attempts_at_last_sync_);
    attempts_at_last_sync_ = st_.conn.attempted;
  } else {
    const std::uint64_t seen = st_.home_attempts[g.site_index];
    in.activation = static_cast<double>(seen - g.home_attempts_at_sync);
    g.home_attempts_at_sync = seen;
  }
  ServerPool& pool = *st_.parts.servers;
  PubSub* ps = st_.parts.pubsub;
  const double window_ns = static_cast<double>(period_);
  for (std::uint32_t b = g.first; b < g.end; ++b) {
    const Slot& slot = slots_[b];
    const Server& s = st_.servers[b];
    const ServerSpec& spec = st_.specs[b];
    // CPU busy over the window, for every server (a starting one works only for its own start-up: 0).
    // The pool first submits the heartbeats due by now (its periodic heartbeat load).
    pool.catch_up(b);
    const sim::SimTime busy = s.cpu.busy_ns(now);
    const double cores_used = static_cast<double>(busy - last_busy_[b]) / window_ns;
    last_busy_[b] = busy;
    if (slot.phase == Phase::Unmanaged || slot.phase == Phase::Removed) continue;
    ReplicaView pod;
    pod.start_time = slot.running_since;
    pod.ready_transition = slot.phase == Phase::InService ? slot.ready_at : slot.running_since;
    switch (st_.cfg.autoscaler.metric) {
      case AutoscalerMetric::Cpu: pod.capacity = spec.cpu_cores; break;
      case AutoscalerMetric::Connections: pod.capacity = spec.max_connections; break;
      case AutoscalerMetric::Memory:
        pod.capacity = spec.memory_limit_mib > 0 ? spec.memory_limit_mib
                                                 : spec.base_memory_mib + spec.max_connections * spec.memory_per_connection_kib / 1024.0;
        break;
      case AutoscalerMetric::BufferedBytes:
      case AutoscalerMetric::P99Latency: pod.capacity = 1.0; break;
    }
    std::optional<double> value;
    switch (st_.cfg.autoscaler.metric) {
      case AutoscalerMetric::Cpu: value = cores_used; break;
      case AutoscalerMetric::Connections: value = static_cast<double>(s.connected); break;
      case AutoscalerMetric::Memory: value = pool.fixed_memory_mib(b) + (ps ? ps->server_buffered_mib(b) : 0.0); break;
      case AutoscalerMetric::BufferedBytes: value = (ps ? ps->server_buffered_mib(b) : 0.0) * 1048576.0; break;
      case AutoscalerMetric::P99Latency:
        // Like a Prometheus histogram_quantile over the period: no message done, no sample (the HPA
        // treats the pod's metric as missing).
        value = pool.take_latency_p99(b);  // a crashed server's window is emptied, not reported
        if (!s.up) value.reset();
        break;
    }
    switch (slot.phase) {
      case Phase::Booting:
        pod.phase = ReplicaPhase::Pending;
        pod.ready = false;
        value.reset();
        break;
      case Phase::Starting:
        pod.phase = ReplicaPhase::Running;
        pod.ready = false;
        if (now - slot.running_since < period_) value.reset();  // no full metric window yet
        break;
      case Phase::InService:
        pod.phase = ReplicaPhase::Running;
        pod.ready = s.up;
        if (!s.up) {
          value.reset();  // a crashed server reports nothing
          pod.ready_transition = now;
        }
        break;
      case Phase::Draining:
        pod.phase = ReplicaPhase::Terminating;
        pod.ready = false;
        break;
      case Phase::Deploying:
      case Phase::Terminating: continue;  // a rollout's: not a replica of the autoscaler's (it holds meanwhile)
      default: break;
    }
    pod.metrics = {value};
    in.pods.push_back(std::move(pod));
  }
  return in;
}

void Autoscaler::sync() {
  const sim::SimTime now = st_.sim.now();
  // Every controller observes (the windows of CPU use stay current), in site order.
  std::vector<AutoscalingInput> inputs;
  inputs.reserve(groups_.size());
  for (Group& g : groups_) inputs.push_back(observe(g, now));
  if (st_.parts.deployer && st_.parts.deployer->rolling_out()) {
    // A rollout replaces the replicas: the controller holds until it is complete.
    ++held_syncs_;
  } else {
    for (std::size_t i = 0; i < groups_.size(); ++i) decide(groups_[i], inputs[i], now);
    peak_replicas_ = std::max(peak_replicas_, replicas());
    low_replicas_ = std::min(low_replicas_, replicas());
  }
  if (now + period_ <= st_.end) st_.sim.schedule_at(now + period_, self_, kSync, 0);
}

void Autoscaler::decide(Group& g, const AutoscalingInput& input, sim::SimTime now) {
  const AutoscalingDecision d = g.policy->decide(input);
  ++decisions_;
  ++g.decisions;
  switch (d.outcome) {
    case ScaleOutcome::ScaleUp: ++ups_; ++g.ups; break;
    case ScaleOutcome::ScaleDown: ++downs_; ++g.downs; break;
    case ScaleOutcome::NoChange: ++no_changes_; ++g.no_changes; break;
  }
  limited_ += d.limited ? 1 : 0;
  without_metrics_ += d.had_metrics ? 0 : 1;
  g.last_desired = d.desired;
  const auto current = static_cast<std::int32_t>(g.replicas());
  if (d.desired > current) {
    if (first_scale_up_s_ < 0) first_scale_up_s_ = sim::to_seconds(now);
    scale_up(g, static_cast<std::uint32_t>(d.desired - current));
  } else if (d.desired < current) {
    scale_down(g, static_cast<std::uint32_t>(current - d.desired));
  }
  g.peak = std::max(g.peak, g.replicas());
  g.low = std::min(g.low, g.replicas());
}

void Autoscaler::scheduled_action(std::uint32_t event) {
  // AWS scheduled scaling (Application Auto Scaling's "How scheduled scaling works"; an EC2 Auto
  // Scaling group's PutScheduledUpdateGroupAction): the action sets MinCapacity and/or MaxCapacity at
  // its time; below the new minimum the target scales out to it, above the new maximum in to it; the
  // scaling policy then works within the new bounds. An edit of an HPA's minReplicas/maxReplicas
  // (a CronJob patching it) takes effect the same way at the HPA's next reconcile.
  const ScalingEvent& e = st_.cfg.scaling[event];
  for (Group& g : groups_) {
    if (!e.site.empty() && e.site != g.site) continue;
    const std::int32_t min = e.min_replicas ? static_cast<std::int32_t>(*e.min_replicas) : g.policy->min_replicas();
    const std::int32_t max = e.max_replicas ? static_cast<std::int32_t>(*e.max_replicas) : g.policy->max_replicas();
    g.policy->set_bounds(min, max);
    ++scheduled_actions_;
    const auto current = static_cast<std::int32_t>(g.replicas());
    if (current < min) {
      const std::uint64_t before = launched_;
      scale_up(g, static_cast<std::uint32_t>(min - current));
      scheduled_launched_ += launched_ - before;
    } else if (current > max) {
      const std::uint64_t before = drains_started_ + cancelled_;
      scale_down(g, static_cast<std::uint32_t>(current - max));
      scheduled_drains_ += drains_started_ + cancelled_ - before;
    }
    g.last_desired = static_cast<std::int32_t>(g.replicas());
    g.peak = std::max(g.peak, g.replicas());
    g.low = std::min(g.low, g.replicas());
  }
  peak_replicas_ = std::max(peak_replicas_, replicas());
  low_replicas_ = std::min(low_replicas_, replicas());
}

void Autoscaler::scale_up(Group& g, std::uint32_t count) {
  const sim::SimTime now = st_.sim.now();
  for (std::uint32_t b = g.first; b < g.end && count > 0; ++b) {
    Slot& slot = slots_[b];
    const bool free = (slot.phase == Phase::Unmanaged && !st_.servers[b].present) || slot.phase == Phase::Removed;
    if (!free) continue;
    set_phase(b, Phase::Booting);
    ++slot.gen;
    slot.launched_at = now;
    ++launched_;
    ++g.launched;
    --count;
    const double delay_s = st_.cfg.autoscaler.provisioning_s.sample(rng_provisioning_);
    const sim::SimTime at = now + st_.duration(delay_s);
    if (at <= st_.end) st_.sim.schedule_at(at, self_, kBooted, pack(b, slot.gen));
  }
  no_free_slot_ += count;  // more than the slots reserved (2 x max_replicas): not launched
}

void Autoscaler::scale_down(Group& g, std::uint32_t count) {
  // Like a ReplicaSet: pods not yet running first, then unready ones, then the newest ready ones.
  auto pick = [&](Phase phase, bool crashed_first) -> int {
    int best = -1;
    for (std::uint32_t b = g.first; b < g.end; ++b) {
      const Slot& slot = slots_[b];
      if (slot.phase != phase) continue;
      if (crashed_first && st_.servers[b].up) continue;
      if (best < 0) {
        best = static_cast<int>(b);
        continue;
      }
      const Slot& cur = slots_[static_cast<std::size_t>(best)];
      const sim::SimTime key = phase == Phase::InService ? slot.ready_at : slot.launched_at;
      const sim::SimTime cur_key = phase == Phase::InService ? cur.ready_at : cur.launched_at;
      if (key >= cur_key) best = static_cast<int>(b);  // the newest; ties: the highest index
    }
    return best;
  };
  while (count > 0) {
    int b = pick(Phase::Booting, false);
    if (b < 0) b = pick(Phase::Starting, false);
    if (b >= 0) {
      const auto slot = static_cast<std::uint32_t>(b);
      ++slots_[slot].gen;  // its boot or readiness timer is void
      set_phase(slot, Phase::Removed);
      ++cancelled_;
      --count;
      continue;
    }
    b = pick(Phase::InService, true);
    if (b < 0) b = pick(Phase::InService, false);
    if (b < 0) break;
    const auto slot = static_cast<std::uint32_t>(b);
    st_.parts.servers->start_draining(slot);
    set_phase(slot, Phase::Draining);
    ++drains_started_;
    ++g.drains;
    ++slots_[slot].gen;
    --count;
    const sim::SimTime at = st_.sim.now() + drain_timeout_;
    if (at <= st_.end) st_.sim.schedule_at(at, self_, kDrainDeadline, pack(slot, slots_[slot].gen));
  }
}

void Autoscaler::booted(std::uint32_t slot) {
  set_phase(slot, Phase::Starting);
  slots_[slot].running_since = st_.sim.now();
  ++slots_[slot].gen;
  const sim::SimTime at = st_.sim.now() + readiness_delay_;
  if (at <= st_.end) st_.sim.schedule_at(at, self_, kReady, pack(slot, slots_[slot].gen));
}

void Autoscaler::ready(std::uint32_t slot) {
  const sim::SimTime now = st_.sim.now();
  set_phase(slot, Phase::InService);
  Slot& sl = slots_[slot];
  sl.ready_at = now;
  ++sl.gen;
  ++became_ready_;
  ready_delay_sum_s_ += sim::to_seconds(now - sl.launched_at);
  st_.parts.servers->join(slot);
}

void Autoscaler::drain_deadline(std::uint32_t slot) {
  // As [[scaling]] does (models/fleet/scaling.cpp): what is still open is closed by the server
  // (WebSocket close 1001 "going away"); its clients reconnect elsewhere through their backoff.
  Server& s = st_.servers[slot];
  std::vector<std::uint32_t> members;
  members.swap(s.members);
  connections_closed_ += s.connected;
  for (std::uint32_t c : members) st_.parts.connections->close_for_drain(c, slot);
  st_.parts.servers->leave(slot);
  set_phase(slot, Phase::Removed);
  ++slots_[slot].gen;
  ++drains_done_;
}

std::uint32_t Autoscaler::hand_over(std::vector<std::uint32_t>* by_site) {
  std::uint32_t cancelled = 0;
  if (by_site != nullptr) by_site->assign(groups_.size(), 0);
  for (std::uint32_t b = 0; b < slots_.size(); ++b) {
    if (slots_[b].phase != Phase::Booting && slots_[b].phase != Phase::Starting) continue;
    ++slots_[b].gen;  // its boot or readiness timer is void
    set_phase(b, Phase::Removed);
    ++cancelled_;
    ++cancelled;
    if (by_site != nullptr) ++(*by_site)[per_site() ? st_.topo.site_of(b) : 0];
  }
  handed_over_ += cancelled;
  return cancelled;
}

std::uint32_t Autoscaler::claim_slot(std::int32_t site) {
  std::uint32_t from = 0, to = static_cast<std::uint32_t>(slots_.size());
  if (site >= 0 && per_site()) {
    const Group& g = groups_[static_cast<std::size_t>(site)];
    from = g.first;
    to = g.end;
  }
  for (std::uint32_t b = from; b < to; ++b) {
    Slot& slot = slots_[b];
    const bool free = (slot.phase == Phase::Unmanaged && !st_.servers[b].present) || slot.phase == Phase::Removed;
    if (!free) continue;
    set_phase(b, Phase::Deploying);
    ++slot.gen;
    slot.launched_at = st_.sim.now();
    ++claimed_;
    return b;
  }
  throw std::logic_error("Autoscaler: no free server slot for a rollout" +
                         (site >= 0 && per_site() ? " in site " + groups_[static_cast<std::size_t>(site)].site : std::string()));
}

void Autoscaler::adopt(std::uint32_t b) {
  if (slots_[b].phase != Phase::Deploying) return;
  set_phase(b, Phase::InService);
  slots_[b].running_since = slots_[b].ready_at = st_.sim.now();
  ++adopted_;
}

void Autoscaler::release(std::uint32_t b) {
  if (slots_[b].phase != Phase::InService && slots_[b].phase != Phase::Deploying) return;
  if (slots_[b].phase == Phase::Deploying) ++adopted_;  // a new server of an earlier rollout replaced before it was available
  set_phase(b, Phase::Terminating);
  ++slots_[b].gen;
  ++released_;
}

void Autoscaler::gone(std::uint32_t b) {
  if (slots_[b].phase != Phase::Terminating) return;
  set_phase(b, Phase::Removed);
  ++gone_;
}

namespace {
using timeseries::Column, timeseries::Scope, timeseries::Type, timeseries::When;

/// Its columns of the time series (fleet rows), in the order it declares them.
struct AutoscalerColumns {
  timeseries::ColumnGroup group;
  const Column& replicas = group.add(Scope::Fleet, "replicas", Type::Integer, "servers",
                                     "the autoscaler's replicas (launched and not removed)", When::Autoscaler);
  const Column& ready =
      group.add(Scope::Fleet, "replicas_ready", Type::Integer, "servers", "of replicas, ready and in service", When::Autoscaler);
  const Column& desired = group.add(Scope::Fleet, "replicas_desired", Type::Integer, "servers",
                                    "the replica count the autoscaler last asked for", When::Autoscaler);
  const Column& cost_per_hour =
      group.add(Scope::Fleet, "cost_per_hour", Type::Number, "currency/h", "cost rate of the servers running", When::Autoscaler);
};
}  // namespace

std::vector<const timeseries::Column*> Autoscaler::columns() { return timeseries::declarations<AutoscalerColumns>().group.all(); }

void Autoscaler::sample_fleet(timeseries::DeclaredSeries& row) const {
  const auto& col = timeseries::declarations<AutoscalerColumns>();
  row.set(col.replicas, static_cast<double>(replicas()));
  row.set(col.ready, static_cast<double>(in_service_));
  row.set(col.desired, static_cast<double>(desired()));
  row.set(col.cost_per_hour, cost_rate_);
}

void Autoscaler::summarise(RunSummary& summary) const {
  // The cost up to the end of the run.
  const double hours = sim::to_seconds(st_.sim.now() - accrued_at_) / 3600.0;
  AutoscalerOutcome& o = summary.autoscaler;
  o.enabled = true;
  o.policy = st_.cfg.autoscaler.policy;
  o.sync_period_s = sim::to_seconds(period_);
  o.decisions = decisions_;
  o.scale_ups = ups_;
  o.scale_downs = downs_;
  o.no_changes = no_changes_;
  o.limited = limited_;
  o.without_metrics = without_metrics_;
  if (!st_.cfg.deploys.empty()) {
    o.held = held_syncs_;
    o.adopted = adopted_;
    o.released = released_;
  }
  o.initial_servers = initial_;
  o.launched = launched_;
  o.became_ready = became_ready_;
  o.cancelled = cancelled_;
  o.drains_started = drains_started_;
  o.drains_done = drains_done_;
  o.not_launched_no_slot = no_free_slot_;
  o.booting_at_end = booting_;
  o.starting_at_end = starting_;
  o.in_service_at_end = in_service_;
  o.draining_at_end = draining_;
  o.replicas_at_end = replicas();
  o.peak_replicas = peak_replicas_;
  o.lowest_replicas = low_replicas_;
  o.connections_closed_by_scale_in = connections_closed_;
  o.server_hours = server_hours_ + billed_ * hours;
  o.cost = cost_ + cost_rate_ * hours;
  o.mean_launch_to_ready_s =
      became_ready_ > 0 ? ready_delay_sum_s_ / static_cast<double>(became_ready_) : std::numeric_limits<double>::quiet_NaN();
  o.first_scale_up_s = first_scale_up_s_ >= 0 ? first_scale_up_s_ : std::numeric_limits<double>::quiet_NaN();
  if (!st_.cfg.scaling.empty()) {
    o.scheduled_actions = scheduled_actions_;
    o.scheduled_launched = scheduled_launched_;
    o.scheduled_drains = scheduled_drains_;
  }
  if (groups_.size() > 1 || !groups_.front().site.empty()) {
    for (const Group& g : groups_) {
      AutoscalerSiteOutcome so;
      so.site = g.site;
      so.min_replicas = g.policy->min_replicas();
      so.max_replicas = g.policy->max_replicas();
      so.decisions = g.decisions;
      so.scale_ups = g.ups;
      so.scale_downs = g.downs;
      so.no_changes = g.no_changes;
      so.launched = g.launched;
      so.drains_started = g.drains;
      so.replicas_at_end = g.replicas();
      so.in_service_at_end = g.in_service;
      so.peak_replicas = g.peak;
      so.lowest_replicas = g.low;
      o.sites.push_back(std::move(so));
    }
  }
}

void Autoscaler::conservation(RunSummary& summary) const {
  add_conservation_check(summary, "autoscaler_decisions", "decisions = scale_ups + scale_downs + no_changes", decisions_,
                         {ups_, downs_, no_changes_});
  add_conservation_check(summary, "autoscaler_launches",
                         "launched = became_ready + cancelled + booting_at_end + starting_at_end", launched_,
                         {became_ready_, cancelled_, booting_, starting_});
  // Servers in service came from the start or a launch and leave only by a drain.
  if (st_.cfg.deploys.empty()) {
    add_conservation_check(summary, "autoscaler_in_service", "initial + became_ready = drains_started + in_service_at_end",
                           initial_ + became_ready_, {drains_started_, in_service_});
  } else {
    // Rollouts hand servers in (adopted) and take them out (released).
    add_conservation_check(summary, "autoscaler_in_service",
                           "initial + became_ready + adopted = drains_started + released + in_service_at_end",
                           initial_ + became_ready_ + adopted_, {drains_started_, released_, in_service_});
    add_conservation_check(summary, "autoscaler_rollout_servers", "claimed = adopted + deploying_at_end", claimed_,
                           {adopted_, deploying_});
    add_conservation_check(summary, "autoscaler_released", "released = gone + terminating_at_end", released_,
                           {gone_, terminating_});
  }
  add_conservation_check(summary, "autoscaler_drains", "drains_started = drains_done + draining_at_end", drains_started_,
                         {drains_done_, draining_});
  if (!groups_.front().site.empty()) {
    // The sites' controllers add up to the fleet's, and each one's count is its own servers'.
    std::uint64_t decisions = 0, launched = 0, drains = 0, replicas = 0;
    for (const Group& g : groups_) {
      decisions += g.decisions;
      launched += g.launched;
      drains += g.drains;
      replicas += g.replicas();
      add_conservation_check(summary, "autoscaler_site_decisions_" + g.site,
                             "decisions = scale_ups + scale_downs + no_changes (site " + g.site + ")", g.decisions,
                             {g.ups, g.downs, g.no_changes});
      std::uint64_t counted = 0;
      for (std::uint32_t b = g.first; b < g.end; ++b) {
        const Phase p = slots_[b].phase;
        counted += (p == Phase::Booting || p == Phase::Starting || p == Phase::InService) ? 1 : 0;
      }
      add_conservation_check(summary, "autoscaler_site_replicas_" + g.site,
                             "replicas = its servers booting, starting or in service (site " + g.site + ")", g.replicas(),
                             {counted});
    }
    add_conservation_check(summary, "autoscaler_sites", "decisions + launched + drains + replicas = sum over the sites",
                           decisions_ + launched_ + drains_started_ + this->replicas(), {decisions, launched, drains, replicas});
  }
}

}  // namespace wsfleet::models
