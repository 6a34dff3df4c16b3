#include "experiments/version.hpp"
namespace wsfleet::experiments {
const char* build_info() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#else
  return "unknown compiler";
#endif
}
}  // namespace wsfleet::experiments
