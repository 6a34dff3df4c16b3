// `wsfleet schema`: the scenario schema as a JSON Schema (for editors), Markdown (the reference
// docs) or the list of every key's dotted path; `--summary`: the JSON Schema of summary.json.
#include <iostream>
#include <memory>

#include "experiments/cli/commands.hpp"
#include "experiments/schema/schema.hpp"
#include "experiments/schema/schema_export.hpp"
#include "experiments/summary_schema.hpp"

namespace wsfleet::cli {

namespace {
struct SchemaOptions {
  bool markdown = false;
  bool keys = false;
  bool summary = false;
};
}  // namespace

Action add_schema(CLI::App& app) {
  auto opts = std::make_shared<SchemaOptions>();
  auto* cmd = app.add_subcommand("schema", "Print the scenario schema: a JSON Schema (draft-07) for editors, or the reference as Markdown");
  auto* markdown = cmd->add_flag("--markdown", opts->markdown, "Print docs/scenario_reference.md instead");
  auto* keys = cmd->add_flag("--keys", opts->keys, "Print every key's dotted path, one a line")->excludes(markdown);
  cmd->add_flag("--summary", opts->summary, "Print the JSON Schema of summary.json (docs/summary.schema.json) instead")
      ->excludes(markdown)
      ->excludes(keys);
  return [opts]() -> int {
    if (opts->summary) {
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
