#pragma once
// The `wsfleet` subcommands. Each add_* registers one subcommand on the app and returns a flag the
// main function checks to run it. Exit statuses: 0 ok, 1 I/O or internal error, 2 bad input,
// 3 conservation check failed.
#include <map>
#include <stdexcept>
#include <vector>
#include <charconv>
#include <cstdint>
#include <functional>
#include <string>

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
Action add_autoscale(CLI::App& app);
Action add_report(CLI::App& app);
Action add_sweep(CLI::App& app);
Action add_plan(CLI::App& app);
Action add_init(CLI::App& app);
Action add_compare(CLI::App& app);
Action add_schema(CLI::App& app);
Action add_calibrate(CLI::App& app);
Action add_storm_map(CLI::App& app);

/// Runs `python -m wsfleet.report DIR [--out FILE]` with the Python that belongs to this install.
int run_report(const std::string& dir, const std::string& out);

/// Runs this installation's Python with `python_args` and returns its exit status (128 + signal
/// when it was killed); `command` names the subcommand in messages.
int run_python(const std::string& command, const std::vector<std::string>& python_args);

/// A subcommand that hands every argument to `main(argv, prog)` of a Python module (sweep, plan).
Action add_python_command(CLI::App& app, const std::string& name, const std::string& description,
                          const std::string& module);

/// A validator for a whole-number option: decimal digits only (no sign, no fraction), in [min, max].
/// Its message names what is allowed and what was given: "--picks: must be a whole number from 1 to
/// 100000000 (got '-1')". Unlike CLI::Range, it refuses "-1" for unsigned options (which CLI11 would
/// otherwise wrap around) and does not print the range in floating point.
inline CLI::Validator whole_number(std::uint64_t min, std::uint64_t max) {
  const std::string allowed = "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  return CLI::Validator(
      [min, max, allowed](std::string& text) -> std::string {
        std::uint64_t value = 0;
        const char* first = text.data();
        const char* last = text.data() + text.size();
        const auto [end, error] = std::from_chars(first, last, value);
        const bool digits_only = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        if (!digits_only || end != last || error != std::errc{} || value < min || value > max) {
          return "must be " + allowed + " (got '" + text + "')";
        }
        return std::string{};
      },
      "INT in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
}

/// Parses repeated NAME=VALUE policy parameters; throws std::invalid_argument on a malformed one.
std::map<std::string, double> parse_params(const std::vector<std::string>& items);

}  // namespace wsfleet::cli
