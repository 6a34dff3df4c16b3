#include "models/balancer/haproxy_backend.hpp"

#include <algorithm>

namespace wsfleet::models {

sim::SimTime HaproxyBackend::turnaround() const {
  return std::min<sim::SimTime>(timeout_connect, sim::kNanosPerSecond);
}

HaproxyBackend::Step HaproxyBackend::next(std::uint32_t conn_retries, bool server_running, std::size_t active_servers,
                                          bool direct) const {
  Step step;
  // redispatch_after = -1: conn_retries % (max_retries + 1 - 1) == 0, i.e. the last retry.
  const bool last = retries > 0 && conn_retries % retries == 0;
  step.redispatch = redispatch && (!server_running || last || (!direct && active_servers > 1 && !hash_based));
  step.wait = (step.redispatch && active_servers > 1) ? 0 : turnaround();
  return step;
}

std::optional<HaproxyBackend> HaproxyBackend::of(const std::string& policy, const Params& params) {
  if (policy.rfind("haproxy_", 0) != 0) return std::nullopt;
  const auto get = [&](const char* name, double fallback) {
    const auto it = params.find(name);
    return it == params.end() ? fallback : it->second;
  };
  HaproxyBackend b;
  b.retries = static_cast<std::uint32_t>(get("retries", 3.0));
  b.redispatch = get("redispatch", 0.0) != 0.0;
  b.timeout_connect = sim::from_seconds(get("timeout_connect_s", 5.0));
  const double queue_s = get("timeout_queue_s", 0.0);
  b.timeout_queue = queue_s > 0.0 ? sim::from_seconds(queue_s) : b.timeout_connect;
  // BE_LB_KIND_HI: the hash-based algorithms (balance source, with map-based or consistent hashing).
  b.hash_based = policy == "haproxy_source" || policy == "haproxy_source_consistent";
  return b;
}

std::vector<ParamSpec> HaproxyBackend::param_specs() {
  return {ParamSpec{"retries", 3.0, 0.0, 100.0, true, "retries: new tries after a failed connect (count)"},
          ParamSpec{"redispatch", 0.0, 0.0, 1.0, true,
                    "1 = option redispatch: retry on another server (at once for non-hash algorithms), 0 = the same server "
                    "after min(timeout_connect_s, 1 s) (flag)"},
          ParamSpec{"timeout_connect_s", 5.0, 0.001, 86400.0, false,
                    "timeout connect (s): sets the retry turn-around min(this, 1 s) and the default timeout queue"},
          ParamSpec{"timeout_queue_s", 0.0, 0.0, 86400.0, false,
                    "timeout queue (s): a connection waiting for a server below max_connections_per_backend (maxconn) "
                    "gets a 503 after this; 0 = timeout_connect_s"}};
}

}  // namespace wsfleet::models
