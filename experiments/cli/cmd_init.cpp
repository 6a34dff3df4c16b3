// `wsfleet init FILE`: writes a commented starter scenario (wsfleet.starter); this hands it over.
#include "experiments/cli/commands.hpp"

namespace wsfleet::cli {

Action add_init(CLI::App& app) {
  return add_python_command(app, "init", "Write a commented starter scenario to FILE", "wsfleet.starter");
}

}  // namespace wsfleet::cli
