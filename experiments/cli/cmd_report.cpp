// `wsfleet report`: the report is written by the Python package; this hands it over.
#include <vector>
#include <string>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>

#include "experiments/cli/commands.hpp"

extern char** environ;

namespace wsfleet::cli {

namespace {

/// The Python interpreter of this installation: $WSFLEET_PYTHON, else the python next to this
/// executable (a virtual environment's bin/), else the interpreter the package was built with.
std::string find_python() {
  if (const char* env = std::getenv("WSFLEET_PYTHON"); env && *env) return env;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const char* name : {"python", "python3"}) {
      const auto candidate = self.parent_path() / name;
      if (std::filesystem::exists(candidate, ec)) return candidate.string();
    }
  }
#ifdef WSFLEET_PYTHON_EXECUTABLE
  if (std::filesystem::exists(WSFLEET_PYTHON_EXECUTABLE, ec)) return WSFLEET_PYTHON_EXECUTABLE;
#endif
  return "python3";
}

}  // namespace

int run_report(const std::string& dir, const std::string& out) {
  const std::string python = find_python();
  std::vector<std::string> args = {python, "-m", "wsfleet.report", dir};
  if (!out.empty()) {
    args.push_back("--out");
    args.push_back(out);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::cout.flush();
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, python.c_str(), nullptr, nullptr, argv.data(), environ);
  if (rc != 0) {
    std::cerr << "wsfleet report: cannot start Python (" << python << "): " << std::strerror(rc)
              << ". Set WSFLEET_PYTHON to the interpreter where the wsfleet package is installed.\n";
    return 1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

Action add_report(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("report", "Write an HTML capacity-planning report of a run directory");
  cmd->add_option("dir", *dir, "A directory written by 'wsfleet run --out DIR'")->required();
  cmd->add_option("--out", *out, "Report file (default DIR/report.html)");
  return [dir, out]() -> int { return run_report(*dir, *out); };
}

}  // namespace wsfleet::cli
