#pragma once
// NGINX worker processes without a shared `zone` (the nginx_* presets' `workers` and `reuseport`).
// Without `zone`, each worker keeps the upstream's runtime state in its own memory
// (ngx_http_upstream_round_robin.c: peers->shpool is set only by ngx_http_upstream_zone_module):
// least_conn's `conns`, the max_conns check (`peer->conns >= peer->max_conns`), the smooth-WRR
// current/effective weights and the max_fails counts are per worker. Each new connection is accepted
// by one worker: with `listen ... reuseport` the kernel picks the worker's socket by a hash of the
// connection's 4-tuple (reuseport_select_sock; a client's new source port each time makes it a uniform
// draw per connection); without it every worker waits on the one socket and whichever takes the
// connection first accepts it (modelled as taking turns). `workers = 1` is one worker, or a shared
// zone: the balancer as before.
#include <cstdint>
#include <optional>
#include <string>

#include "models/policy_params.hpp"

namespace wsfleet::models {

/// The worker processes of an NGINX preset.
struct NginxWorkers {
  std::uint32_t workers = 1;  ///< worker_processes (1 = one, or a shared zone)
  bool reuseport = false;     ///< listen ... reuseport: the kernel hashes each connection to a worker

  /// The workers of an nginx_* policy with its (validated) parameters; no value for other policies.
  static std::optional<NginxWorkers> of(const std::string& policy, const Params& params) {
    if (policy.rfind("nginx_", 0) != 0) return std::nullopt;
    NginxWorkers w;
    if (const auto it = params.find("workers"); it != params.end()) w.workers = static_cast<std::uint32_t>(it->second);
    if (const auto it = params.find("reuseport"); it != params.end()) w.reuseport = it->second != 0.0;
    return w;
  }
};

}  // namespace wsfleet::models
