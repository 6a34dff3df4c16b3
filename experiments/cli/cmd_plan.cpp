// `wsfleet plan SCENARIO --out DIR ...`: capacity planning is done by the Python package
// (wsfleet.plan: bracketing and bisection over the fleet size); this hands every argument over.
#include "experiments/cli/commands.hpp"

namespace wsfleet::cli {

Action add_plan(CLI::App& app) {
  return add_python_command(app, "plan", "Find the smallest fleet that meets service-level objectives",
                            "wsfleet.plan");
}

}  // namespace wsfleet::cli
