#include "models/backoff/immediate_backoff.hpp"

#include "models/backoff/backoff_step.hpp"

namespace wsfleet::models {

sim::SimTime ImmediateBackoff::next_delay(BackoffState& state, sim::Rng& rng) const {
  (void)rng;
  record_retry(state, 0);
  return 0;
}

}  // namespace wsfleet::models
