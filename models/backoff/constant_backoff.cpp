#include "models/backoff/constant_backoff.hpp"

#include <stdexcept>

#include "models/backoff/backoff_step.hpp"

namespace wsfleet::models {

ConstantBackoff::ConstantBackoff(sim::SimTime delay_ns, std::uint32_t max_retries)
    : delay_ns_(delay_ns), max_retries_(max_retries) {
  if (delay_ns_ < 0) throw std::invalid_argument("constant backoff: delay must be >= 0");
}

sim::SimTime ConstantBackoff::next_delay(BackoffState& state, sim::Rng& rng) const {
  (void)rng;
  record_retry(state, delay_ns_);
  return delay_ns_;
}

}  // namespace wsfleet::models
