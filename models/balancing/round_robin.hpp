#pragma once
// Plain round robin over backend indices (weights ignored).
#include <cstddef>
#include <string>
#include <utility>

#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `round_robin`: picks backends in index order 0, 1, 2, ..., skipping ineligible ones and wrapping
/// around. Each pick continues after the previously picked index; the first pick starts at 0.
/// The same rule is the preset `ipvs_rr` (Linux ip_vs_rr.c: next destination after the last one,
/// skipping quiesced/overloaded ones; the list runs newest first, so with `descending` the order is
/// n-1, n-2, ..., 0) and `aws_alb` (an ALB target group's default round robin
/// over its healthy targets; the 60 s idle timeout is the balancer's, not the policy's).
class RoundRobin final : public BalancingPolicy {
 public:
  /// `name`: the registry name this instance answers to ("round_robin", "ipvs_rr", "aws_alb").
  explicit RoundRobin(std::string name = "round_robin", bool descending = false)
      : name_(std::move(name)), descending_(descending) {}
  std::string name() const override { return name_; }
  /// The first eligible index at or after the position following the last pick (cyclically).
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;

 private:
  std::string name_;
  bool descending_;
  std::size_t next_ = 0;  ///< list position where the next search starts
};

}  // namespace wsfleet::models
