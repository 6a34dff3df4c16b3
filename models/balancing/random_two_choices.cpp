#include "models/balancing/random_two_choices.hpp"

#include <algorithm>
#include <stdexcept>

#include "models/balancing/connection_load.hpp"

namespace wsfleet::models {

namespace {
// Rejection tries per wanted choice before falling back to the explicit pool. With half the
// backends eligible, 8 tries all fail with probability 1/256, so the fallback is rare.
constexpr std::size_t kTriesPerChoice = 8;
}  // namespace

RandomTwoChoices::RandomTwoChoices(std::size_t choices) : choices_(choices) {
  if (choices_ == 0) throw std::invalid_argument("random_two_choices needs at least one choice");
  drawn_.reserve(choices_);
}

int RandomTwoChoices::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  const std::size_t n = backends.size();
  if (n == 0) return kNoBackend;
  drawn_.clear();
  int best = kNoBackend;
  auto consider = [&](std::size_t index) {
    drawn_.push_back(index);
    // Strictly fewer only: a tie keeps the earlier draw.
    if (best == kNoBackend || fewer_connections_per_weight(backends[index], backends[static_cast<std::size_t>(best)])) {
      best = static_cast<int>(index);
    }
  };
  auto already_drawn = [&](std::size_t index) {
    return std::find(drawn_.begin(), drawn_.end(), index) != drawn_.end();
  };

  for (std::size_t tries = kTriesPerChoice * choices_; tries > 0 && drawn_.size() < choices_; --tries) {
    const auto index = static_cast<std::size_t>(rng.below(n));
    if (backends[index].eligible && !already_drawn(index)) consider(index);
  }
  if (drawn_.size() < choices_) {
    pool_.clear();
    for (std::size_t index = 0; index < n; ++index) {
      if (backends[index].eligible && !already_drawn(index)) pool_.push_back(index);
    }
    while (drawn_.size() < choices_ && !pool_.empty()) {
      const auto slot = static_cast<std::size_t>(rng.below(pool_.size()));
      const std::size_t index = pool_[slot];
      pool_[slot] = pool_.back();
      pool_.pop_back();
      consider(index);
    }
  }
  return best;
}

}  // namespace wsfleet::models
