#pragma once
// Parametric distributions of non-negative quantities (durations, sizes), sampled with sim::Rng.
#include <string>
#include <vector>

#include "sim/random.hpp"

namespace wsfleet::sim {

/// A distribution of a non-negative real quantity. Value type; `sample` is const.
class Distribution {
 public:
  enum class Kind { Constant, Exponential, Uniform, LogNormal, Pareto, Never };

  /// Always `value`.
  static Distribution constant(double value);
  /// Exponential with the given mean (> 0).
  static Distribution exponential(double mean);
  /// Uniform on [low, high), 0 <= low <= high.
  static Distribution uniform(double low, double high);
  /// Log-normal with the given mean (> 0) and standard deviation (>= 0) of the quantity itself.
  static Distribution lognormal(double mean, double stddev);
  /// Pareto (Lomax-shifted classic Pareto) with scale x_m (> 0) and shape alpha (> 0).
  static Distribution pareto(double scale, double shape);
  /// Infinite: the event never happens (e.g. a session that lasts the whole run).
  static Distribution never();

  /// One draw; +infinity for `never`.
  double sample(Rng& rng) const;
  /// The mean (+infinity for `never` and for Pareto with shape <= 1).
  double mean() const;
  Kind kind() const { return kind_; }
  /// A short human-readable form, e.g. "exponential(mean=600)".
  std::string describe() const;
  /// Names accepted by the scenario files, in a stable order.
  static const std::vector<std::string>& kind_names();
  /// The parameters exactly as given to the factory, in its argument order, in the unit of the
  /// quantity (seconds for durations; pareto shape is unitless): constant {value}, exponential
  /// {mean}, uniform {low, high}, lognormal {mean, stddev}, pareto {scale, shape}, never {}.
  /// `make(kind(), parameters())` rebuilds an identical distribution (scenario files rely on it).
  std::vector<double> parameters() const;
  /// Rebuilds a distribution from `kind` and its factory parameters (as `parameters()` returns them);
  /// throws std::invalid_argument on a wrong parameter count or values the factory rejects.
  static Distribution make(Kind kind, const std::vector<double>& parameters);
  /// Same kind and same factory parameters.
  bool operator==(const Distribution& other) const = default;

 private:
  Distribution(Kind k, double a, double b, double given0 = 0.0, double given1 = 0.0)
      : kind_(k), a_(a), b_(b), given0_(given0), given1_(given1) {}
  Kind kind_;
  double a_;
  double b_;
  double given0_;  // factory parameters, kept because a_/b_ are transformed (lognormal: mu, sigma)
  double given1_;
};

}  // namespace wsfleet::sim
