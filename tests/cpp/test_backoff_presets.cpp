// The client-library reconnect presets: each library's exact rule, its quirks, its defaults, and the
// way the model and `wsfleet backoff` drive it (cause, times, connection hooks).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fleet_fixtures.hpp"
#include "models/backoff/presets/connect_timeout.hpp"
#include "models/backoff_policy.hpp"
#include "models/fleet.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"
#include "tests/cpp/catch.hpp"

using wsfleet::models::BackoffPolicy;
using wsfleet::models::BackoffState;
using wsfleet::models::backoff_sequence;
using wsfleet::models::make_backoff_policy;
using wsfleet::models::preset_connect_timeout;
using wsfleet::models::ParamError;
using wsfleet::models::RetryCause;
using wsfleet::models::RetryContext;
using wsfleet::models::sample_backoff_delays;
using wsfleet::sim::Rng;
using wsfleet::sim::SimTime;

namespace {

constexpr SimTime kS = wsfleet::sim::kNanosPerSecond;
constexpr SimTime kMs = wsfleet::sim::kNanosPerMilli;

RetryContext lost(SimTime now) { return {now, now, RetryCause::ConnectionLost}; }
RetryContext failed(SimTime now, SimTime started) { return {now, started, RetryCause::AttemptFailed}; }
RetryContext failed_at(SimTime now) { return failed(now, now); }

// Delays of one client whose connection (up for an hour) is lost at 0 and whose attempts then fail
// as they start, in ms.
std::vector<double> sequence_ms(const BackoffPolicy& policy, std::uint32_t retries, Rng& rng,
                                RetryCause first = RetryCause::ConnectionLost) {
  std::vector<double> out;
  for (const SimTime d : backoff_sequence(policy, retries, rng, first)) out.push_back(wsfleet::sim::to_millis(d));
  return out;
}

SimTime retry(const BackoffPolicy& policy, BackoffState& state, Rng& rng, const RetryContext& context) {
  const std::optional<SimTime> d = policy.retry_delay(state, rng, context);
  REQUIRE(d.has_value());
  return *d;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Registry

TEST_CASE("every client preset is registered, listed once and built with the library defaults", "[presets]") {
  const std::vector<std::string> expected = {"socketio", "signalr",    "ably",   "phoenix",     "reconnecting_websocket",
                                             "centrifuge", "pusher", "grpc", "aws_standard"};
  std::vector<std::string> names;
  for (const auto& p : wsfleet::models::backoff_client_presets()) {
    names.push_back(p.name);
    CHECK_FALSE(p.library.empty());
    CHECK_FALSE(p.source.empty());
    REQUIRE(wsfleet::models::find_policy(wsfleet::models::backoff_policies(), p.name) != nullptr);
    CHECK(make_backoff_policy(p.name, {})->name() == p.name);
  }
  CHECK(names == expected);
}

TEST_CASE("preset parameters are validated and name the parameter", "[presets]") {
  auto param_of = [](const std::string& name, const wsfleet::models::Params& params) {
    try {
      make_backoff_policy(name, params);
    } catch (const ParamError& e) {
      return e.param();
    }
    return std::string("(accepted)");
  };
  CHECK(param_of("socketio", {{"randomization_factor", 1.5}}) == "randomization_factor");
  CHECK(param_of("socketio", {{"reconnection_delay_s", 0.0}}) == "reconnection_delay_s");
  CHECK(param_of("signalr", {{"retry_failed_start", 2.0}}) == "retry_failed_start");
  CHECK(param_of("centrifuge", {{"min_reconnect_delay_s", 30.0}}) == "max_reconnect_delay_s");
  CHECK(param_of("grpc", {{"max_backoff_s", 0.5}}) == "max_backoff_s");
  CHECK(param_of("grpc", {{"jitter", 1.0}}) == "jitter");
  CHECK(param_of("reconnecting_websocket", {{"reconnection_delay_grow_factor", 0.5}}) == "reconnection_delay_grow_factor");
  CHECK(param_of("aws_standard", {{"max_attempts", 0.0}}) == "max_attempts");
  CHECK(param_of("aws_standard", {{"quota_tokens", 2.5}}) == "quota_tokens");
  CHECK(param_of("phoenix", {{"max_retries", 3.0}}) == "max_retries");
  CHECK(param_of("ably", {{"connection_state_ttl_s", -1.0}}) == "connection_state_ttl_s");
  REQUIRE_THROWS_WITH(make_backoff_policy("centrifuge", {{"max_reconnect_delay_s", 0.1}}),
                      "centrifuge.max_reconnect_delay_s must be >= min_reconnect_delay_s (got max_reconnect_delay_s "
                      "0.1, min_reconnect_delay_s 0.5)");
}

// ------------------------------------------------------------------------------------------------
// socket.io-client

TEST_CASE("socketio: one random number sets the jitter's size and sign, reproduced by hand", "[presets][socketio]") {
  auto policy = make_backoff_policy("socketio", {});
  for (std::uint32_t n = 0; n < 6; ++n) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
      Rng rng(seed), copy(seed);
      BackoffState state;
      state.attempt = n;
      const SimTime got = policy->next_delay(state, rng);
      // By hand: ms = 1000 * 2^n; r; deviation floor(r * 0.5 * ms); minus when the tenths digit of r is even.
      const double r = copy.uniform01();
      const double ms = 1000.0 * std::pow(2.0, n);
      const double deviation = std::floor(r * 0.5 * ms);
      const int tenths = static_cast<int>(r * 10.0);
      const double jittered = tenths % 2 == 0 ? ms - deviation : ms + deviation;
      const double expected_ms = std::trunc(std::min(jittered, 5000.0));
      CHECK(got == static_cast<SimTime>(expected_ms) * kMs);
      CHECK(state.attempt == n + 1);
    }
  }
}

TEST_CASE("socketio: the first retry falls only in the bands the sign coupling allows", "[presets][socketio]") {
  auto policy = make_backoff_policy("socketio", {});
  Rng rng(3);
  std::map<int, int> band_counts;  // band b: deviation in [50b, 50b + 50)
  const int n = 20000;
  for (const SimTime d : sample_backoff_delays(*policy, 0, n, rng)) {
    REQUIRE(d % kMs == 0);  // whole milliseconds (`| 0`)
    const SimTime ms = d / kMs;
    REQUIRE(ms > 500);
    REQUIRE(ms < 1500);
    // ms <= 1000: ms = 1000 - dev with r in [dev/500, (dev+1)/500), so r's tenths digit is floor(dev/50): even.
    // ms > 1000: ms = 1000 + dev, the digit is odd.
    const int band = static_cast<int>(ms <= 1000 ? (1000 - ms) / 50 : (ms - 1000) / 50);
    CHECK((band % 2 == 0) == (ms <= 1000));
    ++band_counts[band];
  }
  // Ten bands of r, each 10 % of the draws: five below 1000 ms and five above, with gaps between them
  // (e.g. no delay in (900, 950] ms or in [1000, 1050) ms).
  REQUIRE(band_counts.size() == 10);
  for (const auto& [band, count] : band_counts) CHECK(std::abs(count - n / 10) < 5 * std::sqrt(n * 0.09));
}

TEST_CASE("socketio: range per attempt, the 5 s cap and the reset on success", "[presets][socketio]") {
  auto policy = make_backoff_policy("socketio", {});
  Rng rng(4);
  // attempt 1: 2000 +- 1000; attempt 2: 4000 - up to 2000, or capped at 5000; later: 5000 or (4000, 5000].
  for (const SimTime d : sample_backoff_delays(*policy, 1, 3000, rng)) CHECK((d > 1000 * kMs && d < 3000 * kMs));
  int capped = 0;
  for (const SimTime d : sample_backoff_delays(*policy, 2, 3000, rng)) {
    CHECK((d > 2000 * kMs && d <= 5000 * kMs));
    capped += d == 5000 * kMs ? 1 : 0;
  }
  // Capped: "plus" draws (odd tenths digit) with 4000 + floor(r * 2000) >= 5000, i.e. r in [0.5, 0.6),
  // [0.7, 0.8) or [0.9, 1): 30 % of them.
  CHECK(std::abs(capped - 900) < 130);
  for (const SimTime d : sample_backoff_delays(*policy, 7, 3000, rng)) CHECK(d == 5000 * kMs);
  // A success resets the count: the next retry is in the first retry's range again.
  BackoffState state;
  for (int i = 0; i < 5; ++i) retry(*policy, state, rng, failed_at(0));
  policy->on_connected(state, 0);
  const SimTime d = retry(*policy, state, rng, lost(10 * kS));
  CHECK((d > 500 * kMs && d < 1500 * kMs));
}

TEST_CASE("socketio: past 2^1015 the delay overflows to NaN, and NaN | 0 retries at once", "[presets][socketio]") {
  auto policy = make_backoff_policy("socketio", {});
  Rng rng(5);
  int zeros = 0, caps = 0;
  for (int i = 0; i < 4000; ++i) {
    BackoffState state;
    state.attempt = 1100;  // 1000 * 2^1100 is +Infinity in doubles
    const SimTime d = policy->next_delay(state, rng);
    REQUIRE((d == 0 || d == 5000 * kMs));
    (d == 0 ? zeros : caps) += 1;
  }
  CHECK(std::abs(zeros - 2000) < 200);  // even tenths digit: Infinity - Infinity
  // Just below the overflow the cap holds.
  BackoffState below;
  below.attempt = 1014;
  for (int i = 0; i < 100; ++i) {
    below.attempt = 1014;
    CHECK(policy->next_delay(below, rng) == 5000 * kMs);
  }
}

TEST_CASE("socketio: reconnectionAttempts gives up, and no jitter means no draw", "[presets][socketio]") {
  auto limited = make_backoff_policy("socketio", {{"max_retries", 3.0}});
  Rng rng(6);
  CHECK(backoff_sequence(*limited, 10, rng).size() == 3);
  auto exact = make_backoff_policy("socketio", {{"randomization_factor", 0.0}, {"reconnection_delay_max_s", 60.0}});
  Rng a(1), untouched(1);
  CHECK(sequence_ms(*exact, 7, a) == std::vector<double>{1000, 2000, 4000, 8000, 16000, 32000, 60000});
  CHECK(a.next_u64() == untouched.next_u64());  // randomizationFactor 0: Math.random() is never called
}

// ------------------------------------------------------------------------------------------------
// SignalR

TEST_CASE("signalr: after a lost connection 0, 2, 10, 30 s, then it gives up", "[presets][signalr]") {
  auto policy = make_backoff_policy("signalr", {});
  Rng rng(1);
  CHECK(sequence_ms(*policy, 10, rng) == std::vector<double>{0, 2000, 10000, 30000});
  CHECK(policy->max_retries() == 4);
  REQUIRE_THROWS_WITH(sample_backoff_delays(*policy, 4, 1, rng),
                      "signalr gives up before retry 4 (it makes 4 retries after a lost connection when every attempt fails)");
  // A success in between starts the list again at the next loss.
  BackoffState state;
  policy->on_connected(state, 0);
  CHECK(retry(*policy, state, rng, lost(5 * kS)) == 0);
  CHECK(retry(*policy, state, rng, failed_at(5 * kS)) == 2 * kS);
  policy->on_connected(state, 7 * kS);
  CHECK(retry(*policy, state, rng, lost(9 * kS)) == 0);
  CHECK(retry(*policy, state, rng, failed_at(9 * kS)) == 2 * kS);
  CHECK(retry(*policy, state, rng, failed_at(11 * kS)) == 10 * kS);
  CHECK(retry(*policy, state, rng, failed_at(21 * kS)) == 30 * kS);
  CHECK_FALSE(policy->retry_delay(state, rng, failed_at(51 * kS)).has_value());
}

TEST_CASE("signalr: a failed start() is not retried unless retry_failed_start", "[presets][signalr]") {
  auto policy = make_backoff_policy("signalr", {});
  Rng rng(1);
  BackoffState fresh;
  CHECK_FALSE(policy->retry_delay(fresh, rng, failed(3 * kS, 2 * kS)).has_value());
  CHECK(backoff_sequence(*policy, 5, rng, RetryCause::AttemptFailed).empty());
  // A new session is a new start(): its failure is not retried either.
  BackoffState state;
  policy->on_connected(state, 0);
  retry(*policy, state, rng, lost(1 * kS));
  policy->on_connected(state, 2 * kS);
  policy->on_session_restart(state, 3 * kS);
  CHECK_FALSE(policy->retry_delay(state, rng, failed_at(3 * kS)).has_value());
  auto retrying = make_backoff_policy("signalr", {{"retry_failed_start", 1.0}});
  CHECK(sequence_ms(*retrying, 10, rng, RetryCause::AttemptFailed) == std::vector<double>{0, 2000, 10000, 30000});
}

// ------------------------------------------------------------------------------------------------
// ably-js

TEST_CASE("ably: disconnected retries are 15 s * min((n + 2) / 3, 2) * (1 - 0.2 random)", "[presets][ably]") {
  auto policy = make_backoff_policy("ably", {});
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    Rng rng(seed), copy(seed);
    BackoffState state;  // the first connection attempt failed: n counts from 1
    for (int n = 1; n <= 6; ++n) {
      const SimTime d = retry(*policy, state, rng, failed_at(0));
      const double expected_s = 15.0 * std::min((n + 2) / 3.0, 2.0) * (1.0 - 0.2 * copy.uniform01());
      CHECK(std::abs(static_cast<double>(d) - expected_s * 1e9) <= 1.0);
      const double factor = std::min((n + 2) / 3.0, 2.0);
      CHECK(static_cast<double>(d) > 0.8 * 15e9 * factor);
      CHECK(static_cast<double>(d) <= 15e9 * factor);
    }
  }
}

TEST_CASE("ably: a lost connection is retried at once, at most once a second, and then n = 2", "[presets][ably]") {
  auto policy = make_backoff_policy("ably", {});
  Rng rng(2);
  BackoffState state;
  policy->on_connected(state, 0);
  CHECK(retry(*policy, state, rng, lost(100 * kS)) == 0);  // immediate reconnect at 100 s
  // That reconnect works, but the connection is lost again 0.3 s later: wait until 1 s after the
  // previous immediate reconnect (1000 - (300 + 1) ms, as ably-js counts).
  policy->on_connected(state, 100 * kS + 50 * kMs);
  CHECK(retry(*policy, state, rng, lost(100 * kS + 300 * kMs)) == 699 * kMs);
  // The delayed reconnect (at 100.999 s) fails: the next wait uses n = 2, i.e. (16, 20] s.
  const SimTime second = retry(*policy, state, rng, failed(101 * kS, 100 * kS + 999 * kMs));
  CHECK((second > 16 * kS && second <= 20 * kS));
  // Whole sequence after a loss: 0, then n = 2, 3, 4, ...
  const auto seq = sequence_ms(*policy, 4, rng);
  CHECK(seq[0] == 0);
  CHECK((seq[1] > 16000 && seq[1] <= 20000));
  CHECK((seq[2] > 20000 && seq[2] <= 25000));
  CHECK((seq[3] > 24000 && seq[3] <= 30000));
}

TEST_CASE("ably: 120 s after the first attempt without a connection it is suspended and retries every 30 s", "[presets][ably]") {
  auto policy = make_backoff_policy("ably", {});
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Rng rng(seed);
    // A client loses its connection at 0; every attempt then fails at once. The suspend timer starts
    // with the first attempt (at 0) and fires at 120 s: the pending retry is replaced by one at 150 s.
    const auto seq = backoff_sequence(*policy, 12, rng);
    SimTime clock = 0;
    std::size_t i = 0;
    while (i < seq.size() && clock + seq[i] < 120 * kS) clock += seq[i++];
    REQUIRE(i < seq.size() - 2);
    CHECK(clock + seq[i] == 150 * kS);  // the first retry once suspended
    for (std::size_t k = i + 1; k < seq.size(); ++k) CHECK(seq[k] == 30 * kS);  // no jitter
  }
  // Being connected ends the suspended state.
  Rng rng(9);
  BackoffState state;
  retry(*policy, state, rng, failed_at(0));
  CHECK(retry(*policy, state, rng, failed_at(130 * kS)) == 20 * kS);  // failed after the expiry: 120 + 30 - 130
  CHECK(retry(*policy, state, rng, failed_at(150 * kS)) == 30 * kS);
  policy->on_connected(state, 180 * kS);
  CHECK(retry(*policy, state, rng, lost(200 * kS)) == 0);
  const SimTime after = retry(*policy, state, rng, failed_at(200 * kS));
  CHECK((after > 16 * kS && after <= 20 * kS));
}

// ------------------------------------------------------------------------------------------------
// Phoenix

TEST_CASE("phoenix: the reconnectAfterMs table, then 5000 ms, reset when the socket opens", "[presets][phoenix]") {
  auto policy = make_backoff_policy("phoenix", {});
  Rng rng(1);
  CHECK(sequence_ms(*policy, 12, rng) ==
        std::vector<double>{10, 50, 100, 150, 200, 250, 500, 1000, 2000, 5000, 5000, 5000});
  CHECK(sequence_ms(*policy, 3, rng, RetryCause::AttemptFailed) == std::vector<double>{10, 50, 100});
  BackoffState state;
  for (int i = 0; i < 4; ++i) retry(*policy, state, rng, failed_at(0));
  policy->on_connected(state, 1 * kS);
  CHECK(retry(*policy, state, rng, lost(2 * kS)) == 10 * kMs);
}

// ------------------------------------------------------------------------------------------------
// reconnecting-websocket

TEST_CASE("reconnecting_websocket: min drawn once per client, then x1.3 per retry up to 10 s", "[presets][rws]") {
  auto policy = make_backoff_policy("reconnecting_websocket", {});
  std::set<SimTime> mins;
  double sum = 0;
  const int clients = 4000;
  for (int c = 0; c < clients; ++c) {
    Rng rng(static_cast<std::uint64_t>(c) + 1);
    const auto seq = backoff_sequence(*policy, 12, rng);
    const SimTime min = seq[0];
    REQUIRE(min >= 1 * kS);
    REQUIRE(min < 5 * kS);
    mins.insert(min);
    sum += static_cast<double>(min);
    for (std::size_t k = 1; k < seq.size(); ++k) {
      const double grown = static_cast<double>(min) * std::pow(1.3, static_cast<double>(k));
      CHECK(std::abs(static_cast<double>(seq[k]) - std::min(grown, 10e9)) <= 1.0);
    }
    CHECK(seq.back() == 10 * kS);
  }
  CHECK(mins.size() == static_cast<std::size_t>(clients));  // a continuous draw per client
  CHECK(std::abs(sum / clients - 3e9) < 0.08e9);           // uniform on [1, 5) s: mean 3 s (4.4 sd)
}

TEST_CASE("reconnecting_websocket: the count resets only after 5 s up, and the client keeps its min", "[presets][rws]") {
  auto policy = make_backoff_policy("reconnecting_websocket", {});
  Rng rng(8);
  BackoffState state;
  policy->on_connected(state, 0);
  const SimTime min = retry(*policy, state, rng, lost(60 * kS));  // up a minute: retry 1 waits min
  CHECK(retry(*policy, state, rng, failed_at(61 * kS)) == static_cast<SimTime>(std::llround(static_cast<double>(min) * 1.3)));
  // Connected again at 70 s but lost after 4 s: the count goes on (retry 3: min * 1.3^2).
  policy->on_connected(state, 70 * kS);
  CHECK(retry(*policy, state, rng, lost(74 * kS)) ==
        static_cast<SimTime>(std::llround(static_cast<double>(min) * std::pow(1.3, 2.0))));
  // Connected at 80 s and lost at exactly 85 s: reset, min again (no new draw: same value).
  policy->on_connected(state, 80 * kS);
  CHECK(retry(*policy, state, rng, lost(85 * kS)) == min);
  // A new session (reconnect()) starts the count again too.
  retry(*policy, state, rng, failed_at(86 * kS));
  policy->on_session_restart(state, 90 * kS);
  CHECK(retry(*policy, state, rng, failed_at(90 * kS)) == min);
  // maxRetries counts the retries since the last reset.
  auto limited = make_backoff_policy("reconnecting_websocket", {{"max_retries", 2.0}});
  CHECK(backoff_sequence(*limited, 5, rng).size() == 2);
  // A fixed min (no spread) draws nothing.
  auto fixed = make_backoff_policy("reconnecting_websocket", {{"min_reconnection_delay_spread_s", 0.0}});
  CHECK(sequence_ms(*fixed, 3, rng) == std::vector<double>{1000, 1300, 1690});
}

// ------------------------------------------------------------------------------------------------
// centrifuge-js

TEST_CASE("centrifuge: min(max, min + randInt(0, min(max, min * 2^step))), reproduced by hand", "[presets][centrifuge]") {
  auto policy = make_backoff_policy("centrifuge", {});
  for (std::uint32_t step : {0u, 1u, 3u, 5u, 6u, 31u, 40u, 100000u}) {
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
      Rng rng(seed), copy(seed);
      BackoffState state;
      state.attempt = step;
      const double high = std::min(20000.0, 500.0 * std::pow(2.0, std::min(step, 31u)));
      const double expected = std::min(20000.0, 500.0 + std::floor(copy.uniform01() * (high + 1.0)));
      CHECK(policy->next_delay(state, rng) == static_cast<SimTime>(expected) * kMs);
    }
  }
}

TEST_CASE("centrifuge: bounds per step and the mass at the cap", "[presets][centrifuge]") {
  auto policy = make_backoff_policy("centrifuge", {});
  Rng rng(2);
  for (const SimTime d : sample_backoff_delays(*policy, 0, 2000, rng)) CHECK((d >= 500 * kMs && d <= 1000 * kMs));
  for (const SimTime d : sample_backoff_delays(*policy, 3, 2000, rng)) CHECK((d >= 500 * kMs && d <= 4500 * kMs));
  // Step 6: randInt(0, 20000), so min + interval >= 20000 for 501 of its 20001 values.
  int at_cap = 0;
  const int n = 40000;
  for (const SimTime d : sample_backoff_delays(*policy, 6, n, rng)) {
    CHECK((d >= 500 * kMs && d <= 20000 * kMs));
    at_cap += d == 20000 * kMs ? 1 : 0;
  }
  const double p = 501.0 / 20001.0;
  CHECK(std::abs(at_cap - n * p) < 5 * std::sqrt(n * p));
}

// ------------------------------------------------------------------------------------------------
// pusher-js

TEST_CASE("pusher: 1 s after a lost connection, and a failed attempt waits for its timeout from its start", "[presets][pusher]") {
  auto policy = make_backoff_policy("pusher", {});
  Rng rng(1);
  CHECK(sequence_ms(*policy, 6, rng) == std::vector<double>{1000, 15000, 30000, 60000, 60000, 60000});
  BackoffState state;
  // An attempt started at 10 s is refused at 10.2 s: the next starts at 10 + 15 s.
  CHECK(retry(*policy, state, rng, failed(10 * kS + 200 * kMs, 10 * kS)) == 14 * kS + 800 * kMs);
  // The next one (timeout 30 s) times out in the model after 10 s: 20 s more.
  CHECK(retry(*policy, state, rng, {35 * kS, 25 * kS, RetryCause::AttemptTimedOut}) == 20 * kS);
  // A success and a loss start a new run: 1 s, then 15 s again.
  policy->on_connected(state, 60 * kS);
  CHECK(retry(*policy, state, rng, lost(100 * kS)) == 1 * kS);
  CHECK(retry(*policy, state, rng, failed_at(101 * kS)) == 15 * kS);
}

// ------------------------------------------------------------------------------------------------
// gRPC

TEST_CASE("grpc: first attempt without jitter, then min(1.6 b, 120 s) +- 20 %", "[presets][grpc]") {
  auto policy = make_backoff_policy("grpc", {});
  std::vector<double> lowest(12, 1e300), highest(12, 0);
  for (std::uint64_t seed = 1; seed <= 3000; ++seed) {
    Rng rng(seed);
    const auto seq = sequence_ms(*policy, 12, rng);
    REQUIRE(seq.size() == 12);
    CHECK(seq[0] == 0);     // a lost connection: a new connection run starts at once
    CHECK(seq[1] == 1000);  // its first attempt failed: INITIAL_BACKOFF from its start, no jitter
    for (std::size_t k = 2; k < seq.size(); ++k) {
      const double b = std::min(1000.0 * std::pow(1.6, static_cast<double>(k - 1)), 120000.0);
      CHECK(seq[k] >= 0.8 * b - 1e-5);
      CHECK(seq[k] <= 1.2 * b + 1e-5);
      lowest[k] = std::min(lowest[k], seq[k] / b);
      highest[k] = std::max(highest[k], seq[k] / b);
    }
  }
  for (std::size_t k = 2; k < 12; ++k) {  // the jitter spans the whole +-20 %
    CHECK(lowest[k] < 0.81);
    CHECK(highest[k] > 1.19);
  }
  // Far into the run the backoff stays at 120 s +- 20 %.
  Rng rng(4);
  for (const SimTime d : sample_backoff_delays(*policy, 40, 200, rng)) CHECK((d >= 96 * kS && d <= 144 * kS));
}

TEST_CASE("grpc: the backoff counts from the attempt's start", "[presets][grpc]") {
  auto policy = make_backoff_policy("grpc", {});
  Rng rng(3), copy(3);
  BackoffState state;
  // The first attempt starts at 0 (a new client) and is refused at 0.4 s: sleep until 1 s.
  CHECK(retry(*policy, state, rng, failed(400 * kMs, 0)) == 600 * kMs);
  // The second starts at 1 s with backoff 1.6 s +- 20 % (drawn when it started), and takes 5 s to
  // time out: the third starts at once.
  CHECK(retry(*policy, state, rng, {6 * kS, 1 * kS, RetryCause::AttemptTimedOut}) == 0);
  // By hand: the draws were for attempts 2 and 3.
  const double second = 1.6e9 + copy.uniform(-0.2 * 1.6e9, 0.2 * 1.6e9);
  (void)second;
  const double third = 2.56e9 + copy.uniform(-0.2 * 2.56e9, 0.2 * 2.56e9);
  CHECK(retry(*policy, state, rng, failed_at(6 * kS)) == static_cast<SimTime>(std::llround(third)));
}

TEST_CASE("grpc jitter_first: C-core and Java jitter the first backoff too (0.8-1.2 s)", "[presets][grpc]") {
  // grpc-java ExponentialBackoffPolicy: the first nextBackoffMillis() is INITIAL_BACKOFF (1 s) +
  // uniformRandom(-0.2 s, 0.2 s); the later ones as before.
  auto policy = make_backoff_policy("grpc", {{"jitter_first", 1.0}});
  double lowest = 1e300, highest = 0;
  for (std::uint64_t seed = 1; seed <= 2000; ++seed) {
    Rng rng(seed), copy(seed);
    const auto seq = sequence_ms(*policy, 3, rng);
    REQUIRE(seq.size() == 3);
    CHECK(seq[0] == 0);
    const double first = 1e9 + copy.uniform(-0.2e9, 0.2e9);  // drawn first, for the run's first attempt
    CHECK(seq[1] * 1e6 == Approx(static_cast<double>(std::llround(first))).margin(1.0));
    lowest = std::min(lowest, seq[1]);
    highest = std::max(highest, seq[1]);
  }
  CHECK(lowest >= 800.0);
  CHECK(lowest < 810.0);
  CHECK(highest <= 1200.0);
  CHECK(highest > 1190.0);
  // The default (the protocol document) keeps the first backoff exact.
  auto spec = make_backoff_policy("grpc", {});
  Rng rng(5);
  CHECK(sequence_ms(*spec, 2, rng)[1] == 1000);
}

TEST_CASE("grpc from_attempt_start = 0: grpc-go waits the backoff after the failed attempt", "[presets][grpc]") {
  auto go = make_backoff_policy("grpc", {{"from_attempt_start", 0.0}});
  auto spec = make_backoff_policy("grpc", {});
  Rng rng(3), rng_spec(3);
  BackoffState state, state_spec;
  // Refused 0.4 s after it started: grpc-go sleeps the whole 1 s, the document until 1 s after the start.
  CHECK(retry(*go, state, rng, failed(400 * kMs, 0)) == 1 * kS);
  CHECK(retry(*spec, state_spec, rng_spec, failed(400 * kMs, 0)) == 600 * kMs);
  // A 5 s timeout: grpc-go still waits its (jittered 1.6 s) backoff, the document starts at once.
  const SimTime go_second = retry(*go, state, rng, {6 * kS, 1 * kS, RetryCause::AttemptTimedOut});
  CHECK(go_second >= 1280 * kMs);
  CHECK(go_second <= 1920 * kMs);
  CHECK(retry(*spec, state_spec, rng_spec, {6 * kS, 1 * kS, RetryCause::AttemptTimedOut}) == 0);
}

// ------------------------------------------------------------------------------------------------
// AWS SDK standard retry

TEST_CASE("aws_standard: floor(random * min(100 ms * 2^i, 20 s)), three attempts per request", "[presets][aws]") {
  auto policy = make_backoff_policy("aws_standard", {});
  CHECK(policy->max_retries() == 2);
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    Rng rng(seed), copy(seed);
    const auto seq = backoff_sequence(*policy, 5, rng);
    REQUIRE(seq.size() == 2);  // attempts 2 and 3, then the request fails and the client gives up
    CHECK(seq[0] == static_cast<SimTime>(std::floor(copy.uniform01() * 100.0)) * kMs);
    CHECK(seq[1] == static_cast<SimTime>(std::floor(copy.uniform01() * 200.0)) * kMs);
  }
  auto many = make_backoff_policy("aws_standard", {{"max_attempts", 12.0}});
  Rng rng(7);
  for (const SimTime d : sample_backoff_delays(*many, 10, 2000, rng)) CHECK((d >= 0 && d < 20000 * kMs && d % kMs == 0));
  REQUIRE_THROWS_AS(sample_backoff_delays(*policy, 2, 1, rng), std::invalid_argument);
}

TEST_CASE("aws_standard: the retry quota runs out, and successes refund it", "[presets][aws]") {
  auto policy = make_backoff_policy("aws_standard", {{"max_attempts", 100.0}, {"quota_tokens", 25.0}});
  Rng rng(1);
  BackoffState state;
  retry(*policy, state, rng, failed_at(0));  // 15 tokens left
  retry(*policy, state, rng, failed_at(0));  // 5 left: less than a retry costs
  CHECK_FALSE(policy->retry_delay(state, rng, failed_at(0)).has_value());
  // A success after retries gives back the last retry's cost (10), not all it spent.
  BackoffState refunded;
  retry(*policy, refunded, rng, failed_at(0));
  retry(*policy, refunded, rng, failed_at(0));
  policy->on_connected(refunded, 1 * kS);  // 15 left
  retry(*policy, refunded, rng, lost(2 * kS));  // 5 left
  CHECK_FALSE(policy->retry_delay(refunded, rng, failed_at(2 * kS)).has_value());
  // A success without a retry gives back 1 token, never above the quota.
  auto standard = make_backoff_policy("aws_standard", {});
  BackoffState full;
  for (int i = 0; i < 60; ++i) {  // 50 requests that each need one retry: 10 tokens each, refunded
    retry(*standard, full, rng, failed_at(0));
    standard->on_connected(full, 0);
  }
  CHECK(full.scratch == 0);
  BackoffState drained;  // 49 failed requests with two retries each, refunded 10 each time: 10 net each
  for (int i = 0; i < 49; ++i) {
    retry(*standard, drained, rng, failed_at(0));
    retry(*standard, drained, rng, failed_at(0));
    standard->on_connected(drained, 0);
  }
  CHECK(drained.scratch == 490);  // 10 tokens left: one more retry, then none
  retry(*standard, drained, rng, failed_at(0));
  CHECK_FALSE(standard->retry_delay(drained, rng, failed_at(0)).has_value());
  standard->on_connected(drained, 0);  // + 10
  CHECK(drained.scratch == 490);
  for (int i = 0; i < 5; ++i) {
    BackoffState copy = drained;
    standard->on_connected(copy, 0);  // success without retry: + 1
    CHECK(copy.scratch == 489);
  }
}

// ------------------------------------------------------------------------------------------------
// Sampling and determinism

TEST_CASE("every preset is reproducible from the seed and samples any retry it makes", "[presets]") {
  for (const auto& info : wsfleet::models::backoff_client_presets()) {
    auto policy = make_backoff_policy(info.name, {});
    Rng a(5), b(5);
    CHECK(sample_backoff_delays(*policy, 1, 50, a) == sample_backoff_delays(*policy, 1, 50, b));
    const auto seq = backoff_sequence(*policy, 30, a);
    CHECK(seq.size() == (info.name == "signalr" ? 4u : info.name == "aws_standard" ? 2u : 30u));
    for (const SimTime d : seq) CHECK(d >= 0);
  }
}

// ------------------------------------------------------------------------------------------------
// In a fleet run

namespace {

wsfleet::models::FleetConfig crash_without_recovery(const std::string& backoff) {
  wsfleet::models::FleetConfig cfg;
  cfg.name = "preset crash";
  cfg.run.duration_s = 200.0;
  cfg.run.sample_interval_s = 1.0;
  cfg.run.seed = 11;
  cfg.fleet.servers = 1;
  cfg.fleet.max_connections = 1000;
  cfg.clients.count = 300;
  cfg.clients.ramp_s = 5.0;
  cfg.clients.messages_per_minute = 0.0;
  cfg.balancer.policy = "round_robin";
  cfg.backoff.policy = backoff;
  cfg.balancer.health_check.mode = wsfleet::models::HealthCheckMode::Instant;  // the preset, not the detection, is under test
  cfg.faults.push_back(wsfleet::models::CrashFault::of_server(0, 60.0));
  return cfg;
}

}  // namespace

TEST_CASE("in a run, SignalR clients give up after 4 retries when their only server never comes back", "[presets][fleet]") {
  wsfleet::models::Fleet fleet(crash_without_recovery("signalr"));
  const auto r = fleet.run();
  const auto& c = r.summary.connections;
  CHECK(r.summary.backoff == "signalr");
  CHECK(c.established == 300);
  CHECK(c.dropped == 300);
  CHECK(c.retries == 4 * 300);        // 0, 2, 10, 30 s, all to no backend
  CHECK(c.no_backend == 4 * 300);
  CHECK(c.gave_up == 300);
  CHECK(c.waiting_at_end == 0);
  for (const auto& check : r.summary.conservation) CHECK(check.ok);
  // The last retries went out 42 s after the crash, and the give-ups come with them.
  const auto& gave_up = r.fleet.column("gave_up");
  const auto& time = r.fleet.column("time_s");
  double last_give_up = 0;
  for (std::size_t i = 0; i < gave_up.size(); ++i) {
    if (gave_up[i] > 0) last_give_up = time[i];
  }
  // 60 + 0 + 2 + 10 + 30 = 102 s: counted in the interval ending at 102 s or the next one.
  CHECK(last_give_up >= 102.0);
  CHECK(last_give_up <= 103.0);
}

TEST_CASE("in a run, a preset's retry rule is what the fleet follows", "[presets][fleet]") {
  // Phoenix never gives up: 10, 50, ... ms, then every 5 s until the end.
  wsfleet::models::Fleet phoenix(crash_without_recovery("phoenix"));
  const auto p = phoenix.run();
  CHECK(p.summary.connections.gave_up == 0);
  CHECK(p.summary.connections.waiting_at_end == 300);
  // 9 table retries in 4.26 s, then one per 5 s over the remaining ~135.7 s: 27 more.
  CHECK(p.summary.connections.retries == 300 * (9 + 27));
  for (const auto& check : p.summary.conservation) CHECK(check.ok);
  // AWS standard: two retries per client, then the request fails.
  wsfleet::models::Fleet aws(crash_without_recovery("aws_standard"));
  const auto a = aws.run();
  CHECK(a.summary.connections.retries == 2 * 300);
  CHECK(a.summary.connections.gave_up == 300);
  for (const auto& check : a.summary.conservation) CHECK(check.ok);
}

TEST_CASE("every preset survives a storm with rejections, timeouts, recoveries and new sessions", "[presets][fleet]") {
  for (const auto& info : wsfleet::models::backoff_client_presets()) {
    wsfleet::models::FleetConfig cfg = crash_without_recovery(info.name);
    cfg.run.duration_s = 240.0;
    cfg.fleet.servers = 3;
    cfg.fleet.max_connections = 250;  // 600 clients, 500 slots once a server is down: rejections
    cfg.fleet.cpu.handshake_us = 20000.0;
    cfg.clients.count = 600;  // 120 handshakes/s per server at 20 ms each over the ramp: queues and timeouts
    cfg.clients.connect_timeout_s = 0.5;
    cfg.clients.messages_per_minute = 2.0;
    cfg.clients.session_s = wsfleet::sim::Distribution::exponential(60.0);
    cfg.clients.on_session_end = wsfleet::models::SessionEnd::Reconnect;
    cfg.faults = {wsfleet::models::CrashFault::of_server(1, 60.0, 40.0), wsfleet::models::CrashFault::of_server(2, 150.0)};
    // Sticky sessions, as socket.io (polling, then the upgrade) and SignalR (negotiate, then the
    // WebSocket) require behind round robin: without them their attempts fail with Session ID unknown.
    cfg.balancer.sticky = wsfleet::models::Stickiness::Cookie;
    wsfleet::models::Fleet first(cfg), second(cfg);
    const auto a = first.run();  // throws ConservationError if any count is off
    const auto b = second.run();
    INFO(info.name);
    CHECK(a.summary.backoff == info.name);
    CHECK(a.summary.connections.dropped > 0);
    CHECK(a.summary.connections.retries > 0);
    CHECK(a.summary.connections.attempted == b.summary.connections.attempted);
    CHECK(a.summary.connections.retries == b.summary.connections.retries);
    CHECK(a.summary.connections.gave_up == b.summary.connections.gave_up);
    for (const auto& check : a.summary.conservation) CHECK(check.ok);
  }
}

// ------------------------------------------------------------------------------------------------
// Connect timeouts (the libraries' per-attempt defaults, for the fleet to use)

TEST_CASE("each client preset exposes its library's connect timeout", "[presets][timeout]") {
  const std::map<std::string, double> expected = {{"reconnecting_websocket", 4.0}, {"centrifuge", 5.0},
                                                  {"socketio", 20.0},            {"grpc", 20.0},
                                                  {"ably", 10.0},                {"pusher", 15.0}};
  for (const auto& [name, seconds] : expected) {
    const auto t = preset_connect_timeout(name, {});
    REQUIRE(t.has_value());
    CHECK(t->timeout_s == seconds);
    CHECK(!t->option.empty());
    CHECK(t->at_least_backoff == (name == "grpc"));  // gRPC: max(MIN_CONNECT_TIMEOUT, the backoff)
  }
  CHECK(preset_connect_timeout("pusher", {})->doubles_to_s == 60.0);
  const auto custom = preset_connect_timeout("pusher", {{"timeout_s", 8.0}, {"timeout_limit_s", 32.0}});
  CHECK(custom->timeout_s == 8.0);
  CHECK(custom->doubles_to_s == 32.0);
  for (const char* none : {"signalr", "phoenix", "aws_standard", "full_jitter", "exponential"}) {
    CHECK_FALSE(preset_connect_timeout(none, {}).has_value());
  }
}

TEST_CASE("each preset's policy gives its library's timeout to every attempt", "[presets][timeout]") {
  // A new client's first attempt gets the library's default, the same figure preset_connect_timeout lists.
  for (const auto& info : wsfleet::models::backoff_client_presets()) {
    const auto policy = make_backoff_policy(info.name, {});
    const auto listed = preset_connect_timeout(info.name, {});
    const auto own = policy->attempt_timeout(BackoffState{});
    INFO(info.name);
    REQUIRE(own.has_value() == listed.has_value());
    if (own) CHECK(*own == wsfleet::sim::from_seconds(listed->timeout_s));
  }
  for (const char* generic : {"full_jitter", "exponential", "constant", "immediate", "decorrelated_jitter"}) {
    CHECK_FALSE(make_backoff_policy(generic, {})->attempt_timeout(BackoffState{}).has_value());
  }
}

TEST_CASE("pusher: the attempt timeout doubles within a connection run, 15, 30, 60, 60 s, and restarts after a loss",
          "[presets][timeout]") {
  // sequential_strategy.ts: timeout = min(timeout * 2, timeoutLimit) before each next attempt of a run.
  Rng rng(1);
  const auto pusher = make_backoff_policy("pusher", {});
  BackoffState st;
  std::vector<double> seen_s;
  SimTime t = 0;
  for (int i = 0; i < 5; ++i) {
    const SimTime timeout = *pusher->attempt_timeout(st);
    seen_s.push_back(wsfleet::sim::to_seconds(timeout));
    // The attempt times out: the next starts when its timeout ends (delay 0 from then).
    CHECK(retry(*pusher, st, rng, {t + timeout, t, RetryCause::AttemptTimedOut}) == 0);
    t += timeout;
  }
  CHECK(seen_s == std::vector<double>{15.0, 30.0, 60.0, 60.0, 60.0});
  pusher->on_connected(st, t);
  CHECK(*pusher->attempt_timeout(st) == 15 * kS);  // connected: a new run
  retry(*pusher, st, rng, lost(t + 100 * kS));
  CHECK(*pusher->attempt_timeout(st) == 15 * kS);  // the run after a loss starts at the base again
  const auto custom = make_backoff_policy("pusher", {{"timeout_s", 8.0}, {"timeout_limit_s", 20.0}});
  BackoffState c;
  std::vector<double> custom_s;
  for (int i = 0; i < 4; ++i) {
    custom_s.push_back(wsfleet::sim::to_seconds(*custom->attempt_timeout(c)));
    retry(*custom, c, rng, {0, 0, RetryCause::AttemptTimedOut});
  }
  CHECK(custom_s == std::vector<double>{8.0, 16.0, 20.0, 20.0});
}

TEST_CASE("grpc: an attempt's timeout is max(MIN_CONNECT_TIMEOUT, its backoff)", "[presets][timeout]") {
  // Without jitter the backoffs are 1.6^k s: 1, 1.6, 2.56, ..., 16.777216 (k = 6), 26.8435456 (k = 7),
  // 42.94967296 (k = 8), ..., capped at 120. The timeouts are 20 s up to k = 6, then the backoff.
  Rng rng(3);
  const auto grpc = make_backoff_policy("grpc", {{"jitter", 0.0}});
  BackoffState st;
  std::vector<SimTime> timeouts;
  for (int k = 0; k < 13; ++k) {
    timeouts.push_back(*grpc->attempt_timeout(st));
    retry(*grpc, st, rng, {timeouts.back(), 0, RetryCause::AttemptTimedOut});
  }
  for (int k = 0; k <= 6; ++k) CHECK(timeouts[static_cast<std::size_t>(k)] == 20 * kS);
  CHECK(timeouts[7] == 26'843'545'600);  // 1.6^7 s, rounded to ns
  CHECK(timeouts[8] == 42'949'672'960);  // 1.6^8 s
  CHECK(timeouts[12] == 120 * kS);       // 1.6^11 = 175.9 s is past MAX_BACKOFF
  // A lost connection starts a new run: 20 s again.
  retry(*grpc, st, rng, lost(0));
  CHECK(*grpc->attempt_timeout(st) == 20 * kS);
  // With the default jitter each timeout is max(20 s, the jittered backoff the attempt was given).
  const auto jittered = make_backoff_policy("grpc", {});
  BackoffState j;
  for (int k = 0; k < 12; ++k) retry(*jittered, j, rng, {0, 0, RetryCause::AttemptTimedOut});
  CHECK(*jittered->attempt_timeout(j) == std::max<SimTime>(20 * kS, j.last_delay));
  CHECK(j.last_delay > 20 * kS);  // 120 s +- 20 %
  // min_connect_timeout_s (grpc-go ConnectParams.MinConnectTimeout) moves the floor.
  const auto quick = make_backoff_policy("grpc", {{"jitter", 0.0}, {"min_connect_timeout_s", 2.0}});
  BackoffState q;
  std::vector<double> quick_s;
  for (int k = 0; k < 4; ++k) {
    quick_s.push_back(wsfleet::sim::to_seconds(*quick->attempt_timeout(q)));
    retry(*quick, q, rng, {0, 0, RetryCause::AttemptTimedOut});
  }
  CHECK(quick_s == std::vector<double>{2.0, 2.0, 2.56, 4.096});
  CHECK(preset_connect_timeout("grpc", {{"min_connect_timeout_s", 2.0}})->timeout_s == 2.0);
}

namespace {

/// One client against one server whose handshakes never finish in time (each costs 1000 s of CPU):
/// every attempt times out, and the run shows when.
wsfleet::models::FleetConfig hopeless_handshakes(const std::string& backoff, wsfleet::models::Params params) {
  wsfleet::models::FleetConfig cfg;
  cfg.name = "hopeless handshakes";
  cfg.run.duration_s = 100.0;
  cfg.run.seed = 2;
  cfg.fleet.servers = 1;
  cfg.fleet.cpu.handshake_us = 1e9;
  cfg.clients.count = 1;
  cfg.clients.ramp_s = 0.0;  // the one client arrives at t = 0
  cfg.clients.messages_per_minute = 0.0;
  cfg.clients.heartbeat_interval_s = 0.0;
  cfg.backoff.policy = backoff;
  cfg.backoff.params = std::move(params);
  cfg.balancer.health_check.mode = wsfleet::models::HealthCheckMode::Instant;  // the server stays in service
  return cfg;
}

}  // namespace

TEST_CASE("in a run, a scenario without clients.connect_timeout_s times attempts out as the preset does",
          "[presets][timeout][fleet]") {
  const auto counts = [](const wsfleet::models::FleetConfig& cfg) {
    const auto r = wsfleet::models::Fleet(cfg).run();
    for (const auto& check : r.summary.conservation) CHECK(check.ok);
    return std::pair{r.summary.connections.attempted, r.summary.connections.failed_timeout};
  };
  // pusher: attempts at 0 (15 s), 15 (30 s), 45 (60 s: past the end), each next one started the
  // moment (plus the 1 ms retry gap) the previous timed out: 3 attempts, 2 timeouts in 100 s.
  auto pusher = hopeless_handshakes("pusher", {});
  CHECK(counts(pusher) == std::pair<std::uint64_t, std::uint64_t>{3, 2});
  // The scenario's 10 s: each attempt fails at 10 s, and pusher still starts the next when the
  // library's timeout would have ended (15, 45 s): the same 3 attempts, but all 3 time out.
  pusher.clients.connect_timeout_s = 10.0;
  CHECK(counts(pusher) == std::pair<std::uint64_t, std::uint64_t>{3, 3});
  // grpc without jitter: 20 s per attempt (the backoff 1, 1.6, 2.56, 4.096 s is shorter) and the
  // next at once: attempts at 0, 20, 40, 60, 80 s: 5 attempts, 4 timeouts.
  auto grpc = hopeless_handshakes("grpc", {{"jitter", 0.0}});
  CHECK(counts(grpc) == std::pair<std::uint64_t, std::uint64_t>{5, 4});
  // The scenario's 10 s: attempts at 0, 10, 20, 30, 40, 50 s (backoffs 1 ... 6.5536 s end before the
  // timeout), then 50 + 10.48576 = 60.49 s and 60.49 + 16.777216 = 77.27 s; the next would start at
  // 77.27 + 26.84 = 104.1 s: 8 attempts, all 8 timed out (the last at 87.27 s).
  grpc.clients.connect_timeout_s = 10.0;
  CHECK(counts(grpc) == std::pair<std::uint64_t, std::uint64_t>{8, 8});
  // socket.io without jitter: 20 s per attempt, then 1, 2, 4, 5 s of backoff: attempts at 0, 21, 43,
  // 67, 92 s: 5 attempts, 4 timeouts (the fifth would end at 112 s).
  auto socketio = hopeless_handshakes("socketio", {{"randomization_factor", 0.0}});
  CHECK(counts(socketio) == std::pair<std::uint64_t, std::uint64_t>{5, 4});
  // A generic policy brings no timeout: 10 s (kDefaultConnectTimeoutS), then a constant 4 s: attempts
  // at 0, 14, 28, 42, 56, 70, 84, 98 s: 8 attempts, 7 timeouts.
  auto constant = hopeless_handshakes("constant", {{"delay_s", 4.0}});
  CHECK(counts(constant) == std::pair<std::uint64_t, std::uint64_t>{8, 7});
}

TEST_CASE("ably: an attempt in flight when the connection-state TTL expires is aborted then", "[presets][timeout]") {
  Rng rng(5);
  const auto ably = make_backoff_policy("ably", {});
  BackoffState st;
  CHECK_FALSE(ably->attempt_abort(st, 0).has_value());  // no suspend timer yet
  // The first attempt (started at 0) fails at 10 s: the suspend timer started with it, expiry 120 s.
  retry(*ably, st, rng, {10 * kS, 0, RetryCause::AttemptTimedOut});
  CHECK(*ably->attempt_abort(st, 100 * kS) == 20 * kS);
  CHECK(*ably->attempt_abort(st, 115 * kS) == 5 * kS);
  // Once suspended (a failure at or after the expiry) no abort: suspended retries run to their timeout.
  retry(*ably, st, rng, {120 * kS, 115 * kS, RetryCause::AttemptTimedOut});
  CHECK_FALSE(ably->attempt_abort(st, 150 * kS).has_value());
  for (const char* other : {"socketio", "grpc", "pusher", "full_jitter"}) {
    BackoffState s;
    retry(*make_backoff_policy(other, {}), s, rng, {10 * kS, 0, RetryCause::AttemptTimedOut});
    CHECK_FALSE(make_backoff_policy(other, {})->attempt_abort(s, 100 * kS).has_value());
  }
}

TEST_CASE("in a run, ably's attempt that straddles the 120 s TTL fails at the expiry", "[presets][timeout][fleet]") {
  // Attempts at 0, 22-25, 48-55, 78-90 s each time out after 10 s; the next one starts at 112-130 s
  // (or the client is suspended first). One that starts before 120 s is aborted at 120 s instead of
  // failing 10 s later; either way the suspended retry comes at 150 s. No attempt fails in
  // (121 s, 149 s], with the preset's timeout or the scenario's.
  int straddling = 0;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    for (const bool given : {false, true}) {
      auto cfg = hopeless_handshakes("ably", {});
      cfg.run.duration_s = 200.0;
      cfg.run.seed = seed;
      if (given) cfg.clients.connect_timeout_s = 10.0;
      const auto r = wsfleet::models::Fleet(cfg).run();
      for (const auto& check : r.summary.conservation) CHECK(check.ok);
      INFO("seed " << seed << (given ? ", connect_timeout_s given" : ""));
      CHECK(wsfleet::testing::fleet_sum(r, 121.0, 149.0, "failed") == 0.0);
      CHECK(wsfleet::testing::fleet_sum(r, 119.0, 121.0, "failed") <= 1.0);
      if (!given && wsfleet::testing::fleet_sum(r, 110.0, 120.0, "attempts") > 0.0) ++straddling;
    }
  }
  CHECK(straddling > 0);  // the case is exercised
}
