// `wsfleet run` and `wsfleet check`.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include "experiments/cli/commands.hpp"
#include "experiments/resource_estimate.hpp"
#include "experiments/result_writer.hpp"
#include "experiments/scenario_loader.hpp"
#include "experiments/scenario_writer.hpp"
#include "models/fleet.hpp"

#include <nlohmann/json.hpp>

namespace wsfleet::cli {

using models::format_number;

namespace {

struct RunOptions {
  std::string scenario;
  std::string out;
  std::vector<std::string> sets;
  std::uint64_t seed = 0;  // used only when --seed is given
  bool quiet = false;
  bool report = false;
  bool json = false;  // machine-readable stdout: {"summary", "verdict"} for run (Python's), an object for check
  std::string format = "csv";  // run --out: the time series as timeseries.csv, or also timeseries.parquet
  // A replicated run (--precision): handed to the Python package (wsfleet._run_cli), which checks them.
  std::string precision;
  std::vector<std::string> metrics;
  std::string max_replications;
  std::string workers;  // --workers N: worker processes running the replications
  std::string scheduler;  // --scheduler ADDRESS: a Dask cluster running them instead
};

/// `wsfleet run ... --precision R` or `--json`: the arguments for wsfleet._run_cli.main, as the user gave them.
std::vector<std::string> replicated_run_args(const RunOptions& o, bool seed_given) {
  std::vector<std::string> args = {"-c",
                                   "import sys; from wsfleet._run_cli import main; "
                                   "sys.exit(main(sys.argv[1:], prog='wsfleet run'))",
                                   o.scenario};
  auto option = [&](const char* name, const std::string& value) {
    args.push_back(name);
    args.push_back(value);
  };
  if (!o.out.empty()) option("--out", o.out);
  for (const auto& s : o.sets) option("--set", s);
  if (seed_given) option("--seed", std::to_string(o.seed));
  if (o.quiet) args.push_back("--quiet");
  if (o.report) args.push_back("--report");
  if (o.json) args.push_back("--json");
  option("--format", o.format);
  if (!o.precision.empty()) option("--precision", o.precision);
  for (const auto& m : o.metrics) option("--metric", m);
  if (!o.max_replications.empty()) option("--max-replications", o.max_replications);
  if (!o.workers.empty()) option("--workers", o.workers);
  if (!o.scheduler.empty()) option("--scheduler", o.scheduler);
  return args;
}

/// `wsfleet check --json`'s answer for a bad scenario: where and what, as one JSON object.
std::string error_json(const std::string& file, const std::string& message, std::uint32_t line = 0,
                       std::uint32_t column = 0, const std::string& key = "") {
  nlohmann::ordered_json j{{"ok", false}, {"file", file}, {"line", line}, {"column", column}, {"key", key},
                           {"message", message}};
  return j.dump() + "\n";
}

/// A progress line on stderr, shown only once a run has taken more than two seconds.
class ProgressLine {
 public:
  ProgressLine(double duration_s, bool enabled)
      : duration_s_(duration_s), enabled_(enabled), tty_(isatty(STDERR_FILENO) != 0),
        start_(std::chrono::steady_clock::now()), last_(start_) {}
  void update(sim::SimTime now, std::uint64_t events) {
    if (!enabled_) return;
    const auto t = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(t - start_).count();
    const double since = std::chrono::duration<double>(t - last_).count();
    if (elapsed < 2.0 || since < (tty_ ? 0.5 : 10.0)) return;
    last_ = t;
    shown_ = true;
    std::ostringstream line;
    line << "[wsfleet] simulated " << std::fixed << std::setprecision(1) << sim::to_seconds(now) << " / "
         << duration_s_ << " s, " << std::setprecision(2) << static_cast<double>(events) / elapsed / 1e6
         << "M events/s";
    if (tty_) std::cerr << "\r" << line.str() << "\x1b[K" << std::flush;
    else std::cerr << line.str() << "\n";
  }
  void finish() {
    if (shown_ && tty_) std::cerr << "\r\x1b[K" << std::flush;
  }

 private:
  double duration_s_;
  bool enabled_, tty_, shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

std::string pct(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) return "-";
  std::ostringstream os;
  os << std::fixed << std::setprecision(2) << 100.0 * static_cast<double>(part) / static_cast<double>(whole) << "%";
  return os.str();
}

std::string ms(double v) {
  if (!(v == v)) return "-";
  std::ostringstream os;
  os << std::fixed << std::setprecision(v < 10 ? 3 : 1) << v << " ms";
  return os.str();
}

void print_summary(const models::RunSummary& s) {
  const auto& c = s.connections;
  auto row = [](const std::string& k, const std::string& v) { std::cout << "  " << std::left << std::setw(28) << k << v << "\n"; };
  std::cout << "wsfleet run: " << s.scenario_name << " (seed " << s.seed << ", replication " << s.replication << ")\n";
  row("simulated", format_number(s.simulated_seconds) + " s in " + format_number(std::round(s.wall_seconds * 100) / 100) +
                       " s wall, " + std::to_string(s.events_processed) + " events");
  row("servers / clients", std::to_string(s.servers) + " / " + std::to_string(s.clients) + "  (" + s.balancer + ", " + s.backoff + ")");
  row("connection attempts", std::to_string(c.attempted) + "  (retries " + std::to_string(c.retries) + ")");
  row("established", std::to_string(c.established));
  // "N  (x%: 12 server full, 3 no backend)": the reasons that occurred.
  auto with_reasons = [&](std::uint64_t total, std::vector<std::pair<std::uint64_t, const char*>> reasons) {
    std::string out = std::to_string(total) + "  (" + pct(total, c.attempted);
    bool first = true;
    for (const auto& [n, why] : reasons) {
      if (n == 0) continue;
      out += (first ? ": " : ", ") + std::to_string(n) + " " + why;
      first = false;
    }
    return out + ")";
  };
  row("rejected", with_reasons(c.rejected, {{c.rejected_server_full, "server full"},
                                            {c.no_backend, "no live backend"},
                                            {c.rejected_rate_limited, "balancer rate limit"},
                                            {c.rejected_shed, "shed by admission control"}}));
  row("failed", with_reasons(c.failed, {{c.failed_backend_down, "sent to a down server"},
                                        {c.failed_timeout, "handshake timeout"},
                                        {c.failed_source_ports, "balancer out of source ports"},
                                        {c.failed_balancer_down, "balancer down"},
                                        {c.failed_crash, "cut by a crash or drain"},
                                        {c.failed_session_unknown, "Session ID unknown"}}));
  if (s.session_opening.enabled) {
    // The HTTP requests the client library sends before its WebSocket (docs/client_presets.md).
    const auto& o = s.session_opening;
    const std::string cost = std::to_string(o.requests_per_open + 1) + " HTTP requests (" + o.library + ": " +
                             std::to_string(o.requests_per_open) + " before the WebSocket upgrade)";
    std::string line;
    if (c.failed_session_unknown == 0) {
      line = "each reconnect cost " + cost + "; no session failed with Session ID unknown";
    } else {
      // Failed attempts stop at the request that missed the session: say what they did send.
      std::ostringstream each;
      if (o.opens > 0) {
        each << "; its " << o.opens << " attempts sent " << o.requests_sent << " requests (" << std::fixed
             << std::setprecision(1) << static_cast<double>(o.requests_sent) / static_cast<double>(o.opens) << " each)";
      }
      line = "a complete session opening costs " + cost + each.str() + "; " + std::to_string(c.failed_session_unknown) +
             " sessions failed with Session ID unknown: the balancer is not sticky";
    }
    row("before the WebSocket", line);
  }
  row("closed / dropped / drained",
      std::to_string(c.closed) + " / " + std::to_string(c.dropped) + " / " + std::to_string(c.drained));
  row("active at end", std::to_string(c.active_at_end) + "  (peak " + std::to_string(s.peak_connections) + ")");
  row("message latency p50/p99", ms(s.message_latency.p50_ms) + " / " + ms(s.message_latency.p99_ms) +
                                      "  (p99.9 " + ms(s.message_latency.p999_ms) + ")");
  row("handshake latency p99", ms(s.handshake_latency.p99_ms));
  std::ostringstream cpu;
  cpu << std::fixed << std::setprecision(1) << 100 * s.cpu_mean_utilisation << "% mean, " << 100 * s.cpu_peak_utilisation << "% peak";
  row("CPU utilisation", cpu.str());
  auto seconds = [](double v) { return format_number(std::round(v * 1000) / 1000) + " s"; };
  for (const auto& f : s.faults) {
    std::ostringstream os;
    // A fault on a site or a link names the site; the others their server (or balancer) index.
    const bool on_site = !f.site.empty();
    os << f.target << " " << (on_site ? f.site : std::to_string(f.server)) << " at " << format_number(f.at_s) << " s: ";
    if (f.target != "balancer" && (f.target == "site" || !on_site)) {
      if (f.detected_within_s) {
        os << "out of the balancer after " << seconds(*f.detected_within_s);
      } else {
        os << "never taken out of the balancer";
      }
      if (f.tries_while_undetected > 0) os << " (" << f.tries_while_undetected << " tries reached it)";
      os << ", ";
    }
    if (f.messages_lost + f.heartbeats_lost > 0) {
      os << f.messages_lost << " messages and " << f.heartbeats_lost << " heartbeats lost, ";
    }
    if (f.connections_dropped == 0) {
      os << "no connection dropped";
    } else {
      os << f.connections_dropped << " dropped, ";
      if (f.reconnected_within_s) os << "all back within " << seconds(*f.reconnected_within_s);
      else os << "not all back by the end";
    }
    const bool crash = f.target == "server" || f.target == "balancer" || f.target == "site";
    row(crash ? "crash" : "fault", os.str());
  }
  for (const auto& b : s.balancers) {
    if (b.port_exhausted == 0 && b.rate_limited == 0 && s.balancers.size() == 1) continue;
    std::ostringstream os;
    os << b.routed << " routed";
    if (b.rate_limited) os << ", " << b.rate_limited << " over its rate limit";
    if (b.port_exhausted) os << ", " << b.port_exhausted << " with no free source port (peak " << b.peak_ports << " per backend)";
    row("balancer " + std::to_string(b.index), os.str());
  }
  row("conservation", "ok");
}

}  // namespace

Action add_run(CLI::App& app) {
  auto opts = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Run one scenario; print a summary and optionally write results");
  cmd->add_option("scenario", opts->scenario, "Scenario file (TOML)")->required();
  // run.seed is a TOML integer: at most 2^63 - 1.
  auto* seed = cmd->add_option("--seed", opts->seed, "Master seed (overrides run.seed)")
                   ->check(whole_number(0, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
  cmd->add_option("--out", opts->out, "Directory for summary.json, timeseries.csv, scenario.toml");
  cmd->add_option("--set", opts->sets, "Override a scenario key, e.g. --set clients.count=5000 (repeatable)");
  cmd->add_flag("--quiet,-q", opts->quiet, "No progress line");
  cmd->add_flag("--report", opts->report, "Also write DIR/report.html (needs --out)");
  cmd->add_flag("--json", opts->json,
                "Print {\"summary\": summary.json, \"verdict\": the report's verdict (status, words, limit, figure, "
                "text)} on stdout instead of the summary (implies --quiet)");
  cmd->add_option("--format", opts->format,
                  "Time series format with --out: csv (timeseries.csv), or parquet (timeseries.parquet beside it)")
      ->check(CLI::IsMember({"csv", "parquet"}));
  auto* precision = cmd->add_option("--precision", opts->precision,
                                    "Replicate (run.replication = 0, 1, ...) until the 95% confidence interval of "
                                    "each --metric's mean is within +-R of the mean (0 < R < 1, e.g. 0.05)")
                        ->type_name("R");
  auto* metric = cmd->add_option("--metric", opts->metrics,
                                 "With --precision: a metric held to it, e.g. messages.latency_ms.p99 (repeatable; "
                                 "default p99 message and handshake latency, peak CPU, peak connections per server)")
                     ->type_name("NAME");
  auto* cap = cmd->add_option("--max-replications", opts->max_replications,
                              "With --precision: at most N replications (N >= 2, default 30)")
                  ->type_name("N");
  auto* workers = cmd->add_option("--workers", opts->workers,
                                  "With --precision: worker processes running the replications (default one per "
                                  "core, as sweeps; 0: one after another); the result is the same whatever N")
                      ->type_name("N");
  auto* scheduler = cmd->add_option("--scheduler", opts->scheduler,
                                    "With --precision: run the replications on a Dask cluster instead, e.g. "
                                    "tcp://host:8786 (as sweeps); the result is the same")
                        ->type_name("ADDRESS");
  return [opts, seed, precision, metric, cap, workers, scheduler]() -> int {
    if (precision->count() > 0 || metric->count() > 0 || cap->count() > 0 || workers->count() > 0 ||
        scheduler->count() > 0 || opts->json) {
      // Every check (values, metric names, --report/--format without --out) is the Python side's. --json
      // goes there too: its answer carries the verdict, which only the Python package computes
      // (wsfleet._limits); the run is the same loader and engine.
      return run_python("run", replicated_run_args(*opts, seed->count() > 0));
    }
    if (opts->report && opts->out.empty()) {
      std::cerr << "wsfleet run: --report needs --out DIR\n";
      return kExitBadInput;
    }
    if (opts->format != "csv" && opts->out.empty()) {
      std::cerr << "wsfleet run: --format needs --out DIR\n";
      return kExitBadInput;
    }
    std::vector<std::string> sets = opts->sets;
    if (seed->count() > 0) sets.push_back("run.seed=" + std::to_string(opts->seed));
    models::FleetConfig cfg;
    std::unique_ptr<models::Fleet> fleet;
    try {
      cfg = experiments::load_scenario_file(opts->scenario, sets);
      fleet = std::make_unique<models::Fleet>(cfg);
    } catch (const experiments::ScenarioError& e) {
      std::cerr << e.what() << "\n";
      return kExitBadInput;
    } catch (const models::ParamError& e) {
      std::cerr << opts->scenario << ": " << e.what() << "\n";
      return kExitBadInput;
    } catch (const std::invalid_argument& e) {
      std::cerr << opts->scenario << ": " << e.what() << "\n";
      return kExitBadInput;
    }
    if (!opts->out.empty()) experiments::check_run_directory(opts->out);  // I/O error (exit 1) before the run, not after
    ProgressLine progress(cfg.run.duration_s, !opts->quiet);
    models::RunResult result;
    try {
      result = fleet->run([&](sim::SimTime now, std::uint64_t n) { progress.update(now, n); });
    } catch (const models::ConservationError& e) {
      progress.finish();
      std::cerr << "wsfleet run: " << e.what() << "\n";
      return kExitConservation;
    }
    progress.finish();
    print_summary(result.summary);
    if (!opts->out.empty()) {
      experiments::write_run_directory(opts->out, cfg, result);
      std::cout << "results written to " << opts->out << "/ (summary.json, timeseries.csv, scenario.toml)\n";
      if (opts->format == "parquet") {
        // The Parquet file is the CSV's table, written by the Python package (pyarrow).
        if (const int rc = run_python("run", {"-m", "wsfleet._timeseries_parquet", opts->out}); rc != 0) return rc;
      }
      if (opts->report) return run_report(opts->out, "");
    }
    return 0;
  };
}

Action add_check(CLI::App& app) {
  auto opts = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("check", "Validate a scenario file without running it");
  cmd->add_option("scenario", opts->scenario, "Scenario file (TOML)")->required();
  cmd->add_option("--set", opts->sets, "Override a scenario key (repeatable)");
  auto effective = std::make_shared<bool>(false);
  cmd->add_flag("--effective", *effective, "Print the effective scenario: every key with the value a run would use");
  cmd->add_flag("--json", opts->json,
                "Print one JSON object: ok, file, and the counts; or ok = false with file, line, column, key, message");
  return [opts, effective]() -> int {
    try {
      const auto cfg = experiments::load_scenario_file(opts->scenario, opts->sets);
      models::Fleet fleet(cfg);  // builds the policies: their parameters are validated too
      if (*effective) {
        std::cout << experiments::scenario_to_toml(cfg);
        return 0;
      }
      // The estimates the loader checked (the same path as `run`), for the user to see.
      const experiments::EventEstimate events = experiments::estimate_events(cfg);
      const experiments::MemoryEstimate memory = experiments::estimate_memory(cfg);
      if (opts->json) {
        nlohmann::ordered_json j{{"ok", true}, {"file", opts->scenario}, {"servers", cfg.fleet.servers},
                                 {"clients", cfg.clients.count}, {"balancer", cfg.balancer.policy},
                                 {"backoff", cfg.backoff.policy}, {"duration_s", cfg.run.duration_s},
                                 {"estimated_events", events.events}, {"estimated_deliveries", events.deliveries},
                                 {"estimated_seconds", events.seconds}, {"estimated_memory_bytes", memory.bytes}};
        std::cout << j.dump() << "\n";
        return 0;
      }
      std::cout << opts->scenario << ": ok (" << cfg.fleet.servers << " servers, " << cfg.clients.count << " clients, "
                << cfg.balancer.policy << ", " << cfg.backoff.policy << ", " << format_number(cfg.run.duration_s)
                << " s)\n";
      std::ostringstream mem;
      mem << std::fixed << std::setprecision(memory.bytes < 1e9 ? 0 : 1)
          << (memory.bytes < 1e9 ? memory.bytes / 1e6 : memory.bytes / 1e9) << (memory.bytes < 1e9 ? " MB" : " GB");
      std::cout << "  estimate: " << experiments::describe_estimate(events) << " of computing, about " << mem.str()
                << " of memory\n";
      return 0;
    } catch (const experiments::ScenarioError& e) {
      std::cerr << e.what() << "\n";
      if (opts->json) std::cout << error_json(e.file(), e.message(), e.line(), e.column(), e.key());
    } catch (const std::invalid_argument& e) {
      std::cerr << opts->scenario << ": " << e.what() << "\n";
      if (opts->json) std::cout << error_json(opts->scenario, e.what());
    }
    return kExitBadInput;
  };
}

}  // namespace wsfleet::cli
