// `wsfleet schema`: the scenario schema as a JSON Schema (for editors), Markdown (the reference
// docs) or the list of every key's dotted path; `--summary`: the JSON Schema of summary.json;
// `--timeseries`: that of one row of timeseries.csv (experiments/timeseries_schema.cpp);
// `--study` and `--plan`: those of a sweep's or plan's study.json and plan.json, which the Python
// package writes and declares (wsfleet/study_schema.py), so they are handed over to it.
#include <iostream>
#include <memory>

#include "experiments/cli/commands.hpp"
#include "experiments/schema/schema.hpp"
#include "experiments/schema/schema_export.hpp"
#include "experiments/summary_schema.hpp"
#include "experiments/timeseries_schema.hpp"

namespace wsfleet::cli {

namespace {
struct SchemaOptions {
  bool markdown = false;
  bool keys = false;
  bool summary = false;
  bool study = false;
  bool plan = false;
  bool timeseries = false;
};
}  // namespace

Action add_schema(CLI::App& app) {
  auto opts = std::make_shared<SchemaOptions>();
  auto* cmd = app.add_subcommand("schema", "Print the scenario schema: a JSON Schema (draft-07) for editors, or the reference as Markdown");
  auto* markdown = cmd->add_flag("--markdown", opts->markdown, "Print docs/scenario_reference.md instead");
  auto* keys = cmd->add_flag("--keys", opts->keys, "Print every key's dotted path, one a line")->excludes(markdown);
  auto* summary = cmd->add_flag("--summary", opts->summary,
                                "Print the JSON Schema of summary.json (docs/summary.schema.json) instead")
                      ->excludes(markdown)
                      ->excludes(keys);
  auto* study = cmd->add_flag("--study", opts->study,
                              "Print the JSON Schema of a sweep's or plan's study.json (docs/study.schema.json) instead")
                    ->excludes(markdown)
                    ->excludes(keys)
                    ->excludes(summary);
  auto* plan = cmd->add_flag("--plan", opts->plan, "Print the JSON Schema of a plan's plan.json (docs/plan.schema.json) instead")
                   ->excludes(markdown)
                   ->excludes(keys)
                   ->excludes(summary)
                   ->excludes(study);
  cmd->add_flag("--timeseries", opts->timeseries,
                "Print the JSON Schema of one row of timeseries.csv: every column, its unit and the rows and runs that "
                "write it (docs/timeseries.schema.json) instead")
      ->excludes(markdown)
      ->excludes(keys)
      ->excludes(summary)
      ->excludes(study)
      ->excludes(plan);
  return [opts]() -> int {
    if (opts->study || opts->plan) {
      return run_python("schema", {"-m", "wsfleet.study_schema", opts->plan ? "--plan" : "--study"});
    }
    if (opts->timeseries) {
      std::cout << experiments::timeseries::json_schema();
    } else if (opts->summary) {
      std::cout << experiments::summary::json_schema();
    } else if (opts->markdown) {
      std::cout << experiments::schema::markdown_reference();
    } else if (opts->keys) {
      for (const std::string& path : experiments::schema::key_paths()) std::cout << path << "\n";
    } else {
      std::cout << experiments::schema::json_schema();
    }
    return 0;
  };
}

}  // namespace wsfleet::cli
