// `wsfleet storm-map SCENARIO --sizes ... --durations ... --out DIR`: which triggers (a share of
// the servers lost for a time) the fleet recovers from, as a phase diagram; written by the Python
// package (wsfleet.storm); this hands every argument over.
#include "experiments/cli/commands.hpp"

namespace wsfleet::cli {

Action add_storm_map(CLI::App& app) {
  return add_python_command(app, "storm-map", "Map trigger size x duration to recovered or overloaded (metastability)",
                            "wsfleet.storm");
}

}  // namespace wsfleet::cli
