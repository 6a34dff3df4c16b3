#pragma once
// A server's CPU as a first-come-first-served queue of work served by `cores` identical cores.
// Completion times follow the Lindley recursion, so no event is needed per job: a job that arrives
// at `now` with cost c starts when the earliest-free core frees up and ends c later. Jobs that must
// be accounted for (messages, heartbeats) are remembered per core until they complete, so a crash
// can drop exactly the unfinished ones.
#include <cstdint>
#include <vector>

#include "sim/ring_fifo.hpp"
#include "sim/time.hpp"

namespace wsfleet::models {

/// A multi-core FCFS work queue with exact per-job latency.
class CpuQueue {
 public:
  /// Marks a job whose completion is not tracked (e.g. a handshake, whose completion is an event).
  static constexpr int kUntracked = -1;

  /// A queue served by `cores` cores (>= 1).
  explicit CpuQueue(std::uint32_t cores);

  /// Submits `cost` ns of work at time `now` (non-decreasing across calls); returns its completion
  /// time. A job with kind >= 0 is tracked until retired or dropped; `extra` ns (a delay before it
  /// reached the server, e.g. TCP retransmissions) are added to the latency it is retired with.
  sim::SimTime submit(sim::SimTime now, sim::SimTime cost, int kind, sim::SimTime extra = 0);

  /// Submits a tracked job (kind >= 0) as submit() does, for a caller that has brought the run up to
  /// `by` (>= now): the core's tracked jobs done by then are retired with fn(kind, latency_ns), and
  /// this job too, at once instead of being remembered, if it completes by then (nothing after `by`
  /// can lose it, and no job of its core completes before it unretired). Returns its completion time.
  template <class Fn>
  sim::SimTime submit_by(sim::SimTime now, sim::SimTime cost, int kind, sim::SimTime by, Fn&& fn, sim::SimTime extra = 0) {
    Core& core = earliest_free();
    const sim::SimTime start = now > core.free_at ? now : core.free_at;
    core.free_at = start + cost;
    submitted_ns_ += cost;
    // The core's earlier jobs done by `by` are retired first, in completion order (this one ends after them).
    while (!core.jobs.empty() && core.jobs.front().completion <= by) {
      fn(core.jobs.front().kind, core.jobs.front().latency);
      core.jobs.pop_front();
      --tracked_;
    }
    if (core.free_at <= by && core.jobs.empty()) {
      fn(kind, core.free_at - now + extra);
    } else {
      core.jobs.push_back(Job{core.free_at, core.free_at - now + extra, kind});
      ++tracked_;
    }
    return core.free_at;
  }

  /// Retires every tracked job completed by `now`, calling fn(kind, latency_ns) for each
  /// (latency = waiting + service).
  template <class Fn>
  void retire(sim::SimTime now, Fn&& fn) {
    for (auto& core : cores_) {
      while (!core.jobs.empty() && core.jobs.front().completion <= now) {
        fn(core.jobs.front().kind, core.jobs.front().latency);
        core.jobs.pop_front();
        --tracked_;
      }
    }
  }

  /// Loses all unfinished work at `now` (a crash): retires completed jobs first with `on_done`,
  /// then calls on_lost(kind) for each unfinished tracked job; the cores become idle.
  template <class Done, class Lost>
  void crash(sim::SimTime now, Done&& on_done, Lost&& on_lost) {
    retire(now, on_done);
    submitted_ns_ -= remaining_work(now);
    for (auto& core : cores_) {
      core.jobs.for_each([&](const Job& j) { on_lost(j.kind); });
      core.jobs.clear();
      core.free_at = now;
    }
    tracked_ = 0;
  }

  /// Core-nanoseconds of work completed by `now` since the start of the run.
  sim::SimTime busy_ns(sim::SimTime now) const { return submitted_ns_ - remaining_work(now); }
  /// How long a job arriving at `now` would wait before a core starts it, ns.
  sim::SimTime wait_ns(sim::SimTime now) const;
  /// Tracked jobs not yet retired.
  std::uint64_t tracked_pending() const { return tracked_; }
  /// Tracked jobs not yet retired whose kind has `kind` in the bits of `mask` (counts by walking the queues).
  std::uint64_t tracked_pending(int kind, int mask = ~0) const;
  /// Number of cores.
  std::uint32_t cores() const { return static_cast<std::uint32_t>(cores_.size()); }

 private:
  struct Job {
    sim::SimTime completion;
    sim::SimTime latency;
    int kind;
  };
  struct Core {
    sim::SimTime free_at = 0;
    sim::RingFifo<Job> jobs;  ///< its tracked jobs, in completion order
  };
  sim::SimTime remaining_work(sim::SimTime now) const;
  /// The core that frees up first (lowest index on ties): FCFS over identical cores.
  Core& earliest_free() {
    std::size_t best = 0;
    for (std::size_t k = 1, n = cores_.size(); k < n; ++k) {
      if (cores_[k].free_at < cores_[best].free_at) best = k;
    }
    return cores_[best];
  }

  std::vector<Core> cores_;
  sim::SimTime submitted_ns_ = 0;
  std::uint64_t tracked_ = 0;
};

}  // namespace wsfleet::models
