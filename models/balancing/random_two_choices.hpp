#pragma once
// Power of d choices: sample a few backends, keep the least loaded (HAProxy random(N), NGINX
// `random two least_conn`, Mitzenmacher's "power of two choices").
#include <cstddef>
#include <cstdint>
#include <vector>

#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `random_two_choices`: draws `choices` DISTINCT eligible backends uniformly at random (all the
/// eligible ones when fewer are eligible) and keeps the one with the lowest
/// active_connections/weight (cross-multiplied comparison); on a tie the earlier draw is kept.
///
/// Sampling: each draw is uniform over the eligible backends not drawn yet (sampling without
/// replacement). It is done by rejection (draw an index in [0, n), redraw if ineligible or already
/// drawn) for up to 8 tries per wanted choice, which is cheap when most backends are eligible; if that
/// budget runs out, the remaining draws come from an explicit list of the undrawn eligible backends.
/// Both paths give each remaining eligible backend the same probability, so the distribution of the
/// result is the same; only the number of rng draws differs. Deterministic given the rng.
class RandomTwoChoices final : public BalancingPolicy {
 public:
  /// `choices`: how many distinct backends are compared per pick (>= 1; the registry allows 2..32).
  explicit RandomTwoChoices(std::size_t choices);
  /// The registry name, "random_two_choices".
  std::string name() const override { return "random_two_choices"; }
  /// The least loaded of the sampled backends, or kNoBackend when none is eligible.
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;
  /// Backends compared per pick (count).
  std::size_t choices() const { return choices_; }

 private:
  std::size_t choices_;
  std::vector<std::size_t> drawn_;  ///< scratch: indices drawn in the current pick, in draw order
  std::vector<std::size_t> pool_;   ///< scratch: undrawn eligible indices (fallback path)
};

}  // namespace wsfleet::models
