#pragma once
// The common part of the exponential-family policies: a base delay, a cap and a retry limit.
#include <cstdint>
#include <string>

#include "models/backoff_policy.hpp"

namespace wsfleet::models {

/// A backoff policy parameterised by a base delay and a cap (both ns); subclasses give the rule.
class CappedBackoff : public BackoffPolicy {
 public:
  /// The registry name.
  std::string name() const override { return name_; }
  /// Retries allowed before giving up; 0 = unlimited.
  std::uint32_t max_retries() const override { return max_retries_; }
  /// The first retry's base delay, ns.
  sim::SimTime base_ns() const { return base_ns_; }
  /// The largest delay, ns.
  sim::SimTime cap_ns() const { return cap_ns_; }

 protected:
  /// `base_ns` > 0 and `cap_ns` >= base_ns (checked; std::invalid_argument naming `name`); 0 retries = unlimited.
  CappedBackoff(std::string name, sim::SimTime base_ns, sim::SimTime cap_ns, std::uint32_t max_retries);

 private:
  std::string name_;
  sim::SimTime base_ns_;
  sim::SimTime cap_ns_;
  std::uint32_t max_retries_;
};

}  // namespace wsfleet::models
