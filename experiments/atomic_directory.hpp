#pragma once
// A directory of output files that appears complete or not at all: the files are written into a
// hidden directory beside the target, flushed to disk, and renamed into place in one step. A
// previous directory stays untouched until the new one is complete (then it is replaced).
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace wsfleet::experiments {

/// One atomic directory write. Construct, write() each file, commit(); a destructor without
/// commit() removes what was written. Throws std::runtime_error naming the path on any failure.
class AtomicDirectory {
 public:
  /// `target`: the directory to create or replace. `replaceable`: the only file names an existing
  /// `target` may hold (a run directory's own files): anything else there and commit() refuses,
  /// so a mistaken --out never deletes unrelated files.
  AtomicDirectory(std::filesystem::path target, std::initializer_list<std::string_view> replaceable);
  ~AtomicDirectory();
  AtomicDirectory(const AtomicDirectory&) = delete;
  AtomicDirectory& operator=(const AtomicDirectory&) = delete;

  /// Writes `name` (a file name, no directories) with `content`, flushed to disk.
  void write(const std::string& name, std::string_view content);
  /// Throws what the constructor would for `target` (exists as a file, or holds other files),
  /// without creating anything: to refuse a bad --out before a long run rather than after it.
  static void check_target(const std::filesystem::path& target, std::initializer_list<std::string_view> replaceable);

  /// Puts the directory in place: renames it over `target` (an old `target` is moved aside first
  /// and removed after), then flushes the parent directory.
  void commit();

 private:
  static void check_replaceable(const std::filesystem::path& target, const std::vector<std::string>& replaceable);

  std::filesystem::path target_, staging_, parent_;
  std::vector<std::string> replaceable_;
  bool committed_ = false;
};

}  // namespace wsfleet::experiments
