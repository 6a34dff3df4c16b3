// `wsfleet sweep SCENARIO --out DIR ...`: parameter sweeps are run by the Python package
// (wsfleet.sweep: local worker processes or a Dask cluster); this hands every argument over.
#include "experiments/cli/commands.hpp"

namespace wsfleet::cli {

Action add_sweep(CLI::App& app) {
  return add_python_command(app, "sweep", "Run a parameter sweep (axes x replications), locally or on a Dask cluster",
                            "wsfleet.sweep");
}

}  // namespace wsfleet::cli
