#include "models/requests/request_routing_config.hpp"

#include <cmath>
#include <stdexcept>

namespace wsfleet::models {

namespace {

[[noreturn]] void bad(const std::string& field, const std::string& what) {
  throw std::invalid_argument(field + ": " + what);
}

/// A distribution of durations: finite mean > 0 and at most a day (so every draw fits in SimTime
/// with room to spare), never `never`.
void check_duration_distribution(const std::string& field, const sim::Distribution& d) {
  const double mean = d.mean();
  if (d.kind() == sim::Distribution::Kind::Never || !std::isfinite(mean)) {
    bad(field, "must have a finite mean (got " + d.describe() + ")");
  }
  if (!(mean > 0.0) || mean > 86400.0) {
    bad(field, "mean must be > 0 and <= 86400 s (got " + d.describe() + ")");
  }
}

}  // namespace

void validate(const RequestRoutingConfig& cfg) {
  if (cfg.servers < 1 || cfg.servers > 1'000'000) {
    bad("servers", "must be between 1 and 1000000 (got " + std::to_string(cfg.servers) + ")");
  }
  if (cfg.cores < 1 || cfg.cores > 1024) {
    bad("cores", "must be between 1 and 1024 (got " + std::to_string(cfg.cores) + ")");
  }
  check_duration_distribution("interarrival_s", cfg.interarrival_s);
  check_duration_distribution("service_s", cfg.service_s);
  if (!std::isfinite(cfg.duration_s) || !(cfg.duration_s > 0.0) || cfg.duration_s > 1e9) {
    bad("duration_s", "must be > 0 and <= 1e9 s (got " + format_number(cfg.duration_s) + ")");
  }
  if (!std::isfinite(cfg.warmup_s) || cfg.warmup_s < 0.0 || cfg.warmup_s >= cfg.duration_s) {
    bad("warmup_s", "must be >= 0 and < duration_s = " + format_number(cfg.duration_s) + " (got " +
                        format_number(cfg.warmup_s) + ")");
  }
  const double expected = cfg.duration_s / cfg.interarrival_s.mean();
  if (expected > kMaxExpectedRequests) {
    bad("duration_s", "the run would see about " + format_number(std::round(expected)) +
                          " requests; at most " + format_number(kMaxExpectedRequests) +
                          " are allowed (shorten the run or lower the arrival rate)");
  }
}

}  // namespace wsfleet::models
