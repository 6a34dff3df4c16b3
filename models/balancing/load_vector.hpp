#pragma once
// The load vector a backend reports, laid out as LoadVectorIndex (models/balancing_policy.hpp).
#include <Eigen/Dense>
#include <cstddef>

#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// Fills `out` (its size fixes how many entries are read) with the backend's load vector:
/// cpu, memory, connections, response time, bandwidth, queued, then metrics[0], metrics[1], ...
/// (0 where the backend reports fewer metrics).
template <class Vector>
void fill_load_vector(const BackendState& b, Vector& out) {
  out.setZero();
  out[kLoadCpu] = b.cpu_utilisation;
  out[kLoadMemory] = b.memory_utilisation;
  out[kLoadConnections] = static_cast<double>(b.active_connections);
  out[kLoadResponseTime] = b.response_time_s;
  out[kLoadBandwidth] = b.bandwidth_bps;
  out[kLoadQueued] = static_cast<double>(b.queued);
  const auto size = static_cast<std::size_t>(out.size());
  for (std::size_t i = 0; i < b.metrics.size() && kLoadVectorFixed + i < size; ++i) {
    out[static_cast<Eigen::Index>(kLoadVectorFixed + i)] = b.metrics[i];
  }
}

}  // namespace wsfleet::models
