#include "models/cpu_queue.hpp"

#include <algorithm>
#include <stdexcept>

namespace wsfleet::models {

CpuQueue::CpuQueue(std::uint32_t cores) {
  if (cores == 0) throw std::invalid_argument("CpuQueue: cores must be >= 1");
  cores_.resize(cores);
}

sim::SimTime CpuQueue::submit(sim::SimTime now, sim::SimTime cost, int kind, sim::SimTime extra) {
  Core& core = earliest_free();
  const sim::SimTime start = std::max(now, core.free_at);
  core.free_at = start + cost;
  submitted_ns_ += cost;
  if (kind >= 0) {
    core.jobs.push_back(Job{core.free_at, core.free_at - now + extra, kind});
    ++tracked_;
  }
  return core.free_at;
}

sim::SimTime CpuQueue::wait_ns(sim::SimTime now) const {
  sim::SimTime earliest = cores_.front().free_at;
  for (const auto& c : cores_) earliest = std::min(earliest, c.free_at);
  return std::max<sim::SimTime>(0, earliest - now);
}

std::uint64_t CpuQueue::tracked_pending(int kind, int mask) const {
  std::uint64_t n = 0;
  for (const auto& c : cores_) {
    c.jobs.for_each([&](const Job& j) { n += (j.kind & mask) == kind ? 1 : 0; });
  }
  return n;
}

sim::SimTime CpuQueue::remaining_work(sim::SimTime now) const {
  sim::SimTime total = 0;
  for (const auto& c : cores_) total += std::max<sim::SimTime>(0, c.free_at - now);
  return total;
}

}  // namespace wsfleet::models
