#pragma once
// HAProxy's connection handling around its balancing algorithm (the HAProxy presets' balancer-side
// parameters): a connection that finds every usable server at its `maxconn` waits in the backend's
// queue until a slot frees or `timeout queue` expires (503); a failed connect is retried `retries`
// times, on the same server after a turn-around of min(timeout connect, 1 s), or at once on another
// server with `option redispatch`. Checked against haproxy/haproxy doc/configuration.txt ("retries",
// "option redispatch", "timeout queue"), src/backend.c back_handle_st_cer() and
// include/haproxy/stream.h stream_choose_redispatch(); CONN_RETRIES 3 (include/haproxy/defaults.h).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/policy_params.hpp"
#include "sim/time.hpp"

namespace wsfleet::models {

/// The backend settings of one HAProxy preset.
struct HaproxyBackend {
  std::uint32_t retries = 3;             ///< `retries`: new tries after a failed connect
  bool redispatch = false;               ///< `option redispatch` (interval -1: the default)
  sim::SimTime timeout_connect = 0;      ///< `timeout connect`, ns
  sim::SimTime timeout_queue = 0;        ///< `timeout queue`, ns (unset: timeout connect)
  bool hash_based = false;               ///< a hash algorithm (BE_LB_KIND_HI: source): deterministic picks

  /// The wait before a retry on the same server: min(timeout connect, 1 s) (back_handle_st_cer).
  sim::SimTime turnaround() const;

  /// What HAProxy does after a failed connect once `conn_retries` retries (>= 1, this one counted)
  /// are spent (the caller checks conn_retries <= retries first).
  struct Step {
    bool redispatch = false;  ///< the next try picks another server (else the same one)
    sim::SimTime wait = 0;    ///< ns before it
  };
  /// stream_choose_redispatch(): with option redispatch, the next try goes to another server when the
  /// server is no longer running, on the last retry (interval -1), or always when the stream was not
  /// directed by persistence (`direct`), more than one server is active and the algorithm is not a
  /// hash. back_handle_st_cer(): it waits turnaround() unless it redispatches with more than one
  /// active server.
  Step next(std::uint32_t conn_retries, bool server_running, std::size_t active_servers, bool direct) const;

  /// The rules of balancing preset `policy` with its resolved `params`; no value for a policy that is
  /// not one of HAProxy's.
  static std::optional<HaproxyBackend> of(const std::string& policy, const Params& params);
  /// The parameters every HAProxy preset takes for them (added to its own).
  static std::vector<ParamSpec> param_specs();
};

}  // namespace wsfleet::models
