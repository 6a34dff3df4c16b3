#pragma once
namespace wsfleet::experiments {
/// The wsfleet version, as the CLI and the Python package report it.
inline constexpr const char* kVersion = "0.1.0";
/// Version string with the build's compiler, for summaries.
const char* build_info();
}  // namespace wsfleet::experiments
