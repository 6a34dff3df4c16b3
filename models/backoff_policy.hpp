#pragma once
// Reconnect/backoff policies: how long a client waits before retry number n. A policy object is
// stateless and shared by all clients; the per-client memory is a BackoffState.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/policy_params.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"

namespace wsfleet::models {

/// Per-client retry memory (kept small: one per client, 16 bytes).
struct BackoffState {
  std::uint32_t attempt = 0;      ///< retries already scheduled since the last reset (0 = next is the first retry)
  std::uint32_t scratch = 0;      ///< 32 bits a client preset keeps for itself (flags, a per-client draw, spent tokens)
  sim::SimTime last_delay = 0;    ///< the previous delay, ns (decorrelated jitter uses it); a client preset may keep
                                  ///< another duration or a time here instead (each preset documents its use)
};

// A million clients each hold one: keep it at two words.
static_assert(sizeof(BackoffState) == 16, "BackoffState must stay 16 bytes");

/// Why a client must decide whether and when to retry.
enum class RetryCause : std::uint8_t {
  AttemptFailed,    ///< a connection attempt was refused or failed (no backend, server full, crash during the handshake)
  AttemptTimedOut,  ///< a connection attempt did not finish within the client's connect timeout
  ConnectionLost,   ///< an established connection was lost (its server crashed)
};

/// What a policy may know when a client must retry.
struct RetryContext {
  sim::SimTime now = 0;              ///< the time of the decision, ns
  sim::SimTime attempt_started = 0;  ///< when the failed attempt started, ns (== now for ConnectionLost)
  RetryCause cause = RetryCause::AttemptFailed;
};

/// What a client library does with its channels on each connection (phoenix.js: every channel sends a
/// join message when the socket opens, and a join that fails or times out is sent again on a schedule).
struct ChannelRejoin {
  sim::SimTime join_timeout = 0;       ///< a join without a reply by then has failed (the push's timeout), ns
  std::vector<sim::SimTime> schedule;  ///< the wait before rejoin number n (1-based) is schedule[n - 1], ns ...
  sim::SimTime after = 0;              ///< ... and this once the schedule is exhausted, ns
  /// The wait before rejoin number `tries` (1-based) of a channel since its last success or open socket.
  sim::SimTime delay(std::uint32_t tries) const {
    return tries >= 1 && tries <= schedule.size() ? schedule[tries - 1] : after;
  }
};

/// A reconnect-delay algorithm. The generic policies need only `next_delay` and `gives_up`; the client
/// presets (models/backoff/client_presets/) also use the cause and the times of the retry context and the
/// connection hooks, to reproduce what a client library does beyond a delay per retry number.
class BackoffPolicy {
 public:
  virtual ~BackoffPolicy() = default;
  virtual std::string name() const = 0;
  /// The delay before the next retry, in ns; advances `state` (attempt + 1, last_delay). For a client
  /// preset: the next delay of its retry loop for a failure at time 0 of an attempt that started at
  /// time 0, whatever its retry limit says.
  virtual sim::SimTime next_delay(BackoffState& state, sim::Rng& rng) const = 0;
  /// Retries allowed after a failure before the client gives up; 0 = unlimited.
  virtual std::uint32_t max_retries() const = 0;
  /// True when a client in `state` must not retry again (its retries are exhausted).
  virtual bool gives_up(const BackoffState& state) const {
    return max_retries() != 0 && state.attempt >= max_retries();
  }
  /// What the model calls when a client must retry: the delay (ns) before its next attempt, or no
  /// value when it gives up; advances `state`. Default: gives_up(state), else next_delay(state, rng)
  /// (the cause and the times do not matter).
  virtual std::optional<sim::SimTime> retry_delay(BackoffState& state, sim::Rng& rng, const RetryContext& context) const {
    (void)context;
    if (gives_up(state)) return std::nullopt;
    return next_delay(state, rng);
  }
  /// The timeout (ns) the library itself gives the connection attempt a client in `state` starts now;
  /// no value when it has none of its own (the generic policies; libraries that leave it to the
  /// platform). The fleet applies it when the scenario leaves clients.connect_timeout_s out.
  virtual std::optional<sim::SimTime> attempt_timeout(const BackoffState& state) const {
    (void)state;
    return std::nullopt;
  }
  /// A limit (ns from `start`) the library puts on the attempt a client in `state` starts at `start`
  /// whatever its connect timeout (ably-js aborts it when the connection-state TTL expires); no value
  /// for none. The fleet applies it in every case.
  virtual std::optional<sim::SimTime> attempt_abort(const BackoffState& state, sim::SimTime start) const {
    (void)state;
    (void)start;
    return std::nullopt;
  }
  /// The library's channel joins, when it sends one per channel on every connection and retries a
  /// failed one on its own schedule (the fleet models them with [pubsub]); no value when it does not.
  virtual std::optional<ChannelRejoin> channel_rejoin() const { return std::nullopt; }
  /// A connection attempt of this client succeeded at `now`. Default: forget the retries (state = {}).
  virtual void on_connected(BackoffState& state, sim::SimTime now) const {
    (void)now;
    state = BackoffState{};
  }
  /// The client closed its connection itself at `now` and opens a new one at once (a new session, as
  /// an application calling close() then connect()). Default: nothing (on_connected already reset).
  virtual void on_session_restart(BackoffState& state, sim::SimTime now) const {
    (void)state;
    (void)now;
  }
};

/// Every registered backoff policy, in listing order.
const std::vector<PolicyInfo>& backoff_policies();
/// Builds a policy by name; validates `params` like make_balancing_policy.
std::unique_ptr<BackoffPolicy> make_backoff_policy(const std::string& name, const Params& params);

/// One client's delays (ns) over consecutive retries: the client starts with `first` (ConnectionLost:
/// an established connection, up for an hour, is lost at time 0; AttemptFailed: its very first
/// connection attempt fails at time 0), then every attempt fails the moment it starts, on a clock that
/// advances by each delay. At most `retries` delays; fewer if the policy gives up first.
std::vector<sim::SimTime> backoff_sequence(const BackoffPolicy& policy, std::uint32_t retries, sim::Rng& rng,
                                           RetryCause first = RetryCause::ConnectionLost);

/// `samples` delays (ns) for retry number `attempt` (0 = first retry), each from a fresh client
/// replayed through the earlier retries with the same rng as in backoff_sequence (so history-dependent
/// policies such as decorrelated jitter and the client presets are drawn correctly). Throws
/// std::invalid_argument if the policy gives up before that retry.
std::vector<sim::SimTime> sample_backoff_delays(const BackoffPolicy& policy, std::uint32_t attempt,
                                                std::size_t samples, sim::Rng& rng,
                                                RetryCause first = RetryCause::ConnectionLost);

/// A backoff policy that reproduces a real client library's reconnect algorithm.
struct ClientPresetInfo {
  std::string name;     ///< its registry name (also in backoff_policies())
  std::string library;  ///< the library and version it reproduces
  std::string source;   ///< the file(s) it was checked against
  /// Whether the library waits for a shedding server's Retry-After (or its own equivalent advice)
  /// before its next attempt after a refused connect (models/backoff/presets/registry.cpp names the
  /// source read for each).
  bool honours_retry_after = false;
};
/// The client presets among backoff_policies(), in listing order.
const std::vector<ClientPresetInfo>& backoff_client_presets();

/// Whether the generic policies (every backoff policy that is not a client preset) honour a
/// shedding server's Retry-After: they stand for reconnect code the application writes itself, which
/// can read the hint (RFC 9110 section 10.2.3).
inline constexpr bool kGenericHonoursRetryAfter = true;
/// Whether clients of backoff policy `name` honour a shedding server's Retry-After by default: the
/// library's behaviour for a client preset, kGenericHonoursRetryAfter otherwise.
bool backoff_honours_retry_after(const std::string& name);

}  // namespace wsfleet::models
