// The `wsfleet` command line: run, check, list, backoff, balance, report.
#include <iostream>

#include "experiments/cli/commands.hpp"
#include "experiments/version.hpp"

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
      } catch (const std::exception& e) {
        std::cerr << "wsfleet: error: " << e.what() << "\n";
        return 1;
      }
    }
  }
  return 1;
}
