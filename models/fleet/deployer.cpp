#include "models/fleet/deployer.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "models/fleet/autoscaler.hpp"
#include "models/fleet/server_pool.hpp"
#include "models/fleet/connections.hpp"
#include "models/fleet/summary_helpers.hpp"

namespace wsfleet::models {

namespace {
const char* strategy_name(DeployStrategy s) {
  switch (s) {
    case DeployStrategy::Rolling: return "rolling";
    case DeployStrategy::BlueGreen: return "blue_green";
    case DeployStrategy::Canary: return "canary";
  }
  return "rolling";
}
}  // namespace

Deployer::Deployer(FleetState& state)
    : st_(state),
      rng_ready_(state.streams.stream("deployer.ready")),
      runs_(state.cfg.deploys.size()),
      out_(state.cfg.deploys.size()),
      phase_(state.servers.size(), Phase::None),
      deploy_of_(state.servers.size(), 0),
      unit_of_(state.servers.size(), 0),
      replaced_by_(state.servers.size(), kNone),
      pending_pos_(state.cfg.clients.count, kNone),
      reconnect_s_(state.cfg.deploys.size()),
      away_(state.cfg.deploys.size(), 0) {
  for (std::size_t d = 0; d < out_.size(); ++d) {
    out_[d].strategy = strategy_name(st_.cfg.deploys[d].strategy);
    out_[d].at_s = st_.cfg.deploys[d].at_s;
  }
  self_ = st_.sim.add_handler(this);
}

void Deployer::start() {
  for (std::uint32_t d = 0; d < st_.cfg.deploys.size(); ++d) {
    const sim::SimTime at = sim::from_seconds(st_.cfg.deploys[d].at_s);
    if (at <= st_.end) st_.sim.schedule_at(at, self_, kStart, d);
  }
}

void Deployer::handle(const sim::Event& e) {
  const auto x = static_cast<std::uint32_t>(e.data);
  switch (e.tag) {
    case kStart: begin(x); return;
    case kReady: ready(x); return;
    case kAvailable: available(x); return;
    case kSigterm: sigterm(x); return;
    case kSpreadClose: spread_close(x); return;
    case kKill:
      if (phase_[x] == Phase::Terminating) remove_server(x, true);
      return;
    case kTick: tick(); return;
    case kCanaryDone:
      for (Unit& unit : runs_[x].units) unit.target_new = unit.replicas;
      reconcile(x);
      return;
    default: throw std::logic_error("Deployer: unknown event tag");
  }
}

void Deployer::begin(std::uint32_t d) {
  if (active_ >= 0) {
    queued_.push_back(d);  // a rollout in progress finishes first
    return;
  }
  active_ = static_cast<std::int32_t>(d);
  const DeployEvent& cfg = st_.cfg.deploys[d];
  Run& r = runs_[d];
  DeployOutcome& o = out_[d];
  r.started = true;
  o.started_s = sim::to_seconds(st_.sim.now());
  // An autoscaled fleet (Kubernetes: a Deployment under an HPA): the replicas are what the
  // autoscaler asked for; the servers it was still starting are left to the new ReplicaSet.
  const bool per_site_scalers = st_.parts.autoscaler && st_.parts.autoscaler->per_site();
  // deploys[].per_site: one Deployment per site (the same manifest applied to every cluster, each
  // under its own HPA: the default with per-site autoscalers), or one spread over the sites.
  const bool split = cfg.per_site.value_or(per_site_scalers) && st_.topo.sites() > 1;
  if (split && !per_site_scalers) throw std::logic_error("Deployer: per-site Deployments need per-site autoscalers");
  r.units.assign(split ? st_.topo.sites() : 1, Unit{});
  for (std::size_t u = 0; u < r.units.size(); ++u) r.units[u].site = split ? static_cast<std::int32_t>(u) : -1;
  // The old ReplicaSets: every server in service (running or crashed, not draining or terminating).
  for (std::uint32_t b = 0; b < st_.servers.size(); ++b) {
    const Server& s = st_.servers[b];
    if (s.present && !s.draining && phase_[b] != Phase::Terminating) {
      const std::uint32_t u = split ? st_.topo.site_of(b) : 0;
      r.units[u].old_rs.push_back(b);
      ++r.units[u].replicas;
      phase_[b] = Phase::Old;
      deploy_of_[b] = d;
      unit_of_[b] = u;
    }
  }
  std::vector<std::uint32_t> handed_by_site;
  const std::uint32_t handed =
      st_.parts.autoscaler ? st_.parts.autoscaler->hand_over(per_site_scalers ? &handed_by_site : nullptr) : 0;
  for (std::size_t u = 0; u < r.units.size(); ++u) r.units[u].replicas += split ? handed_by_site[u] : (u == 0 ? handed : 0);
  if (per_site_scalers && !split) {
    // One Deployment spread over the sites, each site under its own autoscaler: every site's new
    // servers replace its own replicas (the new ReplicaSet keeps the old one's spread, as a topology
    // spread constraint over the sites would), so no site grows or shrinks through the rollout.
    Unit& unit = r.units.front();
    unit.quota = handed_by_site;
    for (std::uint32_t b : unit.old_rs) ++unit.quota[st_.topo.site_of(b)];
  }
  o.per_site = split;
  o.replicas = o.max_surge = o.max_unavailable = 0;
  for (Unit& unit : r.units) {
    const std::uint32_t replicas = unit.replicas;
    // ResolveFenceposts (pkg/controller/deployment/util), per Deployment: maxSurge rounds up,
    // maxUnavailable down; when both come to 0, maxUnavailable is 1 (the API rejects both given as
    // 0; the loader does too).
    unit.surge = scaled_count(cfg.max_surge, cfg.max_surge_percent, replicas, true);
    unit.unavailable = std::min(replicas, scaled_count(cfg.max_unavailable, cfg.max_unavailable_percent, replicas, false));
    if (unit.surge == 0 && unit.unavailable == 0) unit.unavailable = 1;
    unit.target_new = replicas;
    if (cfg.strategy == DeployStrategy::Canary) {
      unit.target_new = std::min(replicas, std::max<std::uint32_t>(1, scaled_count(cfg.canary, cfg.canary_percent, replicas, true)));
    }
    if (cfg.strategy == DeployStrategy::BlueGreen) unit.surge = replicas;  // the whole green set at once
    o.replicas += replicas;
    o.max_surge += unit.surge;
    o.max_unavailable += unit.unavailable;
    if (split) {
      o.sites.push_back({st_.topo.site_name(static_cast<std::size_t>(unit.site)), replicas, unit.surge, unit.unavailable});
    }
  }
  r.next_slot = st_.cfg.base_servers() * (d + 1);
  o.min_available = o.replicas;
  o.peak_servers = o.replicas;
  ensure_ticking();
  reconcile(d);
  check_complete(d);
}

void Deployer::reconcile(std::uint32_t d) {
  const DeployEvent& cfg = st_.cfg.deploys[d];
  Run& r = runs_[d];
  for (std::uint32_t u = 0; u < r.units.size(); ++u) reconcile_unit(d, u);
  if (cfg.strategy == DeployStrategy::Canary && !r.canary_held) {
    // The canary holds once every Deployment has its canary servers available and no more old ones.
    bool at_canary = false, all = true;
    for (const Unit& unit : r.units) {
      at_canary = at_canary || unit.target_new < unit.replicas;
      all = all && unit.new_available >= unit.target_new && unit.old_rs.size() <= unit.replicas - unit.target_new;
    }
    if (at_canary && all) {
      r.canary_held = true;
      const sim::SimTime at = st_.sim.now() + st_.duration(cfg.canary_hold_s);
      if (at <= st_.end) st_.sim.schedule_at(at, self_, kCanaryDone, d);
    }
  }
  DeployOutcome& o = out_[d];
  // Available servers in service (a green set serves only after the switch).
  std::uint32_t available = 0;
  for (const Unit& unit : r.units) {
    available += cfg.strategy == DeployStrategy::BlueGreen && !unit.switched ? 0 : unit.new_available;
    for (std::uint32_t b : unit.old_rs) available += st_.servers[b].up ? 1 : 0;
  }
  o.min_available = std::min(o.min_available, available);
  check_complete(d);
}

void Deployer::reconcile_unit(std::uint32_t d, std::uint32_t u) {
  const DeployEvent& cfg = st_.cfg.deploys[d];
  Unit& r = runs_[d].units[u];
  if (cfg.strategy == DeployStrategy::BlueGreen) {
    while (r.new_rs.size() < r.replicas) start_server(d, u);
    if (!r.switched && r.new_available == r.replicas) {
      // The switch: the balancers send every new connection to the green set; the blue set terminates.
      r.switched = true;
      for (std::uint32_t b : r.new_rs) st_.parts.servers->join(b);
      std::vector<std::uint32_t> old;
      old.swap(r.old_rs);
      for (std::uint32_t b : old) terminate(d, b);
    }
    return;
  }
  // The Deployment controller's rolloutRolling, one sync after another until nothing changes
  // (each scale of a ReplicaSet requeues the Deployment at once): scale the new ReplicaSet up
  // (NewRSNewReplicas), else the old ones down (reconcileOldReplicaSets). Terminating pods are
  // no longer counted in any ReplicaSet's replicas.
  for (;;) {
    const auto current = static_cast<std::int64_t>(r.old_rs.size() + r.new_rs.size());
    const std::int64_t max_total = static_cast<std::int64_t>(r.replicas) + r.surge;
    if (r.new_rs.size() < r.target_new && current < max_total) {
      const std::int64_t up = std::min<std::int64_t>(max_total - current, static_cast<std::int64_t>(r.target_new - r.new_rs.size()));
      for (std::int64_t k = 0; k < up; ++k) start_server(d, u);
      continue;
    }
    if (r.old_rs.empty()) break;
    const std::int64_t min_available = static_cast<std::int64_t>(r.replicas) - r.unavailable;
    const auto new_unavailable = static_cast<std::int64_t>(r.new_rs.size()) - r.new_available;
    const std::int64_t max_scaled_down = current - min_available - new_unavailable;
    if (max_scaled_down <= 0) break;
    const std::size_t floor = r.replicas - r.target_new;  // a canary keeps the rest of the old set
    // cleanupUnhealthyReplicas: unavailable old pods (crashed servers) go first.
    std::int64_t cleaned = 0;
    for (std::size_t i = r.old_rs.size(); i-- > 0 && cleaned < max_scaled_down && r.old_rs.size() > floor;) {
      const std::uint32_t b = r.old_rs[i];
      if (st_.servers[b].up) continue;
      r.old_rs.erase(r.old_rs.begin() + static_cast<std::ptrdiff_t>(i));
      terminate(d, b);
      ++cleaned;
    }
    // scaleDownOldReplicaSetsForRollingUpdate: down to minAvailable available pods.
    std::int64_t available = r.new_available;
    for (std::uint32_t b : r.old_rs) available += st_.servers[b].up ? 1 : 0;
    std::int64_t down = 0;
    if (available > min_available) {
      const std::int64_t want = available - min_available;
      while (down < want && r.old_rs.size() > floor) {
        const std::size_t at = next_old(r);  // the newest pod first (ties of ActivePods' ranking)
        const std::uint32_t b = r.old_rs[at];
        r.old_rs.erase(r.old_rs.begin() + static_cast<std::ptrdiff_t>(at));
        terminate(d, b);
        ++down;
      }
    }
    if (cleaned + down == 0) break;
  }
}

void Deployer::start_server(std::uint32_t d, std::uint32_t u) {
  Run& run = runs_[d];
  Unit& r = run.units[u];
  const DeployEvent& cfg = st_.cfg.deploys[d];
  // Under an autoscaler its free slots are the one pool of server indices.
  const std::uint32_t b = st_.parts.autoscaler ? st_.parts.autoscaler->claim_slot(site_for_new(r)) : run.next_slot++;
  if (b >= st_.servers.size()) throw std::logic_error("Deployer: no server slot left");
  r.new_rs.push_back(b);
  pair_replacements(r);
  phase_[b] = Phase::Starting;
  deploy_of_[b] = d;
  unit_of_[b] = u;
  ++out_[d].servers_started;
  double delay = cfg.ready_after_s;
  if (cfg.ready_jitter_s > 0.0) delay += cfg.ready_jitter_s * rng_ready_.uniform01();
  const sim::SimTime at = st_.sim.now() + st_.duration(delay);
  if (at <= st_.end) st_.sim.schedule_at(at, self_, kReady, b);
}

void Deployer::pair_replacements(Unit& r) {
  for (; r.paired < std::min(r.deleted.size(), r.new_rs.size()); ++r.paired) replaced_by_[r.deleted[r.paired]] = r.new_rs[r.paired];
}

std::uint32_t Deployer::holder_of_slot(std::uint32_t b) const {
  while (b < replaced_by_.size() && replaced_by_[b] != kNone) b = replaced_by_[b];
  return b;
}

std::int32_t Deployer::site_for_new(const Unit& r) const {
  if (r.site >= 0) return r.site;
  if (r.quota.empty()) return -1;
  std::vector<std::int64_t> missing(r.quota.begin(), r.quota.end());
  for (std::uint32_t b : r.new_rs) --missing[st_.topo.site_of(b)];
  std::size_t best = 0;
  for (std::size_t s = 1; s < missing.size(); ++s) {
    if (missing[s] > missing[best]) best = s;
  }
  return static_cast<std::int32_t>(best);
}

std::size_t Deployer::next_old(const Unit& r) const {
  if (r.quota.empty()) return r.old_rs.size() - 1;
  // Each site's servers over its quota (old + new - quota); the newest old server of the site with
  // most (as the ReplicaSet controller deletes first the pods on the nodes with most replicas).
  std::vector<std::int64_t> over(r.quota.size(), 0);
  for (std::size_t s = 0; s < over.size(); ++s) over[s] = -static_cast<std::int64_t>(r.quota[s]);
  for (std::uint32_t b : r.old_rs) ++over[st_.topo.site_of(b)];
  for (std::uint32_t b : r.new_rs) ++over[st_.topo.site_of(b)];
  std::size_t best = r.old_rs.size() - 1;
  for (std::size_t i = r.old_rs.size(); i-- > 0;) {
    if (over[st_.topo.site_of(r.old_rs[i])] > over[st_.topo.site_of(r.old_rs[best])]) best = i;
  }
  return best;
}

void Deployer::ready(std::uint32_t b) {
  const std::uint32_t d = deploy_of_[b];
  phase_[b] = Phase::Ready;
  if (st_.cfg.deploys[d].strategy != DeployStrategy::BlueGreen) {
    // The readiness probe passed: the server joins the endpoints (the balancers' own health checks
    // and slow start apply as for any server that joins).
    st_.parts.servers->join(b);
  }
  const double min_ready = st_.cfg.deploys[d].min_ready_s;
  if (min_ready > 0.0) {
    const sim::SimTime at = st_.sim.now() + st_.duration(min_ready);
    if (at <= st_.end) st_.sim.schedule_at(at, self_, kAvailable, b);
  } else {
    available(b);
  }
}

void Deployer::available(std::uint32_t b) {
  const std::uint32_t d = deploy_of_[b];
  if (phase_[b] != Phase::Ready) return;
  phase_[b] = Phase::Available;
  if (st_.parts.autoscaler) st_.parts.autoscaler->adopt(b);
  ++runs_[d].units[unit_of_[b]].new_available;
  reconcile(d);
}

void Deployer::terminate(std::uint32_t d, std::uint32_t b) {
  const DeployEvent& cfg = st_.cfg.deploys[d];
  Run& r = runs_[d];
  Server& s = st_.servers[b];
  phase_[b] = Phase::Terminating;
  deploy_of_[b] = d;
  Unit& unit = r.units[unit_of_[b]];
  unit.deleted.push_back(b);
  pair_replacements(unit);
  if (st_.parts.autoscaler) st_.parts.autoscaler->release(b);
  ++r.terminating;
  ++out_[d].servers_terminated;
  if (!s.up) {
    remove_server(b, false);  // a crashed pod has no process to stop
    return;
  }
  // Deleted: out of the endpoints at once (the balancers send it nothing new), the preStop hook
  // runs, then SIGTERM; SIGKILL at the end of the grace period (counted from the deletion).
  st_.parts.servers->start_draining(b);
  const sim::SimTime now = st_.sim.now();
  const sim::SimTime grace = st_.duration(cfg.grace_s);
  const sim::SimTime prestop = std::min(grace, st_.duration(cfg.prestop_s));
  if (cfg.on_sigterm != SigtermAction::Close && now + grace <= st_.end) st_.sim.schedule_at(now + grace, self_, kKill, b);
  if (prestop == 0) {
    sigterm(b);  // no preStop hook: SIGTERM at once
  } else if (now + prestop <= st_.end) {
    st_.sim.schedule_at(now + prestop, self_, kSigterm, b);
  }
}

void Deployer::sigterm(std::uint32_t b) {
  if (phase_[b] != Phase::Terminating) return;
  const DeployEvent& cfg = st_.cfg.deploys[deploy_of_[b]];
  Server& s = st_.servers[b];
  switch (cfg.on_sigterm) {
    case SigtermAction::Close:
      remove_server(b, false);
      return;
    case SigtermAction::Spread: {
      const sim::SimTime rest = st_.duration(cfg.grace_s) - std::min(st_.duration(cfg.grace_s), st_.duration(cfg.prestop_s));
      const std::size_t n = s.members.size();
      if (n == 0 || rest <= 0) {
        remove_server(b, false);
        return;
      }
      // n closes evenly over the rest of the grace period, the last one before SIGKILL.
      const sim::SimTime now = st_.sim.now();
      for (std::size_t k = 1; k <= n; ++k) {
        const sim::SimTime at = now + static_cast<sim::SimTime>(static_cast<double>(rest) * static_cast<double>(k) / static_cast<double>(n + 1));
        if (at <= st_.end) st_.sim.schedule_at(at, self_, kSpreadClose, b);
      }
      return;
    }
    case SigtermAction::Ignore: return;
  }
}

void Deployer::spread_close(std::uint32_t b) {
  if (phase_[b] != Phase::Terminating) return;
  Server& s = st_.servers[b];
  // The most recently added established connection (handshakes in progress finish first; SIGKILL
  // takes whatever is left at the end of the grace period).
  for (std::size_t i = s.members.size(); i-- > 0;) {
    const std::uint32_t c = s.members[i];
    if (st_.clients[c].state != ClientState::Connected) continue;
    ++out_[deploy_of_[b]].closed_spread;
    note_closed(c, b);
    st_.parts.connections->close_connection(c, st_.conn.drained);  // WebSocket close 1001, counted as drained
    break;
  }
  if (s.members.empty()) remove_server(b, false);  // nothing left: the process exits
}

void Deployer::remove_server(std::uint32_t b, bool killed) {
  const std::uint32_t d = deploy_of_[b];
  Server& s = st_.servers[b];
  DeployOutcome& o = out_[d];
  std::vector<std::uint32_t> members;
  members.swap(s.members);
  for (std::uint32_t c : members) {
    if (st_.clients[c].state == ClientState::Connected) ++(killed ? o.closed_at_kill : o.closed_at_sigterm);
    close_client(c, b);
  }
  st_.parts.servers->leave(b);
  if (st_.parts.autoscaler) st_.parts.autoscaler->gone(b);
  phase_[b] = Phase::Gone;
  --runs_[d].terminating;
  check_complete(d);
}

void Deployer::close_client(std::uint32_t c, std::uint32_t b) {
  if (st_.clients[c].state == ClientState::Connected) {
    note_closed(c, b);
  } else {
    ++out_[deploy_of_[b]].handshakes_cut;
  }
  // WebSocket close 1001 (going away), or the reset of a killed process: the client reconnects
  // through its backoff; a handshake in progress fails.
  st_.parts.connections->close_for_drain(c, b);
}

void Deployer::note_closed(std::uint32_t c, std::uint32_t b) {
  const std::uint32_t d = deploy_of_[b];
  DeployOutcome& o = out_[d];
  {
    ++o.connections_closed;
    ++interval_closed_;
    const sim::SimTime now = st_.sim.now();
    std::uint32_t& pos = pending_pos_[c];
    if (pos != kNone) {
      // It was closed before and is connected again: that reconnection is done.
      Pending& p = pending_[pos];
      ++out_[p.deploy].reconnected;
      reconnect_s_[p.deploy].record(sim::to_seconds(now - p.since));
      --away_[p.deploy];
      p = {c, d, now};
    } else {
      pos = static_cast<std::uint32_t>(pending_.size());
      pending_.push_back({c, d, now});
    }
    ++away_[d];
    o.peak_disconnected = std::max(o.peak_disconnected, away_[d]);
  }
}

void Deployer::scan() {
  const sim::SimTime now = st_.sim.now();
  for (std::size_t i = pending_.size(); i-- > 0;) {
    const Pending p = pending_[i];
    const ClientState state = st_.clients[p.client].state;
    if (state != ClientState::Connected && state != ClientState::GaveUp && state != ClientState::Left) continue;
    if (state == ClientState::GaveUp) {
      ++out_[p.deploy].gave_up;
    } else {
      ++out_[p.deploy].reconnected;
      reconnect_s_[p.deploy].record(sim::to_seconds(now - p.since));
      const double at = sim::to_seconds(now) - *out_[p.deploy].started_s;
      out_[p.deploy].all_reconnected_s = std::max(out_[p.deploy].all_reconnected_s.value_or(0.0), at);
    }
    pending_pos_[p.client] = kNone;
    --away_[p.deploy];
    pending_[i] = pending_.back();
    pending_pos_[pending_[i].client] = static_cast<std::uint32_t>(i);
    pending_.pop_back();
  }
}

void Deployer::ensure_ticking() {
  if (ticking_) return;
  ticking_ = true;
  tick_count_ = 0;
  retries_at_bin_ = st_.conn.retries;
  const sim::SimTime at = st_.sim.now() + kTickNs;
  if (at <= st_.end) st_.sim.schedule_at(at, self_, kTick, 0);
}

bool Deployer::busy() const { return active_ >= 0 || !pending_.empty(); }

void Deployer::tick() {
  scan();
  if (++tick_count_ % 10 == 0) {
    // One-second bins of the fleet's reconnection attempts, charged to the latest deploy.
    std::uint32_t last = 0;
    for (std::uint32_t d = 0; d < runs_.size(); ++d) {
      if (runs_[d].started) last = d;
    }
    const std::uint64_t retries = st_.conn.retries - retries_at_bin_;
    out_[last].peak_retries_per_s = std::max(out_[last].peak_retries_per_s, static_cast<double>(retries));
    retries_at_bin_ = st_.conn.retries;
  }
  if (!busy() && tick_count_ % 10 == 0) {
    ticking_ = false;
    return;
  }
  const sim::SimTime at = st_.sim.now() + kTickNs;
  if (at <= st_.end) {
    st_.sim.schedule_at(at, self_, kTick, 0);
  } else {
    ticking_ = false;
  }
}

void Deployer::check_complete(std::uint32_t d) {
  Run& r = runs_[d];
  DeployOutcome& o = out_[d];
  const double since = sim::to_seconds(st_.sim.now()) - o.started_s.value_or(0.0);
  const bool blue_green = st_.cfg.deploys[d].strategy == DeployStrategy::BlueGreen;
  bool done = true;
  for (const Unit& unit : r.units) {
    done = done && unit.new_available == unit.replicas && unit.old_rs.empty() && (!blue_green || unit.switched || unit.replicas == 0);
  }
  if (!r.complete && done) {
    r.complete = true;
    o.duration_s = since;
  }
  if (r.complete && r.terminating == 0 && !o.finished_s) {
    o.finished_s = since;
    if (o.connections_closed == 0) o.all_reconnected_s = 0.0;
    if (active_ == static_cast<std::int32_t>(d)) {
      active_ = -1;
      if (!queued_.empty()) {
        const std::uint32_t next = queued_.front();
        queued_.erase(queued_.begin());
        begin(next);
      }
    }
  }
}

void Deployer::finish() {
  scan();
  for (const Pending& p : pending_) ++out_[p.deploy].not_reconnected_at_end;
  for (std::size_t d = 0; d < out_.size(); ++d) {
    // Not every client it closed is back (or the deploy never finished): no "all reconnected" time.
    if (away_[d] > 0 || out_[d].gave_up > 0 || !out_[d].finished_s) out_[d].all_reconnected_s.reset();
  }
}

namespace {
using timeseries::Column, timeseries::Scope, timeseries::Type, timeseries::When;

/// Its columns of the time series (fleet rows), in the order it declares them.
struct DeployerColumns {
  timeseries::ColumnGroup group;
  const Column& old = group.add(Scope::Fleet, "deploy_old", Type::Integer, "servers", "servers of the old version", When::Deploys);
  const Column& starting =
      group.add(Scope::Fleet, "deploy_starting", Type::Integer, "servers", "new servers not yet ready", When::Deploys);
  const Column& fresh =
      group.add(Scope::Fleet, "deploy_new", Type::Integer, "servers", "new servers ready (or available)", When::Deploys);
  const Column& terminating = group.add(Scope::Fleet, "deploy_terminating", Type::Integer, "servers",
                                        "old servers shutting down (preStop, grace period)", When::Deploys);
  const Column& closed = group.add(Scope::Fleet, "deploy_closed", Type::Integer, "connections",
                                   "in the interval: connections a rollout closed", When::Deploys);
  const Column& away = group.add(Scope::Fleet, "deploy_away", Type::Integer, "clients",
                                 "clients a rollout disconnected that are not connected again", When::Deploys);
};
}  // namespace

std::vector<const timeseries::Column*> Deployer::columns() { return timeseries::declarations<DeployerColumns>().group.all(); }

void Deployer::sample_fleet(timeseries::DeclaredSeries& row) {
  const auto& col = timeseries::declarations<DeployerColumns>();
  double counts[7] = {0, 0, 0, 0, 0, 0, 0};
  for (Phase p : phase_) counts[static_cast<int>(p)] += 1.0;
  if (active_ >= 0) {
    // The servers of the deploy in progress at this sample time: old, new (starting or not) and terminating.
    const double all = counts[static_cast<int>(Phase::Old)] + counts[static_cast<int>(Phase::Starting)] +
                       counts[static_cast<int>(Phase::Ready)] + counts[static_cast<int>(Phase::Available)] +
                       counts[static_cast<int>(Phase::Terminating)];
    DeployOutcome& o = out_[static_cast<std::size_t>(active_)];
    o.peak_servers = std::max(o.peak_servers, static_cast<std::uint32_t>(all));
  }
  row.set(col.old, counts[static_cast<int>(Phase::Old)]);
  row.set(col.starting, counts[static_cast<int>(Phase::Starting)]);
  row.set(col.fresh, counts[static_cast<int>(Phase::Ready)] + counts[static_cast<int>(Phase::Available)]);
  row.set(col.terminating, counts[static_cast<int>(Phase::Terminating)]);
  row.set(col.closed, static_cast<double>(interval_closed_));
  row.set(col.away, static_cast<double>(pending_.size()));
  interval_closed_ = 0;
}

void Deployer::summarise(RunSummary& summary) const {
  summary.deploys = out_;
  for (std::size_t d = 0; d < out_.size(); ++d) summary.deploys[d].reconnect_s = stats_of(reconnect_s_[d]);
}

void Deployer::conservation(RunSummary& summary, std::uint64_t scaling_drained) const {
  std::uint64_t closed = 0;
  for (std::size_t d = 0; d < out_.size(); ++d) {
    const DeployOutcome& o = out_[d];
    const std::string name = "deploy " + std::to_string(d);
    add_conservation_check(summary, name + " closes", "connections_closed = closed_at_sigterm + closed_spread + closed_at_kill",
                           o.connections_closed, {o.closed_at_sigterm, o.closed_spread, o.closed_at_kill});
    add_conservation_check(summary, name + " reconnections", "connections_closed = reconnected + gave_up + not_reconnected_at_end",
                           o.connections_closed, {o.reconnected, o.gave_up, o.not_reconnected_at_end});
    closed += o.connections_closed;
  }
  if (st_.parts.autoscaler) {
    add_conservation_check(summary, "drains", "drained = closed by autoscaler scale-in drain deadlines + closed by deploys",
                           summary.connections.drained, {scaling_drained, closed});
  } else {
    add_conservation_check(summary, "drains", "drained = closed by [[scaling]] drain deadlines + closed by deploys",
                           summary.connections.drained, {scaling_drained, closed});
  }
}

}  // namespace wsfleet::models
