#include "tests/cpp/catch.hpp"
#include "sim/random.hpp"

using wsfleet::sim::Rng;

TEST_CASE("rng streams are reproducible", "[random]") {
  Rng a(42), b(42);
  for (int i = 0; i < 100; ++i) REQUIRE(a.next_u64() == b.next_u64());
}
