// The run's identity and cost: version, scenario, seed, simulated and host time, events.
#include "experiments/summary/summary_rows.hpp"
#include "experiments/version.hpp"

namespace wsfleet::experiments::summary {

void run_rows(std::vector<Field>& table) {
  using R = models::RunSummary;
  auto t = summary_rows(table);
  t.text("wsfleet_version", [](const R&) { return std::string(kVersion); }, "version of the wsfleet that wrote it");
  t.object("scenario", "the scenario's identity");
  t.text("scenario.name", &R::scenario_name, "scenario.name");
  t.text("scenario.description", &R::scenario_description, "scenario.description");
  t.integer("seed", &R::seed, "", "run.seed");
  t.integer("replication", &R::replication, "", "run.replication");
  t.number("simulated_seconds", &R::simulated_seconds, "s", "simulated time at the end of the run");
  t.number("wall_seconds", &R::wall_seconds, "s", "host time the run took (differs between identical runs)");
  t.integer("events_processed", &R::events_processed, "events", "events the simulator processed");
  t.number("events_per_second",
           [](const R& s) { return s.wall_seconds > 0 ? static_cast<double>(s.events_processed) / s.wall_seconds : 0.0; },
           "events/s", "events_processed / wall_seconds (differs between identical runs)");
}

}  // namespace wsfleet::experiments::summary
