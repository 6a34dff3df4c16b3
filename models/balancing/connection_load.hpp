#pragma once
// Comparing backends by connections per unit of weight, without dividing (as NGINX least_conn does).
#include <cstdint>

#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// True when a_conns connections over weight a_weight are strictly fewer per unit of weight than
/// b_conns over b_weight, compared by cross-multiplication: a_conns * b_weight < b_conns * a_weight.
/// Weights must be > 0.
inline bool fewer_connections_per_weight(double a_conns, double a_weight, double b_conns, double b_weight) {
  return a_conns * b_weight < b_conns * a_weight;
}

/// True when `a` carries strictly fewer active connections per unit of weight than `b`.
inline bool fewer_connections_per_weight(const BackendState& a, const BackendState& b) {
  return fewer_connections_per_weight(static_cast<double>(a.active_connections), a.weight,
                                      static_cast<double>(b.active_connections), b.weight);
}

}  // namespace wsfleet::models
