#pragma once
// Slow start (warm-up) of a backend that has just joined or come back: the fraction of its weight
// the balancer gives it, as a function of the time since it turned up.
#include "models/fleet_config.hpp"
#include "sim/time.hpp"

namespace wsfleet::models {

/// The weight factor in (0, 1] `elapsed` after the backend turned up; 1 once the window is over
/// (or when slow start is off).
///  - Linear (HAProxy, src/server.c server_recalc_eweight): w = (16 * whole_seconds + window) / (16 * window),
///    i.e. 1/16 of the weight at once, growing linearly with the whole seconds elapsed.
///  - Power (Envoy, source/common/upstream/load_balancer_impl.cc): max((t / window)^(1 / aggression),
///    min_weight_percent / 100).
double slow_start_factor(const SlowStartSection& slow_start, sim::SimTime elapsed);

/// When the factor is next recomputed after `elapsed`: HAProxy's warm-up task runs every
/// max(1 s, window / 20); Envoy recomputes weights on every pick, approximated here by the same
/// step. Returns a time > elapsed.
sim::SimTime slow_start_next_step(const SlowStartSection& slow_start, sim::SimTime elapsed);

}  // namespace wsfleet::models
