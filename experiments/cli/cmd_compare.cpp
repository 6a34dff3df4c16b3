// `wsfleet compare DIR DIR... [--out FILE]`: runs side by side (a table and overlaid plots), written
// by the Python package (wsfleet.compare); this hands every argument over.
#include "experiments/cli/commands.hpp"

namespace wsfleet::cli {

Action add_compare(CLI::App& app) {
  return add_python_command(app, "compare", "Put run directories side by side: one HTML page, a table and overlaid plots",
                            "wsfleet.compare");
}

}  // namespace wsfleet::cli
