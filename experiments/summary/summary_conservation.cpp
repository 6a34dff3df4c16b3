// conservation: the invariants the run checked at its end, by name.
#include "experiments/summary/summary_rows.hpp"

namespace wsfleet::experiments::summary {

void conservation_rows(std::vector<Field>& table) {
  using R = models::RunSummary;
  using C = models::ConservationCheck;
  auto t = summary_rows(table);
  t.object("conservation", "the invariants checked at the end of the run");
  t.flag("conservation.ok",
         [](const R& s) {
           bool ok = true;
           for (const C& c : s.conservation) ok = ok && c.ok;
           return ok;
         },
         "every check holds");
  auto c = t.map("conservation.checks", &R::conservation, &C::name, "by name (e.g. \"attempts\")", "one check");
  c.text("conservation.checks.*.equation", &C::equation, "e.g. \"attempted = established + rejected + failed + pending_at_end\"");
  c.text("conservation.checks.*.values", &C::values, "the numbers, e.g. \"1000 = 990 + 5 + 3 + 2\"");
  c.flag("conservation.checks.*.ok", &C::ok, "the equation holds");
}

}  // namespace wsfleet::experiments::summary
