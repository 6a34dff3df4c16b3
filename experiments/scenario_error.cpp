#include "experiments/scenario_error.hpp"

#include <utility>

namespace wsfleet::experiments {

namespace {
// Control characters as escapes (a newline as \n): an error is always one line, even when it
// quotes a value (or an override, which names the file) that spans several.
std::string one_line(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[(c >> 4) & 0xF];
      out += kHex[c & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

std::string located(const std::string& file, std::uint32_t line, std::uint32_t column, const std::string& message) {
  if (line == 0) return one_line(file) + ": " + one_line(message);
  return one_line(file) + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + one_line(message);
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
