#pragma once
// One include for Catch2 2.x and 3.x.
#if WSFLEET_CATCH_VERSION == 3
#include <catch2/catch_approx.hpp>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_floating_point.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
using Catch::Approx;
#else
#include <catch2/catch.hpp>
#endif
// Both versions: Approx, TEMPLATE_TEST_CASE, Catch::Matchers::WithinRel/WithinAbs.
