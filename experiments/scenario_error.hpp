#pragma once
// The one error type of scenario loading: a message with the place it is about, so the CLI and
// Python can show "FILE:LINE:COL: message" and editors can jump to it.
#include <cstdint>
#include <stdexcept>
#include <string>

namespace wsfleet::experiments {

/// A scenario that cannot be loaded: bad TOML, an unknown or mistyped key, a value out of range,
/// inconsistent values, a bad `--set` override, or an unreadable file. `what()` is exactly
/// "FILE:LINE:COL: message", or "FILE: message" when there is no position (a missing file, or an
/// override, whose FILE is the override itself: "--set clients.count=abc").
class ScenarioError : public std::runtime_error {
 public:
  /// `line` and `column` are 1-based; 0 means "no position" (then both are 0).
  ScenarioError(std::string file, std::uint32_t line, std::uint32_t column, std::string key, std::string message);
  /// Where: the scenario file's name as given, or "--set KEY=VALUE" for an override.
  const std::string& file() const { return file_; }
  /// 1-based line of the offending key or value, 0 if none.
  std::uint32_t line() const { return line_; }
  /// 1-based column of the offending key or value, 0 if none.
  std::uint32_t column() const { return column_; }
  /// The dotted key concerned, as `--set` would name it ("clients.count", "faults.0.at_s"), or ""
  /// when the error is not about one key (syntax errors, unreadable files).
  const std::string& key() const { return key_; }
  /// The message alone, without the location prefix.
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  std::uint32_t line_;
  std::uint32_t column_;
  std::string key_;
  std::string message_;
};

}  // namespace wsfleet::experiments
