#pragma once
// Comparing backends by connections per unit of weight, without dividing (as NGINX least_conn does).
#include <cstdint>

#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// True when `a` carries strictly fewer active connections per unit of weight than `b`, compared
/// by cross-multiplication: a.conns * b.weight < b.conns * a.weight. Weights must be > 0.
inline bool fewer_connections_per_weight(const BackendState& a, const BackendState& b) {
  return static_cast<double>(a.active_connections) * b.weight < static_cast<double>(b.active_connections) * a.weight;
}

}  // namespace wsfleet::models
