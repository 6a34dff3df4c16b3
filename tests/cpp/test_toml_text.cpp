// TOML text helpers: floats and strings written for scenario files must read back exactly.
#include <cmath>
#include <limits>
#include <string>

#include <toml++/toml.h>

#include "experiments/toml_text.hpp"
#include "tests/cpp/catch.hpp"

using wsfleet::experiments::human_number;
using wsfleet::experiments::toml_float;
using wsfleet::experiments::toml_string;

namespace {
toml::table parse_v(const std::string& literal) { return toml::parse("v = " + literal, std::string("t")); }
}  // namespace

TEST_CASE("toml_float is a TOML float that reads back to the same double", "[toml_text]") {
  CHECK(toml_float(600.0) == "600.0");
  CHECK(toml_float(0.25) == "0.25");
  CHECK(toml_float(1e20) == "1e+20");
  for (const double x : {0.0, 1.0, 0.1, 1.0 / 3.0, 2.0 / 3.0, 1e-9, 1e-300, 5e-324, 1e15, 1e16, 1e300, 123456789.123,
                         0.30000000000000004, 1234.5678901234567, -2.5, std::numeric_limits<double>::max(),
                         std::numeric_limits<double>::min()}) {
    const std::string text = toml_float(x);
    INFO(text);
    const toml::table t = parse_v(text);
    REQUIRE(t.get("v")->is_floating_point());
    CHECK(t.get("v")->as_floating_point()->get() == x);
  }
  const toml::table negative_zero = parse_v(toml_float(-0.0));
  CHECK(std::signbit(negative_zero.get("v")->as_floating_point()->get()));
  CHECK(toml_float(std::nan("")) == "nan");
  CHECK(toml_float(-std::numeric_limits<double>::infinity()) == "-inf");
}

TEST_CASE("toml_string escapes what TOML requires and reads back verbatim", "[toml_text]") {
  CHECK(toml_string("plain") == "\"plain\"");
  CHECK(toml_string("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(toml_string("tab\tnl\n\x01") == "\"tab\\tnl\\n\\u0001\"");
  for (const std::string& s : {std::string(""), std::string("quote \" backslash \\"), std::string("é ✓ 漢字"),
                              std::string("\b\f\r\n\t\x1f\x7f"), std::string("#not a comment")}) {
    const toml::table t = parse_v(toml_string(s));
    CHECK(t.get("v")->as_string()->get() == s);
  }
}

TEST_CASE("human_number writes whole numbers plainly and others exactly", "[toml_text]") {
  CHECK(human_number(100000.0) == "100000");
  CHECK(human_number(1e7) == "10000000");
  CHECK(human_number(-3.0) == "-3");
  CHECK(human_number(0.5) == "0.5");
  CHECK(human_number(1e-9) == "1e-09");
  CHECK(human_number(1e20) == "1e+20");
  CHECK(human_number(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(human_number(std::nan("")) == "nan");
}
