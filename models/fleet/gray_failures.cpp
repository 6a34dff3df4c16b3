#include "models/fleet/gray_failures.hpp"

#include <stdexcept>

#include "models/fleet/server_pool.hpp"

namespace wsfleet::models {

GrayFailures::GrayFailures(FleetState& state) : st_(state), active_(state.cfg.faults.size(), 0) { self_ = st_.sim.add_handler(this); }

bool GrayFailures::needed(const FleetConfig& config) {
  for (const CrashFault& f : config.faults) {
    if (f.target == FaultTarget::SlowServer || f.target == FaultTarget::HealthFlap) return true;
  }
  return false;
}

void GrayFailures::handle(const sim::Event& e) {
  const auto fault = static_cast<std::uint32_t>(e.data);
  if (!active_[fault]) return;  // ended
  const CrashFault& f = st_.cfg.faults[fault];
  Server& s = st_.servers[f.server];
  const sim::SimTime now = st_.sim.now();
  switch (e.tag) {
    case kSlice: {
      // Each core loses 1 - 1/factor of every slice: the work queues behind it, as behind a
      // throttled or shared CPU (the slices show as busy CPU in the time series).
      if (s.up) {
        st_.parts.servers->catch_up(f.server);  // the heartbeats due by now go first (the queue's times only grow)
        const auto take = static_cast<sim::SimTime>(static_cast<double>(kSliceNs) * (1.0 - 1.0 / f.factor));
        for (std::uint32_t k = 0; k < s.cpu.cores() && take > 0; ++k) {
          s.cpu.submit(now, take, CpuQueue::kUntracked);
          stolen_ += take;
        }
      }
      if (now + kSliceNs <= st_.end) st_.sim.schedule_at(now + kSliceNs, self_, kSlice, fault);
      return;
    }
    case kFlap: {
      s.health_failing = !s.health_failing;
      if (s.health_failing) ++flaps_;
      const sim::SimTime half = st_.duration(f.period_s / 2.0);
      if (now + half <= st_.end) st_.sim.schedule_at(now + half, self_, kFlap, fault);
      return;
    }
    default: throw std::logic_error("GrayFailures: unknown event tag");
  }
}

void GrayFailures::slow_start(std::uint32_t fault) {
  if (active_[fault]) return;
  active_[fault] = 1;
  st_.sim.schedule_at(st_.sim.now(), self_, kSlice, fault);
}

void GrayFailures::slow_end(std::uint32_t fault) { active_[fault] = 0; }

void GrayFailures::flap_start(std::uint32_t fault) {
  if (active_[fault]) return;
  active_[fault] = 1;
  st_.sim.schedule_at(st_.sim.now(), self_, kFlap, fault);
}

void GrayFailures::flap_end(std::uint32_t fault) {
  active_[fault] = 0;
  st_.servers[st_.cfg.faults[fault].server].health_failing = false;
}

}  // namespace wsfleet::models
