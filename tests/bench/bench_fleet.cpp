// Benchmark (not a test): runs a scenario, by default experiments/bench/million.toml, and prints
// events processed, wall seconds, events per second and peak memory.
#include <sys/resource.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "experiments/scenario_loader.hpp"
#include "models/fleet.hpp"

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "experiments/bench/million.toml";
  std::vector<std::string> overrides(argv + (argc > 2 ? 2 : argc), argv + argc);
  try {
    const auto cfg = wsfleet::experiments::load_scenario_file(path, overrides);
    wsfleet::models::Fleet fleet(cfg);
    const auto r = fleet.run();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const auto& s = r.summary;
    std::printf("scenario          %s (%s)\n", path.c_str(), s.scenario_name.c_str());
    std::printf("clients/servers   %llu / %u\n", static_cast<unsigned long long>(s.clients), s.servers);
    std::printf("simulated         %.0f s\n", s.simulated_seconds);
    std::printf("events processed  %llu\n", static_cast<unsigned long long>(s.events_processed));
    std::printf("wall seconds      %.2f\n", s.wall_seconds);
    std::printf("events per second %.3g\n", static_cast<double>(s.events_processed) / s.wall_seconds);
    std::printf("peak RSS          %.0f MiB\n", static_cast<double>(ru.ru_maxrss) / 1024.0);
    std::printf("conservation      ok (%zu checks)\n", s.conservation.size());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_fleet: " << e.what() << "\n";
    return 1;
  }
}
