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

#include "backoff_fixtures.hpp"
#include "fleet_fixtures.hpp"
#include "models/backoff_policy.hpp"
#include "models/fleet.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"
#include "tests/cpp/catch.hpp"

using wsfleet::models::BackoffPolicy;
using wsfleet::models::BackoffState;
using wsfleet::models::backoff_sequence;
using wsfleet::models::make_backoff_policy;
using wsfleet::models::ParamError;
using wsfleet::models::RetryCause;
using wsfleet::models::sample_backoff_delays;
using wsfleet::sim::Rng;
using wsfleet::sim::SimTime;
using wsfleet::testing::kS;
using wsfleet::testing::kMs;
using wsfleet::testing::lost;
using wsfleet::testing::failed;
using wsfleet::testing::failed_at;
using wsfleet::testing::retry;

namespace {

// Delays of one client whose connection (up for an hour) is lost at 0 and whose attempts then fail
// as they start, in ms.
std::vector<double> sequence_ms(const BackoffPolicy& policy, std::uint32_t retries, Rng& rng,
                                RetryCause first = RetryCause::ConnectionLost) {
  std::vector<double> out;
  for (const SimTime d : backoff_sequence(policy, retries, rng, first)) out.push_back(wsfleet::sim::to_millis(d));
  return out;
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
