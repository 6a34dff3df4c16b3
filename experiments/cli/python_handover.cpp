// Subcommands whose work is done by the Python package (report, sweep, plan) start the Python of
// this installation and wait for it; its exit status is the command's.
#include <vector>
#include <string>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

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

int run_python(const std::string& command, const std::vector<std::string>& python_args) {
  const std::string python = find_python();
  std::vector<std::string> args = {python};
  args.insert(args.end(), python_args.begin(), python_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::cout.flush();
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, python.c_str(), nullptr, nullptr, argv.data(), environ);
  if (rc != 0) {
    std::cerr << "wsfleet " << command << ": cannot start Python (" << python << "): " << std::strerror(rc)
              << ". Set WSFLEET_PYTHON to the interpreter where the wsfleet package is installed.\n";
    return 1;
  }
  // Ctrl-C reaches both processes (one process group): Python handles it (a sweep saves what is
  // done and exits 130); this one only waits for that status instead of dying by the signal.
  // Ignored only after the spawn: a child started with SIGINT ignored would never see it.
  struct sigaction ignore {}, previous {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGINT, &ignore, &previous);
  int status = 0;
  int waited = 0;
  while ((waited = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  sigaction(SIGINT, &previous, nullptr);
  if (waited < 0) return 1;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

Action add_python_command(CLI::App& app, const std::string& name, const std::string& description,
                          const std::string& module) {
  auto* cmd = app.add_subcommand(name, description);
  // Every argument, --help included, goes to the Python module, which defines and checks them.
  cmd->prefix_command();
  cmd->allow_extras();
  cmd->set_help_flag();
  return [cmd, name, module]() -> int {
    std::vector<std::string> args = {"-c",
                                     "import sys; from " + module + " import main; "
                                     "sys.exit(main(sys.argv[1:], prog='wsfleet " + name + "'))"};
    for (const std::string& extra : cmd->remaining()) args.push_back(extra);
    return run_python(name, args);
  };
}

}  // namespace wsfleet::cli
