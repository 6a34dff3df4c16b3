#pragma once
// Helpers shared by the scenario-loading tests: the error a scenario text raises (or its message), and
// a substring test.
#include <optional>
#include <string>
#include <vector>

#include "experiments/scenario_error.hpp"
#include "experiments/scenario_loader.hpp"
#include "models/balancing_policy.hpp"
#include "models/fleet_config.hpp"
#include "sim/distribution.hpp"
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

/// The scenario `toml` (named "t.toml") loaded with `overrides`.
inline models::FleetConfig load(const std::string& toml, const std::vector<std::string>& overrides = {}) {
  return experiments::load_scenario_string(toml, "t.toml", overrides);
}

/// "a, b, c": the registered policy names, as the "Known: ..." part of messages lists them (the
/// registries grow, so tests must not hard-code them).
inline std::string known_names(const std::vector<models::PolicyInfo>& registry) {
  std::string out;
  for (const auto& info : registry) out += (out.empty() ? "" : ", ") + info.name;
  return out;
}

/// The "Allowed: ..." part of a message about an unknown key of [clients].
inline const std::string kClientsAllowed =
    "Allowed: count, ramp_s, session, on_session_end, messages_per_minute, replies_per_message, "
    "message_bytes, heartbeat_interval_s, connect_timeout_s, vanish_share, offline_mean_s, wave_share, wave_at_s, "
    "wave_window_s, upgrade_from_polling, skip_negotiation, signalr_transport, remember_upgrade, pusher_fallback, "
    "pusher_fallback_delay_s, pusher_fallback_transport, pusher_transport_cache_ttl_s, honour_retry_after";

/// `part` occurs in `text`.
inline bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// The names the scenario-file tests use: `using namespace wsfleet::testing::scenario_names;`.
namespace scenario_names {
using experiments::load_scenario_file;
using experiments::load_scenario_string;
using experiments::scenario_to_toml;
using experiments::ScenarioError;
using models::CrashFault;
using models::FleetConfig;
using models::SessionEnd;
using sim::Distribution;
using testing::error_of;
using testing::has;
using testing::kClientsAllowed;
using testing::known_names;
using testing::load;
}  // namespace scenario_names

}  // namespace wsfleet::testing
