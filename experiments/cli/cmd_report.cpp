// `wsfleet report`: the report is written by the Python package; this hands it over.
#include <vector>
#include <string>
#include <memory>

#include "experiments/cli/commands.hpp"

namespace wsfleet::cli {

int run_report(const std::string& dir, const std::string& out) {
  std::vector<std::string> args = {"-m", "wsfleet.report", dir};
  if (!out.empty()) {
    args.push_back("--out");
    args.push_back(out);
  }
  return run_python("report", args);
}

Action add_report(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("report", "Write an HTML capacity-planning report of a run, sweep or plan directory");
  cmd->add_option("dir", *dir, "A directory written by 'wsfleet run|sweep|plan --out DIR'")->required();
  cmd->add_option("--out", *out, "Report file (default DIR/report.html)");
  return [dir, out]() -> int { return run_report(*dir, *out); };
}

}  // namespace wsfleet::cli
