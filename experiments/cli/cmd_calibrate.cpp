// `wsfleet calibrate --command "..." | --pid PID --port PORT ...`: measuring a real server's costs is
// done by the Python package (wsfleet.calibrate: real WebSocket clients on loopback and the server
// process's own CPU and memory accounting); this hands every argument over.
#include "experiments/cli/commands.hpp"

namespace wsfleet::cli {

Action add_calibrate(CLI::App& app) {
  return add_python_command(app, "calibrate",
                            "Measure a real WebSocket server's costs on loopback and write a scenario's cost section",
                            "wsfleet.calibrate");
}

}  // namespace wsfleet::cli
