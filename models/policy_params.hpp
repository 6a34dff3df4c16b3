#pragma once
// Named numeric parameters for pluggable policies, with their specification (for validation,
// `wsfleet list` and the Python bindings).
#include <utility>
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

/// The closest candidate to `word` by edit distance (case-insensitive, adjacent transpositions count
/// as one edit), or "" if none is close enough to suggest: at most max(2, length/3) edits and fewer
/// edits than `word` has characters. Equally close candidates: the first in `candidates` wins.
/// Failing that, the first candidate that starts with `word` when '_' and '-' are ignored (an
/// abbreviation of 4+ characters, e.g. "leastconn" for "least_connections").
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

/// The shortest decimal text that reads back as `value` (e.g. "0.5", "1e-09", "inf"), for messages.
std::string format_number(double value);

/// The entry named `name` in `policies`, or nullptr.
const PolicyInfo* find_policy(const std::vector<PolicyInfo>& policies, const std::string& name);

/// The error for an unknown policy name: empty param(), message
/// "unknown <kind> policy 'X'; did you mean 'Y'? Known: a, b, c" (the suggestion only when close).
ParamError unknown_policy_error(const std::string& kind, const std::string& name,
                                const std::vector<PolicyInfo>& known);

}  // namespace wsfleet::models
