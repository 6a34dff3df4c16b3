// The servers' CPU and memory over the run.
#include "experiments/summary/summary_rows.hpp"

namespace wsfleet::experiments::summary {

void resource_rows(std::vector<Field>& table) {
  using R = models::RunSummary;
  auto t = summary_rows(table);
  t.object("cpu", "the servers' CPU");
  t.number("cpu.mean_utilisation", &R::cpu_mean_utilisation, "share", "busy core-time over capacity_core_seconds");
  t.number("cpu.peak_utilisation", &R::cpu_peak_utilisation, "share", "highest busy fraction of one server in one sample interval");
  t.number("cpu.capacity_core_seconds", &R::cpu_capacity_core_seconds, "core-s", "each server's cores x the time it was part of the fleet (slots not yet launched or already removed do not count)");
  t.object("memory", "the servers' memory");
  t.number("memory.peak_server_mib", &R::peak_server_memory_mib, "MiB", "highest memory of one server at a sample time");
}

}  // namespace wsfleet::experiments::summary
