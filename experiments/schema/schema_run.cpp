// [scenario] and [run].
#include "experiments/schema/limits.hpp"
#include "experiments/schema/schema.hpp"
#include "models/fleet_config.hpp"

namespace wsfleet::experiments::schema {

namespace {

// [scenario] fills two members of FleetConfig itself.
Section scenario() {
  using C = models::FleetConfig;
  return {"scenario", false, "The scenario's name and description, for reports and result files.",
          {text("name", &C::name, "used in reports and result file names"),
           text("description", &C::description, "one line for reports")},
          false, ""};
}

Section run() {
  using R = models::RunConfig;
  return {"run", false, "Simulated time, the time series' resolution and the random seeds.",
          {number("duration_s", &R::duration_s, above_upto(0.0, kMaxDurationS), "simulated time"),
           number("sample_interval_s", &R::sample_interval_s, above_upto(0.0, kMaxDurationS),
                  "time-series step (<= run.duration_s; at most 1e6 samples)"),
           integer("seed", &R::seed, 0, kIntMax, "master seed: the same seed and replication give the same result, bit for bit"),
           integer("replication", &R::replication, 0, kIntMax, "replication index: 0, 1, 2, ... give independent runs"),
           flag("per_connection_timers", &R::per_connection_timers,
                "the reference model: one event per heartbeat and per message of every connection (slower); "
                "false: heartbeats as a periodic load on their server and one message stream per server, "
                "equal in distribution"),
           number("max_events", &R::max_events, between(1.0, 1e18),
                  "a run estimated to need more events than this is refused before it starts (`wsfleet check` "
                  "prints the estimate; pooled heartbeats and per-subscriber writes count for the time they take); "
                  "the default 1e10 is about 40 minutes of computing, 50 times a simulated hour of a million clients")},
          false, ""};
}

}  // namespace

std::vector<Section> run_sections() { return {scenario(), run()}; }

std::vector<Section> study_sections() {
  using A = models::AlertsSection;
  return {Section{"alerts", false, "Prometheus rules evaluated on the run by `wsfleet alerts` and the report (docs/monitoring.md).",
                  {text("rules", &A::rules,
                        "a Prometheus rules file (alerting and recording rules), relative to the scenario file's folder")},
                  false, ""},
          Section{"sweep", false, "Axes, replications and method of `wsfleet sweep` (docs/capacity_planning.md).", {}, true,
                  "read and validated by the Python package"},
          Section{"plan", false, "SLOs and search of `wsfleet plan` (docs/capacity_planning.md).", {}, true,
                  "read and validated by the Python package"},
          Section{"storm", false,
                  "Triggers of `wsfleet storm-map`: sizes, durations, the trigger kind (crash, slow_server, "
                  "handshake_blackhole, dropped_messages) and its parameters (docs/operations.md).",
                  {}, true, "read and validated by the Python package"}};
}

}  // namespace wsfleet::experiments::schema
