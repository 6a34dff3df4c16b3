// The `wsfleet` command line: run, check, list, backoff, balance, report, sweep, plan, init, compare, schema,
// calibrate, autoscale.
#include <utility>
#include <iostream>
#include <new>

#include "experiments/cli/commands.hpp"
#include "experiments/version.hpp"
#include "models/policy_params.hpp"

namespace {

/// The first argument that is not an option names the subcommand (the top level takes only flags).
/// CLI11 reports an unknown one as "A subcommand is required"; say which word was not understood,
/// what the commands are, and which one was probably meant. Returns true when it reported one.
bool report_unknown_subcommand(int argc, char** argv, const std::vector<std::string>& names) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.empty() || arg[0] == '-') continue;
    for (const auto& name : names) {
      if (name == arg) return false;
    }
    std::string message = "wsfleet: unknown command '" + arg + "'";
    const std::string suggestion = wsfleet::models::closest_match(arg, names);
    message += suggestion.empty() ? "." : "; did you mean '" + suggestion + "'?";
    message += " Commands:";
    for (std::size_t k = 0; k < names.size(); ++k) message += (k ? ", " : " ") + names[k];
    std::cerr << message << "\nRun 'wsfleet --help' for usage.\n";
    return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wsfleet: discrete-event simulator for scaling WebSocket server fleets"};
  app.set_version_flag("--version", wsfleet::experiments::kVersion);
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, wsfleet::cli::Action>> commands;
  auto add = [&](wsfleet::cli::Action (*fn)(CLI::App&)) {
    const std::size_t before = app.get_subcommands({}).size();
    auto action = fn(app);
    commands.emplace_back(app.get_subcommands({})[before], std::move(action));
  };
  add(wsfleet::cli::add_run);
  add(wsfleet::cli::add_check);
  add(wsfleet::cli::add_list);
  add(wsfleet::cli::add_backoff);
  add(wsfleet::cli::add_balance);
  add(wsfleet::cli::add_report);
  add(wsfleet::cli::add_sweep);
  add(wsfleet::cli::add_plan);
  add(wsfleet::cli::add_init);
  add(wsfleet::cli::add_compare);
  add(wsfleet::cli::add_storm_map);
  add(wsfleet::cli::add_schema);
  add(wsfleet::cli::add_calibrate);
  add([](CLI::App& a) { return wsfleet::cli::add_python_command(a, "export", "Write a run's series as OpenMetrics text (for promtool backfill)", "wsfleet.export"); });
  add([](CLI::App& a) { return wsfleet::cli::add_python_command(a, "alerts", "Evaluate Prometheus alerting rules on a run with promtool: alert times, time to detect", "wsfleet.alerting"); });
  add(wsfleet::cli::add_autoscale);
  std::vector<std::string> names;
  for (const auto& [sub, action] : commands) names.push_back(sub->get_name());
  if (report_unknown_subcommand(argc, argv, names)) return wsfleet::cli::kExitBadInput;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "wsfleet: " << e.what() << "\n";
    std::cerr << "Run 'wsfleet --help' (or 'wsfleet COMMAND --help') for usage.\n";
    return wsfleet::cli::kExitBadInput;
  }
  for (auto& [sub, action] : commands) {
    if (sub->parsed()) {
      try {
        return action();
      } catch (const std::bad_alloc&) {
        std::cerr << "wsfleet: out of memory: this needs more memory than the machine has (the usual causes: "
                     "clients.count, fleet.servers, or a short run.sample_interval_s)\n";
        return 1;
      } catch (const std::exception& e) {
        std::cerr << "wsfleet: error: " << e.what() << "\n";
        return 1;
      }
    }
  }
  return 1;
}
