// Checked against dotnet/aspnetcore src/SignalR/clients/ts/signalr/src/DefaultReconnectPolicy.ts
// (DEFAULT_RETRY_DELAYS_IN_MILLISECONDS = [0, 2000, 10000, 30000, null]) and HubConnection.ts
// (_connectionClosed reconnects only from the Connected state; _reconnect asks the policy with
// previousRetryCount 0, 1, 2, ... and stops at null).
#include "models/backoff/presets/signalr_backoff.hpp"

#include <algorithm>
#include <array>

#include "models/backoff/backoff_step.hpp"

namespace wsfleet::models {

namespace {
constexpr std::array<sim::SimTime, 4> kDelaysNs = {0, 2 * sim::kNanosPerSecond, 10 * sim::kNanosPerSecond,
                                                   30 * sim::kNanosPerSecond};
constexpr std::uint32_t kReconnecting = 1u;  // scratch bit: in the reconnect loop of a lost connection
}  // namespace

std::uint32_t SignalRBackoff::max_retries() const { return static_cast<std::uint32_t>(kDelaysNs.size()); }

void SignalRBackoff::on_connected(BackoffState& state, sim::SimTime now) const {
  (void)now;
  state.attempt = 0;
}

void SignalRBackoff::on_session_restart(BackoffState& state, sim::SimTime now) const {
  (void)now;
  state = BackoffState{};
}

bool SignalRBackoff::stops(const BackoffState& state, const RetryContext& context) const {
  if (context.cause == RetryCause::ConnectionLost) return false;  // previousRetryCount 0 always has a delay
  const bool reconnecting = (state.scratch & kReconnecting) != 0;
  return (!reconnecting && !retry_failed_start_) || gives_up(state);
}

sim::SimTime SignalRBackoff::step(BackoffState& state, sim::Rng& rng, const RetryContext& context) const {
  (void)rng;
  if (context.cause == RetryCause::ConnectionLost) {
    state.scratch |= kReconnecting;
    state.attempt = 0;
  }
  const sim::SimTime delay_ns = kDelaysNs[std::min<std::size_t>(state.attempt, kDelaysNs.size() - 1)];
  record_retry(state, delay_ns);
  return delay_ns;
}

}  // namespace wsfleet::models
