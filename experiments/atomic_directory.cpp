#include "experiments/atomic_directory.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace wsfleet::experiments {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const fs::path& path, const std::string& what, int error) {
  throw std::runtime_error(path.string() + ": " + what + ": " + std::strerror(error));
}

// fsync of a file or a directory (a rename is durable only once its directory is flushed).
void sync_path(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) fail(path, "cannot open to flush", errno);
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0 && error != EINVAL) fail(path, "cannot flush to disk", error);  // EINVAL: fs without fsync
}

// The target's own name, also for "out/" and "out/.".
fs::path normal_target(fs::path target) {
  target = target.lexically_normal();
  if (!target.has_filename()) target = target.parent_path();
  return target;
}

// ".NAME.partial-PID": hidden beside the target, on its file system (so rename is atomic), and
// per process (two writers never share one).
std::string hidden_name(const fs::path& target, const char* what) {
  std::string name = ".";
  name += target.filename().string();
  name += what;
  name += std::to_string(::getpid());
  return name;
}

}  // namespace

AtomicDirectory::AtomicDirectory(fs::path target, std::initializer_list<std::string_view> replaceable)
    : target_(normal_target(std::move(target))), replaceable_(replaceable.begin(), replaceable.end()) {
  parent_ = target_.has_parent_path() ? target_.parent_path() : fs::path(".");
  if (target_.empty() || target_.filename() == "..") throw std::runtime_error(target_.string() + ": not a usable output directory");
  std::error_code ec;
  fs::create_directories(parent_, ec);
  if (ec) throw std::runtime_error(parent_.string() + ": cannot create output directory: " + ec.message());
  check_replaceable(target_, replaceable_);  // before any work: a refused target costs nothing
  staging_ = parent_ / hidden_name(target_, ".partial-");
  fs::remove_all(staging_, ec);
  if (!fs::create_directory(staging_, ec) || ec) {
    throw std::runtime_error(staging_.string() + ": cannot create output directory: " + ec.message());
  }
}

AtomicDirectory::~AtomicDirectory() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

void AtomicDirectory::check_target(const fs::path& target, std::initializer_list<std::string_view> replaceable) {
  check_replaceable(normal_target(target), std::vector<std::string>(replaceable.begin(), replaceable.end()));
}

void AtomicDirectory::check_replaceable(const fs::path& target, const std::vector<std::string>& replaceable) {
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(target, ec);
  if (!fs::exists(status)) return;
  if (!fs::is_directory(status)) throw std::runtime_error(target.string() + ": exists and is not a directory");
  for (const fs::directory_entry& entry : fs::directory_iterator(target, ec)) {
    const std::string name = entry.path().filename().string();
    if (std::find(replaceable.begin(), replaceable.end(), name) == replaceable.end()) {
      throw std::runtime_error(target.string() + ": holds '" + name +
                               "', which is not a run's output: refusing to replace it (choose another --out)");
    }
  }
  if (ec) throw std::runtime_error(target.string() + ": cannot list the directory: " + ec.message());
}

void AtomicDirectory::write(const std::string& name, std::string_view content) {
  const fs::path path = staging_ / name;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(target_ / name, "cannot write file", errno);
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      ::close(fd);
      fail(target_ / name, "write failed", error);
    }
    done += static_cast<std::size_t>(n);
  }
  const int rc = ::fsync(fd);
  const int error = errno;
  if (::close(fd) != 0 || (rc != 0 && error != EINVAL)) fail(target_ / name, "write failed", rc != 0 ? error : errno);
}

void AtomicDirectory::commit() {
  sync_path(staging_, true);
  check_replaceable(target_, replaceable_);  // again: it may have changed while the files were written
  std::error_code ec;
  if (fs::exists(fs::symlink_status(target_, ec))) {
    // rename(2) cannot replace a non-empty directory: move the old one aside, then remove it.
    const fs::path old = parent_ / hidden_name(target_, ".old-");
    fs::remove_all(old, ec);
    fs::rename(target_, old, ec);
    if (ec) throw std::runtime_error(target_.string() + ": cannot replace the previous results: " + ec.message());
    fs::rename(staging_, target_, ec);
    if (ec) {
      std::error_code back;
      fs::rename(old, target_, back);  // put the previous results back
      throw std::runtime_error(target_.string() + ": cannot move the new results into place: " + ec.message());
    }
    committed_ = true;
    fs::remove_all(old, ec);
  } else {
    fs::rename(staging_, target_, ec);
    if (ec) throw std::runtime_error(target_.string() + ": cannot move the new results into place: " + ec.message());
    committed_ = true;
  }
  sync_path(parent_, true);
}

}  // namespace wsfleet::experiments
