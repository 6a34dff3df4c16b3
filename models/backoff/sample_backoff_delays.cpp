#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include "models/backoff_policy.hpp"

namespace wsfleet::models {

std::vector<sim::SimTime> backoff_sequence(const BackoffPolicy& policy, std::uint32_t retries, sim::Rng& rng,
                                           RetryCause first) {
  std::vector<sim::SimTime> delays;
  delays.reserve(std::min<std::uint32_t>(retries, 1u << 16));  // grows past that only if the policy keeps retrying
  BackoffState state;
  // A lost connection had been up for an hour (long enough for every uptime rule a preset has).
  if (first == RetryCause::ConnectionLost) policy.on_connected(state, -3600 * sim::kNanosPerSecond);
  sim::SimTime clock = 0;
  RetryContext context{clock, clock, first};
  for (std::uint32_t i = 0; i < retries; ++i) {
    const std::optional<sim::SimTime> delay = policy.retry_delay(state, rng, context);
    if (!delay) break;
    delays.push_back(*delay);
    clock += *delay;
    context = RetryContext{clock, clock, RetryCause::AttemptFailed};  // the next attempt fails as it starts
  }
  return delays;
}

std::vector<sim::SimTime> sample_backoff_delays(const BackoffPolicy& policy, std::uint32_t attempt,
                                                std::size_t samples, sim::Rng& rng, RetryCause first) {
  if (attempt == std::numeric_limits<std::uint32_t>::max()) {
    throw std::invalid_argument("retry number " + std::to_string(attempt) + " is out of range");
  }
  std::vector<sim::SimTime> delays;
  delays.reserve(samples);
  for (std::size_t i = 0; i < samples; ++i) {
    // Replay the earlier retries so that history-dependent policies see a realistic state.
    const std::vector<sim::SimTime> sequence = backoff_sequence(policy, attempt + 1, rng, first);
    if (sequence.size() <= attempt) {
      throw std::invalid_argument(policy.name() + " gives up before retry " + std::to_string(attempt) + " (it makes " +
                                  std::to_string(sequence.size()) + " retries " +
                                  (first == RetryCause::ConnectionLost ? "after a lost connection" : "after a failed first attempt") +
                                  " when every attempt fails)");
    }
    delays.push_back(sequence.back());
  }
  return delays;
}

}  // namespace wsfleet::models
