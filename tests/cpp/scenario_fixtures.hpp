#pragma once
// Helpers shared by the scenario-loading tests: the error a scenario text raises (or its message), and
// a substring test.
#include <optional>
#include <string>
#include <vector>

#include "experiments/scenario_error.hpp"
#include "experiments/scenario_loader.hpp"
#include "tests/cpp/catch.hpp"

namespace wsfleet::testing {

/// The error loading `toml` (named "t.toml") with `overrides` raises; fails the test if none.
inline experiments::ScenarioError error_of(const std::string& toml, const std::vector<std::string>& overrides = {}) {
  std::optional<experiments::ScenarioError> caught;
  try {
    experiments::load_scenario_string(toml, "t.toml", overrides);
  } catch (const experiments::ScenarioError& e) {
    caught = e;
  }
  INFO("scenario:\n" << toml);
  REQUIRE(caught.has_value());
  return *caught;
}

/// The message loading `toml` (named "t.toml") raises; "" when it loads.
inline std::string error_message(const std::string& toml) {
  try {
    experiments::load_scenario_string(toml, "t.toml");
  } catch (const experiments::ScenarioError& e) {
    return e.what();
  }
  return "";
}

/// `part` occurs in `text`.
inline bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace wsfleet::testing
