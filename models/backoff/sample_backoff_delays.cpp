#include "models/backoff_policy.hpp"

namespace wsfleet::models {

std::vector<sim::SimTime> sample_backoff_delays(const BackoffPolicy& policy, std::uint32_t attempt,
                                                std::size_t samples, sim::Rng& rng) {
  std::vector<sim::SimTime> delays;
  delays.reserve(samples);
  for (std::size_t i = 0; i < samples; ++i) {
    BackoffState state;
    // Replay the earlier retries so that history-dependent policies see a realistic last_delay.
    for (std::uint32_t earlier = 0; earlier < attempt; ++earlier) policy.next_delay(state, rng);
    delays.push_back(policy.next_delay(state, rng));
  }
  return delays;
}

}  // namespace wsfleet::models
