// resolve_params / closest_match and the registries' unknown-name errors.
#include <limits>
#include <string>
#include <vector>

#include "models/backoff_policy.hpp"
#include "models/balancing_policy.hpp"
#include "models/policy_params.hpp"
#include "tests/cpp/catch.hpp"

using wsfleet::models::closest_match;
using wsfleet::models::ParamError;
using wsfleet::models::Params;
using wsfleet::models::ParamSpec;
using wsfleet::models::resolve_params;

namespace {

std::vector<ParamSpec> sample_specs() {
  return {ParamSpec{"base_s", 1.0, 0.001, 60.0, false, "base delay (s)"},
          ParamSpec{"cap_s", 30.0, 0.001, 3600.0, false, "largest delay (s)"},
          ParamSpec{"choices", 2.0, 2.0, 32.0, true, "backends compared (count)"}};
}

// The ParamError thrown by resolve_params for `given`; fails the test if nothing is thrown.
ParamError error_for(const Params& given) {
  try {
    resolve_params("demo", sample_specs(), given);
  } catch (const ParamError& e) {
    return e;
  }
  FAIL("resolve_params accepted invalid parameters");
  return ParamError("", "");
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("resolve_params fills defaults and keeps given values", "[params]") {
  const Params resolved = resolve_params("demo", sample_specs(), {{"cap_s", 10.0}});
  REQUIRE(resolved.size() == 3);
  CHECK(resolved.at("base_s") == 1.0);
  CHECK(resolved.at("cap_s") == 10.0);
  CHECK(resolved.at("choices") == 2.0);
}

TEST_CASE("resolve_params accepts values exactly at the bounds", "[params]") {
  const Params resolved = resolve_params("demo", sample_specs(), {{"base_s", 0.001}, {"choices", 32.0}});
  CHECK(resolved.at("base_s") == 0.001);
  CHECK(resolved.at("choices") == 32.0);
}

TEST_CASE("resolve_params rejects an unknown parameter with a suggestion and the allowed names", "[params]") {
  const ParamError e = error_for({{"bsae_s", 2.0}});
  CHECK(e.param() == "bsae_s");
  const std::string message = e.what();
  CHECK(contains(message, "'bsae_s'"));
  CHECK(contains(message, "did you mean 'base_s'?"));
  CHECK(contains(message, "base_s, cap_s, choices"));
}

TEST_CASE("resolve_params gives no suggestion for a name far from all allowed ones", "[params]") {
  const ParamError e = error_for({{"timeout_ms", 2.0}});
  CHECK(e.param() == "timeout_ms");
  CHECK_FALSE(contains(e.what(), "did you mean"));
  CHECK(contains(e.what(), "base_s, cap_s, choices"));
}

TEST_CASE("resolve_params range errors name the parameter and the allowed range", "[params]") {
  SECTION("below the minimum") {
    const ParamError e = error_for({{"base_s", 0.0}});
    CHECK(e.param() == "base_s");
    CHECK(std::string(e.what()) == "demo.base_s must be between 0.001 and 60 (got 0)");
  }
  SECTION("above the maximum") {
    const ParamError e = error_for({{"choices", 33.0}});
    CHECK(e.param() == "choices");
    CHECK(std::string(e.what()) == "demo.choices must be between 2 and 32 (got 33)");
  }
}

TEST_CASE("resolve_params rejects non-finite values", "[params]") {
  const ParamError nan_error = error_for({{"cap_s", std::numeric_limits<double>::quiet_NaN()}});
  CHECK(nan_error.param() == "cap_s");
  CHECK(contains(nan_error.what(), "demo.cap_s must be a finite number"));
  const ParamError inf_error = error_for({{"cap_s", std::numeric_limits<double>::infinity()}});
  CHECK(inf_error.param() == "cap_s");
  CHECK(contains(inf_error.what(), "(got inf)"));
}

TEST_CASE("resolve_params requires whole numbers for integer parameters", "[params]") {
  const ParamError e = error_for({{"choices", 2.5}});
  CHECK(e.param() == "choices");
  CHECK(std::string(e.what()) == "demo.choices must be a whole number (got 2.5)");
  // A fractional value for a non-integer parameter is fine.
  CHECK(resolve_params("demo", sample_specs(), {{"base_s", 2.5}}).at("base_s") == 2.5);
}

TEST_CASE("closest_match suggests only close candidates", "[params]") {
  const std::vector<std::string> names = {"round_robin", "least_connections", "random", "random_two_choices"};
  CHECK(closest_match("round_robbin", names) == "round_robin");  // one insertion
  CHECK(closest_match("least_conections", names) == "least_connections");
  CHECK(closest_match("radnom", names) == "random");            // one transposition
  CHECK(closest_match("ROUND_ROBIN", names) == "round_robin");  // case is ignored
  CHECK(closest_match("leastconn", names) == "least_connections");  // abbreviation (HAProxy's name)
  CHECK(closest_match("random_two", names) == "random_two_choices");
  CHECK(closest_match("rand", names) == "random");  // two insertions
  CHECK(closest_match("ran", names).empty());       // too short to read as an abbreviation
  CHECK(closest_match("maglev", names).empty());
  CHECK(closest_match("xy", names).empty());
  CHECK(closest_match("", names).empty());
  CHECK(closest_match("random", {}).empty());
}

TEST_CASE("an unknown balancing policy name lists the known ones, with a suggestion when close", "[params]") {
  try {
    wsfleet::models::make_balancing_policy("least_conn", {});
    FAIL("no error for an unknown balancing policy");
  } catch (const ParamError& e) {
    CHECK(e.param().empty());
    std::string known;
    for (const auto& info : wsfleet::models::balancing_policies()) known += (known.empty() ? "" : ", ") + info.name;
    CHECK(known.rfind("round_robin, weighted_round_robin, least_connections", 0) == 0);
    CHECK(std::string(e.what()) ==
          "unknown balancing policy 'least_conn'; did you mean 'least_connections'? Known: " + known);
  }
}

TEST_CASE("registries validate parameters when building a policy", "[params]") {
  REQUIRE_THROWS_AS(wsfleet::models::make_balancing_policy("random_two_choices", {{"choices", 1.0}}), ParamError);
  REQUIRE_THROWS_AS(wsfleet::models::make_balancing_policy("round_robin", {{"choices", 2.0}}), ParamError);
  REQUIRE_THROWS_WITH(wsfleet::models::make_backoff_policy("exponential", {{"base_s", 10.0}, {"cap_s", 5.0}}),
                      "exponential.cap_s must be >= base_s (got cap_s 5, base_s 10)");
  try {
    wsfleet::models::make_backoff_policy("full_jitter", {{"cap_s", 0.5}});  // default base_s is 1
    FAIL("cap_s below the default base_s was accepted");
  } catch (const ParamError& e) {
    CHECK(e.param() == "cap_s");
  }
}

TEST_CASE("every registered policy can be built with its defaults and reports its name", "[params]") {
  for (const auto& info : wsfleet::models::balancing_policies()) {
    CHECK(wsfleet::models::make_balancing_policy(info.name, {})->name() == info.name);
    CHECK_FALSE(info.summary.empty());
  }
  for (const auto& info : wsfleet::models::backoff_policies()) {
    CHECK(wsfleet::models::make_backoff_policy(info.name, {})->name() == info.name);
    CHECK_FALSE(info.summary.empty());
    bool has_max_retries = false;
    for (const auto& spec : info.params) has_max_retries = has_max_retries || spec.name == "max_retries";
    bool preset = false;  // the client presets take the library's own options instead
    for (const auto& p : wsfleet::models::backoff_client_presets()) preset = preset || p.name == info.name;
    if (!preset) CHECK(has_max_retries == (info.name != "none"));  // `none` has nothing to count
  }
}

TEST_CASE("find_policy looks a policy up by its exact name", "[params]") {
  const auto& policies = wsfleet::models::balancing_policies();
  const wsfleet::models::PolicyInfo* found = wsfleet::models::find_policy(policies, "random_two_choices");
  REQUIRE(found != nullptr);
  CHECK(found->name == "random_two_choices");
  REQUIRE(found->params.size() == 1);
  CHECK(found->params[0].name == "choices");
  CHECK(found->params[0].default_value == 2.0);
  CHECK(wsfleet::models::find_policy(policies, "Random") == nullptr);
}
