#pragma once
// Named numeric parameters for pluggable policies, with their specification (for validation,
// `wsfleet list` and the Python bindings).
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace wsfleet::models {

/// What one policy parameter is: its name (with unit suffix), default, allowed range and meaning.
struct ParamSpec {
  std::string name;        ///< e.g. "base_s", "choices"
  double default_value;    ///< used when the parameter is not given
  double min_value;        ///< inclusive lower bound
  double max_value;        ///< inclusive upper bound
  bool integer = false;    ///< must be a whole number
  std::string help;        ///< one line, with the unit
};

/// Given parameter values by name.
using Params = std::map<std::string, double>;

/// A bad policy parameter: names the parameter and what is allowed.
class ParamError : public std::invalid_argument {
 public:
  ParamError(std::string param, const std::string& message)
      : std::invalid_argument(message), param_(std::move(param)) {}
  /// The offending parameter's name ("" when the policy name itself is unknown).
  const std::string& param() const { return param_; }

 private:
  std::string param_;
};

/// The description of a registered policy, for listings and validation.
struct PolicyInfo {
  std::string name;                 ///< registry name, e.g. "least_connections"
  std::string summary;              ///< one line
  std::vector<ParamSpec> params;    ///< accepted parameters
};

/// Checks `given` against `specs` (unknown names, non-finite values, ranges, integrality) and
/// returns the complete map with defaults filled in. Throws ParamError naming the parameter;
/// unknown names get a "did you mean" suggestion when one is close.
Params resolve_params(const std::string& policy, const std::vector<ParamSpec>& specs, const Params& given);

/// The closest candidate to `word` by edit distance, or "" if none is close enough to suggest.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace wsfleet::models
