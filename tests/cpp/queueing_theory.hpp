#pragma once
// Closed-form queueing results the request-level routing is checked against (validation.md and the
// literature cited per function). Test-only: the engine never uses them.
#include <cmath>
#include <stdexcept>

namespace wsfleet::testing {

/// M/M/1 mean time in system, 1/(mu - lambda).
inline double mm1_response(double lambda, double mu) { return 1.0 / (mu - lambda); }

/// Erlang B by the stable recursion B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1)).
inline double erlang_b(int c, double a) {
  double b = 1.0;
  for (int k = 1; k <= c; ++k) b = a * b / (k + a * b);
  return b;
}

/// Erlang C: probability that an arrival waits in M/M/c, C = c B / (c - A (1 - B)).
inline double erlang_c(int c, double a) {
  const double b = erlang_b(c, a);
  return c * b / (c - a * (1.0 - b));
}

/// M/M/c mean time in system: Wq + 1/mu with Wq = C / (c mu - lambda).
inline double mmc_response(int c, double lambda, double mu) {
  return erlang_c(c, lambda / mu) / (c * mu - lambda) + 1.0 / mu;
}

/// Round robin of Poisson(lambda) arrivals over n servers: each server sees Erlang-n interarrival
/// times (rate lambda per phase), an E_n/M/1 queue. G/M/1 theory: sigma is the root in (0, 1) of
/// sigma = A*(mu (1 - sigma)) with A*(s) = (lambda / (lambda + s))^n, and the mean time in system is
/// 1 / (mu (1 - sigma)). Iterating from sigma = 0 climbs monotonically to that root.
inline double en_m1_sigma(int n, double lambda, double mu) {
  double sigma = 0.0;
  for (int it = 0; it < 1000000; ++it) {
    const double next = std::pow(lambda / (lambda + mu * (1.0 - sigma)), n);
    if (std::fabs(next - sigma) < 1e-15) return next;
    sigma = next;
  }
  throw std::runtime_error("en_m1_sigma did not converge");
}
inline double en_m1_response(int n, double lambda, double mu) { return 1.0 / (mu * (1.0 - en_m1_sigma(n, lambda, mu))); }

/// Supermarket model (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing", IEEE
/// TPDS 12(10), 2001): Poisson arrivals at rate rho n, n -> infinity exponential(1) FIFO servers, each
/// arrival joins the shortest of d sampled queues. Share of queues with at least i customers:
/// s_i = rho^((d^i - 1)/(d - 1)); mean time in system T_d = sum_{i>=1} rho^((d^i - d)/(d - 1)) in units
/// of the mean service time (= sum_i s_i / rho by Little's law). d >= 2.
inline double supermarket_share(double rho, int d, int i) {
  return std::pow(rho, (std::pow(d, i) - 1.0) / (d - 1.0));
}
inline double supermarket_response(double rho, int d) {
  double t = 0.0;
  for (int i = 1; i < 64; ++i) {
    const double term = std::pow(rho, (std::pow(d, i) - d) / (d - 1.0));
    t += term;
    if (term < 1e-17) break;
  }
  return t;
}

}  // namespace wsfleet::testing
