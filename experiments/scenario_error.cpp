#include "experiments/scenario_error.hpp"

#include <utility>

namespace wsfleet::experiments {

namespace {
std::string located(const std::string& file, std::uint32_t line, std::uint32_t column, const std::string& message) {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}
}  // namespace

ScenarioError::ScenarioError(std::string file, std::uint32_t line, std::uint32_t column, std::string key,
                             std::string message)
    : std::runtime_error(located(file, line, column, message)),
      file_(std::move(file)),
      line_(line),
      column_(line == 0 ? 0 : column),
      key_(std::move(key)),
      message_(std::move(message)) {}

}  // namespace wsfleet::experiments
