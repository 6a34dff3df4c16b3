#pragma once
// The `wsfleet` subcommands. Each add_* registers one subcommand on the app and returns a flag the
// main function checks to run it. Exit statuses: 0 ok, 1 I/O or internal error, 2 bad input,
// 3 conservation check failed.
#include <functional>

#include <CLI/CLI.hpp>

namespace wsfleet::cli {

/// Exit status for bad input (scenario, parameters, command line).
inline constexpr int kExitBadInput = 2;
/// Exit status when an end-of-run invariant fails.
inline constexpr int kExitConservation = 3;

/// A registered subcommand's action, returning the process exit status.
using Action = std::function<int()>;

Action add_run(CLI::App& app);
Action add_check(CLI::App& app);
Action add_list(CLI::App& app);
Action add_backoff(CLI::App& app);
Action add_balance(CLI::App& app);
Action add_report(CLI::App& app);

/// Runs `python -m wsfleet.report DIR [--out FILE]` with the Python that belongs to this install.
int run_report(const std::string& dir, const std::string& out);

/// Parses repeated NAME=VALUE policy parameters; throws std::invalid_argument on a malformed one.
std::map<std::string, double> parse_params(const std::vector<std::string>& items);

}  // namespace wsfleet::cli
