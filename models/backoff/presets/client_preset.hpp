#pragma once
// The common frame of the client-library presets: a retry decision made of "does the library give up
// here?" and "what does it wait?", both seeing the retry context (cause and times).
#include <cmath>
#include <optional>
#include <string>
#include <utility>

#include "models/backoff_policy.hpp"

namespace wsfleet::models {

/// A backoff policy reproducing one client library. Subclasses give `step` and, if the library gives
/// up at some point, `stops`.
class ClientPreset : public BackoffPolicy {
 public:
  /// The registry name.
  std::string name() const final { return name_; }
  /// step() for a failure at time 0 of an attempt started at time 0, whatever `stops` would say.
  sim::SimTime next_delay(BackoffState& state, sim::Rng& rng) const final { return step(state, rng, RetryContext{}); }
  /// No value when stops(), else step().
  std::optional<sim::SimTime> retry_delay(BackoffState& state, sim::Rng& rng, const RetryContext& context) const final {
    if (stops(state, context)) return std::nullopt;
    return step(state, rng, context);
  }

 protected:
  explicit ClientPreset(std::string name) : name_(std::move(name)) {}
  /// The library's delay (ns) before its next attempt; advances `state`.
  virtual sim::SimTime step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const = 0;
  /// True when the library gives up instead of retrying. Default: gives_up(state).
  virtual bool stops(const BackoffState& state, const RetryContext& context) const {
    (void)context;
    return gives_up(state);
  }

 private:
  std::string name_;
};

/// A duration the library computes in (possibly fractional) milliseconds, as ns rounded to nearest.
inline sim::SimTime preset_ms_to_ns(double ms) { return static_cast<sim::SimTime>(std::llround(ms * 1e6)); }

}  // namespace wsfleet::models
