#include "models/fleet/client_arrivals.hpp"

#include <algorithm>

#include "models/fleet/connections.hpp"

namespace wsfleet::models {

ClientArrivals::ClientArrivals(FleetState& state) : st_(state) {
  const ClientsSection& cfg = st_.cfg.clients;
  times_.resize(cfg.count);
  sim::Rng rng_arrivals = st_.streams.stream("clients.arrivals");
  const sim::SimTime ramp = st_.duration(cfg.ramp_s);
  for (auto& t : times_) t = static_cast<sim::SimTime>(rng_arrivals.uniform01() * static_cast<double>(ramp));
  if (cfg.wave_share > 0.0) {
    sim::Rng rng_wave = st_.streams.stream("clients.wave");
    const sim::SimTime at = st_.duration(cfg.wave_at_s), window = st_.duration(cfg.wave_window_s);
    for (auto& t : times_) {
      if (rng_wave.uniform01() < cfg.wave_share) t = at + static_cast<sim::SimTime>(rng_wave.uniform01() * static_cast<double>(window));
    }
  }
  std::sort(times_.begin(), times_.end());
  self_ = st_.sim.add_handler(this);
}

void ClientArrivals::start() {
  if (!times_.empty() && times_[0] <= st_.end) st_.sim.schedule_at(times_[0], self_, 0, 0);
}

void ClientArrivals::handle(const sim::Event& e) {
  const auto c = static_cast<std::uint32_t>(e.data);
  if (c + 1 < times_.size()) {
    if (times_[c + 1] <= st_.end) st_.sim.schedule_at(times_[c + 1], self_, 0, c + 1);
  } else {
    std::vector<sim::SimTime>().swap(times_);
  }
  st_.parts.connections->arrive(c);
}

}  // namespace wsfleet::models
