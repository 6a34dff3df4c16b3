#include "models/policy_params.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cctype>
#include <cmath>
#include <cstddef>

namespace wsfleet::models {

namespace {

std::string lower(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string without_separators(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c != '_' && c != '-') out += c;
  }
  return out;
}

// Optimal string alignment distance (Levenshtein plus adjacent transpositions): "bsae_s" is one
// edit from "base_s", which is the kind of typo people make in scenario files.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::size_t> d((n + 1) * (m + 1));
  auto at = [m, &d](std::size_t i, std::size_t j) -> std::size_t& { return d[i * (m + 1) + j]; };
  for (std::size_t i = 0; i <= n; ++i) at(i, 0) = i;
  for (std::size_t j = 0; j <= m; ++j) at(0, j) = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      std::size_t best = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        best = std::min(best, at(i - 2, j - 2) + 1);
      }
      at(i, j) = best;
    }
  }
  return at(n, m);
}

std::string join_names(const std::vector<std::string>& names) {
  if (names.empty()) return "(none)";
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  return out;
}

}  // namespace

std::string format_number(double value) {
  std::array<char, 64> buf{};
  const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  return std::string(buf.data(), result.ptr);
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  if (word.empty()) return "";
  const std::string w = lower(word);
  // Close enough to be a typo, and not a complete rewrite of a short word ("xy" is not "rr").
  const std::size_t limit = std::min(std::max<std::size_t>(2, w.size() / 3), w.size() - 1);
  std::string best;
  std::size_t best_distance = limit + 1;
  for (const std::string& candidate : candidates) {
    const std::size_t distance = edit_distance(w, lower(candidate));
    if (distance < best_distance) {  // strict: the first of equally close candidates wins
      best_distance = distance;
      best = candidate;
    }
  }
  if (!best.empty()) return best;
  // Abbreviations are far in edit distance but obvious to a reader: "least_conn" or HAProxy's
  // "leastconn" for "least_connections". Compare without separators, and only from 4 characters on.
  const std::string w_bare = without_separators(w);
  if (w_bare.size() < 4) return "";
  for (const std::string& candidate : candidates) {
    if (without_separators(lower(candidate)).starts_with(w_bare)) return candidate;
  }
  return "";
}

Params resolve_params(const std::string& policy, const std::vector<ParamSpec>& specs, const Params& given) {
  std::vector<std::string> allowed;
  allowed.reserve(specs.size());
  for (const ParamSpec& spec : specs) allowed.push_back(spec.name);

  for (const auto& [name, value] : given) {
    (void)value;
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
    std::string message = "unknown parameter '" + name + "' for " + policy;
    const std::string suggestion = closest_match(name, allowed);
    if (!suggestion.empty()) message += "; did you mean '" + suggestion + "'?";
    message += " Allowed: " + join_names(allowed);
    throw ParamError(name, message);
  }

  Params resolved;
  for (const ParamSpec& spec : specs) {
    const auto it = given.find(spec.name);
    const double value = it == given.end() ? spec.default_value : it->second;
    const std::string qualified = policy + "." + spec.name;
    if (!std::isfinite(value)) {
      throw ParamError(spec.name, qualified + " must be a finite number (got " + format_number(value) + ")");
    }
    if (value < spec.min_value || value > spec.max_value) {
      throw ParamError(spec.name, qualified + " must be between " + format_number(spec.min_value) + " and " +
                                      format_number(spec.max_value) + " (got " + format_number(value) + ")");
    }
    if (spec.integer && std::trunc(value) != value) {
      throw ParamError(spec.name, qualified + " must be a whole number (got " + format_number(value) + ")");
    }
    resolved.emplace(spec.name, value);
  }
  return resolved;
}

const PolicyInfo* find_policy(const std::vector<PolicyInfo>& policies, const std::string& name) {
  for (const PolicyInfo& info : policies) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

ParamError unknown_policy_error(const std::string& kind, const std::string& name,
                                const std::vector<PolicyInfo>& known) {
  std::vector<std::string> names;
  names.reserve(known.size());
  for (const PolicyInfo& info : known) names.push_back(info.name);
  std::string message = "unknown " + kind + " policy '" + name + "'";
  const std::string suggestion = closest_match(name, names);
  if (!suggestion.empty()) {
    message += "; did you mean '" + suggestion + "'? Known: ";
  } else {
    message += ". Known: ";
  }
  message += join_names(names);
  return ParamError("", message);
}

}  // namespace wsfleet::models
