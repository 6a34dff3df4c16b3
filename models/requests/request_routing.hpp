#pragma once
// Request-level routing: every request is routed on its own by a real LoadBalancer whose view of a
// backend's active connections is the number of requests outstanding there (queued or in service),
// so least_connections is join-the-shortest-queue and random_two_choices(d) is the power of d
// choices. Each server is a CpuQueue (multi-core FCFS with exact per-request latency); completions
// are kernel events, so outstanding counts drop exactly when requests finish.
#include "models/requests/request_routing_config.hpp"
#include "models/requests/request_routing_result.hpp"

namespace wsfleet::models {

/// Runs one request-level routing simulation. Validates `cfg` first (std::invalid_argument naming
/// the field; ParamError for the policy or its parameters). Deterministic: the same config, seed and
/// replication give the same result bit for bit. Random streams (sim::StreamFactory): "requests.arrivals"
/// (interarrival times), "requests.service" (service times, drawn at arrival in arrival order, so
/// every policy sees the same requests) and "balancer".
RequestRoutingResult route_requests(const RequestRoutingConfig& cfg);

}  // namespace wsfleet::models
