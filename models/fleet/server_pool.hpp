#pragma once
// The servers of a run as a component: their CPU queues (the work every connection, heartbeat,
// message and fan-out costs, and the latency it adds), their memory and its limit (an out-of-memory
// kill and the restart after it), and every change of a server's state: crash, restart, joining
// the fleet, draining, leaving it; the server listeners (models/fleet/listeners.hpp) are told of
// each. Its event: the restart after an out-of-memory kill. Its random stream: "servers.service"
// (service times).
//
// Heartbeats as a periodic load: when the connections ask for it (keep_heartbeats), a connection's
// heartbeats are not events but an entry in its server's FIFO of due heartbeats. With one fixed
// interval, re-armed heartbeats stay in due-time order, so the FIFO is sorted; it is drained into the
// CPU queue, each heartbeat at its own due time, whenever something reads or changes the server (its
// CPU queue, its connections) — catch_up(). The CPU queue then sees the same jobs at the same times
// as with one event per heartbeat (only same-nanosecond ties may be ordered differently).
//
// Messages as a Poisson load: when the connections ask for it (keep_messages), the messages of a
// server's connections are one Poisson stream per server, of rate connections / mean gap, kept as
// the time of its next message and drained with the heartbeats, in time order, by the same
// catch_up(); the rate changes only when the connections tell the pool (messages_changed), after
// which the next message is drawn again from then (the stream is memoryless). Each server draws from
// its own streams ("servers.messages" and, with exponential service times, "servers.service", one per
// server), so when a server is caught up never changes its draws. Without the pooled loads
// (run.per_connection_timers), service times come from one stream "servers.service" as before.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>

#include "models/fleet/fleet_state.hpp"
#include "models/fleet/refusal.hpp"
#include "sim/event_handler.hpp"
#include "sim/ring_fifo.hpp"

namespace wsfleet::models {

/// Kinds of tracked CPU jobs (the job's kind carries the client's region in its upper bits).
enum JobKind : int { kJobMessage = 0, kJobHeartbeat = 1 };

/// The servers of one run.
class ServerPool : public sim::EventHandler {
 public:
  /// Creates every server that ever exists (absent ones until a [[scaling]] add).
  explicit ServerPool(FleetState& state);

  void handle(const sim::Event& e) override;

  /// A job's service time on server `b`: its cost, or an exponential draw with that mean ([fleet.cpu]
  /// service_time).
  sim::SimTime service(std::uint32_t b, sim::SimTime cost) {
    if (!exponential_ || cost == 0) return cost;
    return draw_service(per_server_service_ ? rng_service_of_[b] : rng_service_, cost);
  }
  /// Brings server `s` up to now (catch_up) and retires its jobs done by now (counting them delivered).
  void settle(Server& s) {
    catch_up(static_cast<std::uint32_t>(&s - st_.servers.data()));
    s.cpu.retire(st_.sim.now(), [&](int kind, sim::SimTime latency) { on_job_done(s, kind, latency); });
  }
  /// Keeps heartbeats as a periodic load: every `interval` (> 0), `cost` ns of CPU per connection
  /// added with add_heartbeats. Called before the run starts.
  void keep_heartbeats(sim::SimTime interval, sim::SimTime cost);
  /// Client `c`'s connection on `server` (now established, at generation st_.gens[c]) pings every
  /// interval from now on, until its generation changes.
  void add_heartbeats(std::uint32_t server, std::uint32_t c) {
    catch_up(server);  // keeps the FIFO sorted: everything due by now is re-armed before this entry
    const sim::SimTime due = st_.sim.now() + hb_interval_;
    if (due > st_.end) return;
    auto& q = hb_due_[server];
    if (q.empty()) {
      hb_next_[server] = due;
      next_due_[server] = std::min(next_due_[server], due);
    }
    q.push_back(DueHeartbeat{due, c, st_.gens[c]});
  }
  /// An established connection of `server` closes (before its generation changes): its entry, if
  /// any, is now stale. While a server has no stale entry, draining skips the generation check.
  void heartbeats_closed(std::uint32_t server) {
    if (hb_interval_ > 0) ++hb_stale_[server];
  }
  /// Submits the heartbeats of `server` due by now, in time order. Whatever reads or changes a
  /// server's CPU queue calls it first (the pool's own functions do).
  void catch_up(std::uint32_t server) {
    if (next_due_[server] <= st_.sim.now()) run_load(server, st_.sim.now());
  }
  /// Submits the heartbeats of `server` due before now: called before a connection of `server`
  /// closes or the server crashes. A close or crash at the very instant a heartbeat is due comes
  /// first, as in the per-event model, where those events were scheduled before the heartbeat (a
  /// session's idle deadline and a heartbeat both counted from the handshake meet exactly).
  void catch_up_before(std::uint32_t server) {
    if (next_due_[server] < st_.sim.now()) run_load(server, st_.sim.now() - 1);
  }
  /// Keeps the connections' messages as a Poisson load (see the top of this file): each costs `cost`
  /// ns of CPU, a connection sends one every `mean_gap_s` on average; with `need_sender`, each
  /// message's sender is drawn among the server's established connections (its region adds network
  /// latency). Called before the run starts.
  void keep_messages(double mean_gap_s, sim::SimTime cost, bool need_sender);
  /// The number of established connections of `server` changed (it may already show the new count):
  /// the messages due before now are sent at the old rate, the next one is drawn from now at the new.
  void messages_changed(std::uint32_t server);
  /// A uniformly chosen established connection of server `b` (one with connected > 0), drawn from `rng`:
  /// a message's sender.
  std::uint32_t draw_sender(std::uint32_t b, sim::Rng& rng) const;
  /// Keeps a window of each server's message latencies (an [autoscaler] on p99 latency reads it).
  void keep_latency_window() { latency_window_ = true; }
  /// The 99th percentile of server `b`'s message latency (network, queue and work, as the summary's)
  /// over the messages done since the previous call, ms (empty: none done); starts a new window.
  std::optional<double> take_latency_p99(std::uint32_t b) {
    Server& s = st_.servers[b];
    settle(s);  // the messages done by now are in
    if (s.window_latency_ms.count() == 0) return std::nullopt;
    const double p99 = s.window_latency_ms.quantile(0.99);
    s.window_latency_ms.reset();
    return p99;
  }
  /// How long a job arriving now at `server` would wait for a core, ns.
  sim::SimTime cpu_wait_ns(std::uint32_t server) {
    catch_up(server);
    return st_.servers[server].cpu.wait_ns(st_.sim.now());
  }
  /// Queues one tracked job (a heartbeat or a message of client `c`) on a server's CPU and counts it
  /// as sent; returns when it completes. Inline: it runs for every heartbeat and message.
  [[gnu::always_inline]] sim::SimTime submit_job(std::uint32_t server, sim::SimTime cost, JobKind kind, std::uint32_t c) {
    Server& s = st_.servers[server];
    settle(s);  // catches up first
    // The client's region rides in the job's kind, for the network latency added when it completes
    // (the client record is only read when there are regions).
    const int region = st_.topo.regions() > 1 ? st_.clients[c].region : 0;
    const sim::SimTime done = s.cpu.submit(st_.sim.now(), service(server, cost), kind | (region << 1));
    ++(kind == kJobHeartbeat ? st_.beats : st_.msgs).sent;
    return done;
  }
  /// A frame of client `c`'s connection (a heartbeat or a message) reaches `server`: submit_job,
  /// unless a frame-level gray failure loses it (then kLost; models/fleet/gray_failures.hpp).
  [[gnu::always_inline]] sim::SimTime submit_frame(std::uint32_t server, sim::SimTime cost, JobKind kind, std::uint32_t c) {
    if (st_.servers[server].lossy) [[unlikely]] {
      const int region = st_.topo.regions() > 1 ? st_.clients[c].region : 0;
      if (lost(server, kind | (region << 1), st_.sim.now(), c, st_.gens[c])) return kLost;
    }
    return submit_job(server, cost, kind, c);
  }
  /// What submit_frame returns for a lost frame.
  static constexpr sim::SimTime kLost = -1;
  /// Queues untracked work (a handshake, a refusal, a fan-out, a poll) on a server's CPU; returns
  /// when it completes.
  sim::SimTime submit_work(std::uint32_t server, sim::SimTime cost) {
    catch_up(server);
    return st_.servers[server].cpu.submit(st_.sim.now(), service(server, cost), CpuQueue::kUntracked);
  }
  /// True while server `server` sheds load ([fleet.admission] reject_above_backlog_ms: its CPU queue is
  /// longer than that); false without that limit.
  bool over_backlog(std::uint32_t server) {
    return shed_backlog_ > 0 && cpu_wait_ns(server) > shed_backlog_;
  }
  /// The CPU a refusal costs ([fleet.admission] reject_us), ns.
  sim::SimTime reject_cost() const { return cost_reject_; }
  /// Server `server` answers a new connection: its connection limit (ServerFull) and its admission
  /// control ([fleet.admission]: a cheap refusal, Shed); nothing when it takes it.
  std::optional<Refusal> admit(std::uint32_t server);
  /// Memory of a running server without its send buffers: the process plus its connections, MiB.
  double fixed_memory_mib(std::uint32_t server) const;
  /// Kills a server whose memory (connections and send buffers) is over its class's limit.
  void check_memory(std::uint32_t server);
  /// Crashes a running server (fault `fault`): its queued work is lost, the listeners are told, its
  /// connections and handshakes are cut.
  void crash(std::uint32_t server, std::uint32_t fault);
  /// Restarts a server that fault `fault` crashed.
  void restart(std::uint32_t server, std::uint32_t fault);
  /// A server joins the fleet, running (a [[scaling]] addition, a deploy's or an autoscaler's new
  /// server once ready).
  void join(std::uint32_t server);
  /// A server stops taking new connections; its open ones stay until it leaves.
  void start_draining(std::uint32_t server);
  /// A server leaves the fleet; its members must have been closed first.
  void leave(std::uint32_t server);

  /// Fills the summary's messages and heartbeats (with what is still queued at the end).
  void summarise(RunSummary& summary) const;
  /// Adds its conservation checks: every message and heartbeat, and the work left in the queues.
  void conservation(RunSummary& summary) const;

 private:
  enum Tag : std::uint32_t { kMemoryRestart };
  // Inline into settle: it runs for every heartbeat and message that completes.
  [[gnu::always_inline]] void on_job_done(Server& s, int kind, sim::SimTime latency) {
    if ((kind & 1) == kJobHeartbeat) {
      ++st_.beats.delivered;
      return;
    }
    ++st_.msgs.delivered;
    ++s.interval.messages_delivered;
    ++s.metrics_messages;
    // Message latency: the trip from the client to its server plus the server's queueing and work.
    double ms = sim::to_millis(latency);
    if (st_.cfg.topology.enabled()) {
      const auto server = static_cast<std::uint32_t>(&s - st_.servers.data());
      ms += st_.latency(static_cast<std::uint32_t>(kind >> 1), st_.topo.site_of(server)) * 1e-6;
    }
    // One record per message: the fleet and whole-run histograms are merged from the servers' at
    // each sample (merging is exact: same buckets).
    s.interval_latency_ms.record(ms);
    if (latency_window_) [[unlikely]] s.window_latency_ms.record(ms);
  }

  /// Asks the gray failures whether a frame of client `c` (generation `gen`) due at `at` is lost.
  bool lost(std::uint32_t server, int kind, sim::SimTime at, std::uint32_t c, std::uint32_t gen);
  static constexpr sim::SimTime kNever = std::numeric_limits<sim::SimTime>::max();
  /// A connection's next heartbeat, as its server's FIFO keeps it.
  struct DueHeartbeat {
    sim::SimTime due;
    std::uint32_t client, gen;
  };
  /// Submits the heartbeats and messages of `server` due at or before `until`, in time order.
  void run_load(std::uint32_t server, sim::SimTime until);
  /// Submits the heartbeats of `server` due at or before `until`.
  void run_heartbeats(std::uint32_t server, sim::SimTime until);
  /// Submits server `b`'s message due at `at` (the server is being brought up to `by`) and draws its
  /// next one.
  void send_message(std::uint32_t b, sim::SimTime at, sim::SimTime by);
  /// Draws the time of server `b`'s next message after `from` (never past the end of the run).
  sim::SimTime next_message_after(std::uint32_t b, sim::SimTime from);
  static sim::SimTime draw_service(sim::Rng& rng, sim::SimTime cost);

  FleetState& st_;
  std::uint32_t self_ = 0;
  sim::SimTime hb_interval_ = 0, hb_cost_ = 0;        ///< 0: heartbeats are the connections' events
  std::vector<sim::RingFifo<DueHeartbeat>> hb_due_;  ///< per server, sorted by due time
  std::vector<sim::SimTime> hb_next_;                ///< per server: its FIFO's first due time (or never)
  std::vector<std::uint64_t> hb_stale_;              ///< per server: at most this many stale entries
  std::vector<sim::SimTime> next_due_;               ///< per server: its next heartbeat or message (or never)
  sim::SimTime msg_cost_ = 0;                        ///< 0 with no pooled messages
  double msg_gap_s_ = 0.0;                           ///< a connection's mean gap between messages, s
  bool msg_sender_ = false;                          ///< each message draws its sender
  std::vector<sim::SimTime> msg_next_;               ///< per server: its next message (or never)
  std::vector<double> msg_mean_ns_;                  ///< per server: the current mean gap of its stream, ns
  std::vector<sim::Rng> rng_messages_;               ///< per server: "servers.messages"
  sim::Rng rng_service_;
  std::vector<sim::Rng> rng_service_of_;             ///< per server: "servers.service" (pooled loads)
  bool exponential_ = false, per_server_service_ = false;
  bool latency_window_ = false;                      ///< keep Server::window_latency_ms
  sim::SimTime shed_backlog_ = 0, cost_reject_ = 0;
};

}  // namespace wsfleet::models
