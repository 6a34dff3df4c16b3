#include "sim/distribution.hpp"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace wsfleet::sim {

namespace {
void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(what);
}
}  // namespace

Distribution Distribution::constant(double value) {
  require(std::isfinite(value) && value >= 0.0, "constant distribution: value must be finite and >= 0");
  return {Kind::Constant, value, 0.0, value};
}
Distribution Distribution::exponential(double mean) {
  require(std::isfinite(mean) && mean > 0.0, "exponential distribution: mean must be finite and > 0");
  return {Kind::Exponential, mean, 0.0, mean};
}
Distribution Distribution::uniform(double low, double high) {
  require(std::isfinite(low) && std::isfinite(high) && low >= 0.0 && high >= low,
          "uniform distribution: need 0 <= low <= high");
  return {Kind::Uniform, low, high, low, high};
}
Distribution Distribution::lognormal(double mean, double stddev) {
  require(std::isfinite(mean) && mean > 0.0, "lognormal distribution: mean must be finite and > 0");
  require(std::isfinite(stddev) && stddev >= 0.0, "lognormal distribution: stddev must be finite and >= 0");
  // Parameters of the underlying normal.
  const double sigma2 = std::log1p((stddev * stddev) / (mean * mean));
  return {Kind::LogNormal, std::log(mean) - sigma2 / 2.0, std::sqrt(sigma2), mean, stddev};
}
Distribution Distribution::pareto(double scale, double shape) {
  require(std::isfinite(scale) && scale > 0.0, "pareto distribution: scale must be finite and > 0");
  require(std::isfinite(shape) && shape > 0.0, "pareto distribution: shape must be finite and > 0");
  return {Kind::Pareto, scale, shape, scale, shape};
}
Distribution Distribution::never() { return {Kind::Never, 0.0, 0.0}; }

double Distribution::sample(Rng& rng) const {
  switch (kind_) {
    case Kind::Constant: return a_;
    case Kind::Exponential: return rng.exponential(a_);
    case Kind::Uniform: return rng.uniform(a_, b_);
    case Kind::LogNormal: return std::exp(a_ + b_ * rng.standard_normal());
    case Kind::Pareto: return a_ / std::pow(rng.uniform_open0(), 1.0 / b_);
    case Kind::Never: return std::numeric_limits<double>::infinity();
  }
  return 0.0;
}

double Distribution::mean() const {
  constexpr double inf = std::numeric_limits<double>::infinity();
  switch (kind_) {
    case Kind::Constant: return a_;
    case Kind::Exponential: return a_;
    case Kind::Uniform: return (a_ + b_) / 2.0;
    case Kind::LogNormal: return std::exp(a_ + b_ * b_ / 2.0);
    case Kind::Pareto: return b_ > 1.0 ? b_ * a_ / (b_ - 1.0) : inf;
    case Kind::Never: return inf;
  }
  return 0.0;
}

std::string Distribution::describe() const {
  std::ostringstream os;
  switch (kind_) {
    case Kind::Constant: os << "constant(" << a_ << ")"; break;
    case Kind::Exponential: os << "exponential(mean=" << a_ << ")"; break;
    case Kind::Uniform: os << "uniform(" << a_ << ", " << b_ << ")"; break;
    case Kind::LogNormal: os << "lognormal(mu=" << a_ << ", sigma=" << b_ << ")"; break;
    case Kind::Pareto: os << "pareto(scale=" << a_ << ", shape=" << b_ << ")"; break;
    case Kind::Never: os << "never"; break;
  }
  return os.str();
}

std::vector<double> Distribution::parameters() const {
  switch (kind_) {
    case Kind::Constant:
    case Kind::Exponential: return {given0_};
    case Kind::Uniform:
    case Kind::LogNormal:
    case Kind::Pareto: return {given0_, given1_};
    case Kind::Never: return {};
  }
  return {};
}

Distribution Distribution::make(Kind kind, const std::vector<double>& parameters) {
  const std::size_t wanted = (kind == Kind::Never) ? 0 : (kind == Kind::Constant || kind == Kind::Exponential) ? 1 : 2;
  require(parameters.size() == wanted, "Distribution::make: wrong number of parameters for this kind");
  switch (kind) {
    case Kind::Constant: return constant(parameters[0]);
    case Kind::Exponential: return exponential(parameters[0]);
    case Kind::Uniform: return uniform(parameters[0], parameters[1]);
    case Kind::LogNormal: return lognormal(parameters[0], parameters[1]);
    case Kind::Pareto: return pareto(parameters[0], parameters[1]);
    case Kind::Never: return never();
  }
  return never();
}

const std::vector<std::string>& Distribution::kind_names() {
  static const std::vector<std::string> names = {"constant", "exponential", "uniform", "lognormal", "pareto", "never"};
  return names;
}

}  // namespace wsfleet::sim
