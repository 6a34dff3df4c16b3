// One suite run against every future-event list (as ns-3 does for its schedulers): each must pop
// exactly the (time, seq) order, whatever the time distribution.
#include <utility>
#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <set>
#include <stdexcept>
#include <vector>

#include "sim/binary_heap_queue.hpp"
#include "sim/bucket_queue.hpp"
#include "sim/default_event_queue.hpp"
#include "sim/event_queue.hpp"
#include "sim/quaternary_heap_queue.hpp"
#include "sim/random.hpp"
#include "tests/cpp/catch.hpp"

using namespace wsfleet::sim;

namespace {

// BucketQueue variants that stress its slow paths: a 16-bucket ring 1 us wide (horizon 16 us, so
// nearly everything goes through the overflow heap and the ring wraps constantly) and the
// degenerate one-bucket ring (no ring at all: current heap plus overflow).
struct TinyRingBucketQueue : BucketQueue {
  TinyRingBucketQueue() : BucketQueue(kNanosPerMicro, 16) {}
};
struct OneBucketQueue : BucketQueue {
  OneBucketQueue() : BucketQueue(1, 1) {}
};

static_assert(EventQueue<BinaryHeapQueue>);
static_assert(EventQueue<QuaternaryHeapQueue>);
static_assert(EventQueue<BucketQueue>);
static_assert(EventQueue<TinyRingBucketQueue>);
static_assert(EventQueue<DefaultEventQueue>);

struct EventLess {
  bool operator()(const Event& a, const Event& b) const { return event_before(a, b); }
};
using Reference = std::multiset<Event, EventLess>;

bool same_event(const Event& a, const Event& b) {
  return a.time == b.time && a.seq == b.seq && a.data == b.data && a.handler == b.handler && a.tag == b.tag;
}

Event make_event(SimTime time, std::uint64_t seq) {
  // data/handler/tag derived from seq so that a payload mix-up is detected too.
  return Event{time, seq, seq * 0x9e3779b97f4a7c15ULL, static_cast<std::uint32_t>(seq % 7),
               static_cast<std::uint32_t>(seq % 13)};
}

template <typename Q>
std::vector<Event> drain(Q& q) {
  std::vector<Event> out;
  while (!q.empty()) out.push_back(q.pop());
  return out;
}

// A delay (ns, >= 0) after the current simulated time.
using DelayFn = std::function<SimTime(Rng&, SimTime now)>;

// Simulator-like differential run: each step either pops the earliest event (which advances `now`)
// or schedules one at now + delay(rng, now), checking every result against a std::multiset.
// The pending population hovers around `target_pending`. Returns the number of pops checked.
template <typename Q>
std::size_t differential_run(Q& q, const DelayFn& delay, std::uint64_t seed, int operations,
                             std::size_t target_pending) {
  Rng rng(seed);
  Reference ref;
  std::uint64_t seq = 0;
  SimTime now = 0;
  std::size_t pops = 0;
  for (int op = 0; op < operations; ++op) {
    const double p_pop = ref.size() > target_pending ? 0.6 : 0.4;
    if (!ref.empty() && rng.uniform01() < p_pop) {
      REQUIRE(same_event(q.top(), *ref.begin()));
      const Event got = q.pop();
      REQUIRE(same_event(got, *ref.begin()));
      REQUIRE(got.time >= now);
      now = got.time;
      ref.erase(ref.begin());
      ++pops;
    } else {
      const SimTime d = std::min(delay(rng, now), kTimeNever - now);  // never overflow SimTime
      const Event e = make_event(now + d, seq++);
      q.push(e);
      ref.insert(e);
    }
    REQUIRE(q.size() == ref.size());
    REQUIRE(q.empty() == ref.empty());
  }
  while (!ref.empty()) {
    const Event got = q.pop();
    REQUIRE(same_event(got, *ref.begin()));
    ref.erase(ref.begin());
    ++pops;
  }
  REQUIRE(q.empty());
  REQUIRE(q.size() == 0);
  return pops;
}

SimTime exp_ns(Rng& rng, double mean_s) { return from_seconds(rng.exponential(mean_s)); }

}  // namespace

#define WSFLEET_ALL_QUEUES BinaryHeapQueue, QuaternaryHeapQueue, BucketQueue, TinyRingBucketQueue, OneBucketQueue

TEMPLATE_TEST_CASE("event queue starts empty", "[event_queue]", WSFLEET_ALL_QUEUES) {
  TestType q;
  REQUIRE(q.empty());
  REQUIRE(q.size() == 0);
  q.push(make_event(5, 0));
  REQUIRE_FALSE(q.empty());
  REQUIRE(q.size() == 1);
  REQUIRE(q.top().time == 5);
  REQUIRE(q.size() == 1);  // top does not remove
  REQUIRE(q.pop().time == 5);
  REQUIRE(q.empty());
}

TEMPLATE_TEST_CASE("event queue orders by time then seq", "[event_queue]", WSFLEET_ALL_QUEUES) {
  TestType q;
  // Pushed out of order; several share a time and must come out by seq.
  const std::vector<Event> pushed = {make_event(30, 4), make_event(10, 7), make_event(20, 1), make_event(10, 2),
                                     make_event(0, 9),  make_event(30, 3), make_event(10, 5), make_event(5'000'000'000'000, 6),
                                     make_event(1, 8),  make_event(20, 0)};
  for (const Event& e : pushed) q.push(e);
  REQUIRE(q.size() == pushed.size());
  const std::vector<Event> out = drain(q);
  REQUIRE(out.size() == pushed.size());
  const std::vector<std::pair<SimTime, std::uint64_t>> expected = {
      {0, 9}, {1, 8}, {10, 2}, {10, 5}, {10, 7}, {20, 0}, {20, 1}, {30, 3}, {30, 4}, {5'000'000'000'000, 6}};
  for (std::size_t i = 0; i < out.size(); ++i) {
    CHECK(out[i].time == expected[i].first);
    CHECK(out[i].seq == expected[i].second);
  }
  // Payloads travel with their events.
  for (const Event& e : out) CHECK(same_event(e, make_event(e.time, e.seq)));
}

TEMPLATE_TEST_CASE("same-time events pop in seq (FIFO) order", "[event_queue]", WSFLEET_ALL_QUEUES) {
  TestType q;
  const SimTime t = 25 * kNanosPerSecond;
  SECTION("pushed in seq order") {
    for (std::uint64_t s = 0; s < 2000; ++s) q.push(make_event(t, s));
  }
  SECTION("pushed in reverse seq order") {
    for (std::uint64_t s = 2000; s-- > 0;) q.push(make_event(t, s));
  }
  SECTION("pushed in shuffled seq order") {
    std::vector<std::uint64_t> seqs(2000);
    for (std::uint64_t s = 0; s < seqs.size(); ++s) seqs[s] = s;
    Rng rng(7);
    for (std::size_t i = seqs.size() - 1; i > 0; --i) std::swap(seqs[i], seqs[rng.below(i + 1)]);
    for (std::uint64_t s : seqs) q.push(make_event(t, s));
  }
  const std::vector<Event> out = drain(q);
  REQUIRE(out.size() == 2000);
  for (std::uint64_t s = 0; s < out.size(); ++s) {
    REQUIRE(out[s].time == t);
    REQUIRE(out[s].seq == s);
  }
}

TEMPLATE_TEST_CASE("interleaved push and pop never go back in time", "[event_queue]", WSFLEET_ALL_QUEUES) {
  // A hand-written simulator trace: an event at `now` may schedule others at now (zero delay,
  // popped after everything already at now), shortly after, or far beyond the horizon.
  TestType q;
  std::uint64_t seq = 0;
  q.push(make_event(0, seq++));
  q.push(make_event(kNanosPerSecond, seq++));
  std::vector<Event> out;
  while (!q.empty() && out.size() < 50) {
    const Event e = q.pop();
    out.push_back(e);
    if (e.seq % 3 == 0) q.push(make_event(e.time, seq++));                        // same instant
    if (e.seq % 2 == 0) q.push(make_event(e.time + 1, seq++));                    // 1 ns later
    if (e.seq % 5 == 0) q.push(make_event(e.time + 3600 * kNanosPerSecond, seq++));  // an hour later
  }
  for (std::size_t i = 1; i < out.size(); ++i) REQUIRE(event_before(out[i - 1], out[i]));
  // Event 0 schedules seq 2 at time 0 (zero delay), seq 3 at 1 ns and seq 4 an hour later; the
  // zero-delay child runs next, before the 1 ns one.
  REQUIRE(out[0].seq == 0);
  REQUIRE(out[1].time == 0);
  REQUIRE(out[1].seq == 2);
  REQUIRE(out[2].time == 1);
  REQUIRE(out[2].seq == 3);
}

TEMPLATE_TEST_CASE("differential test against std::multiset", "[event_queue]", WSFLEET_ALL_QUEUES) {
  TestType q;
  constexpr int kOps = 100'000;
  DelayFn delay;
  std::size_t pending = 2000;
  SECTION("exponential, mean 1 ms") {
    delay = [](Rng& r, SimTime) { return exp_ns(r, 1e-3); };
  }
  SECTION("exponential, mean 60 s (message timers), 5000 pending") {
    delay = [](Rng& r, SimTime) { return exp_ns(r, 60.0); };
    pending = 5000;
  }
  SECTION("periodic 25 s heartbeats with some jitter-free collisions") {
    // Most timers re-arm exactly 25 s later; phases collide often because delays are whole ms.
    delay = [](Rng& r, SimTime) {
      return r.uniform01() < 0.8 ? 25 * kNanosPerSecond : static_cast<SimTime>(r.below(25'000)) * kNanosPerMilli;
    };
  }
  SECTION("bursts at the same instant") {
    // Half the events land at `now` itself, the rest on the next few whole seconds: thousands of
    // events share each time stamp.
    delay = [](Rng& r, SimTime now) {
      if (r.uniform01() < 0.5) return SimTime{0};
      const SimTime next_second = (now / kNanosPerSecond + 1 + static_cast<SimTime>(r.below(3))) * kNanosPerSecond;
      return next_second - now;
    };
  }
  SECTION("gaps of hours") {
    delay = [](Rng& r, SimTime) { return exp_ns(r, 3.0 * 3600.0); };
    pending = 200;
  }
  SECTION("beyond the bucket queue horizon, mixed with short delays") {
    delay = [](Rng& r, SimTime) {
      const double u = r.uniform01();
      if (u < 0.3) return exp_ns(r, 1e-3);
      if (u < 0.6) return from_seconds(r.uniform(60.0, 600.0));    // past a 65 s horizon
      if (u < 0.9) return from_seconds(r.uniform(1e4, 1e6));       // hours to days
      return static_cast<SimTime>(r.below(std::uint64_t{1} << 56));  // up to ~2 years
    };
  }
  SECTION("a handful of pending events microseconds apart") {
    // On the scale of TinyRingBucketQueue's 16 us horizon: events land exactly one horizon ahead of
    // the current bucket, the ring empties and refills, and slots are reused after wrapping.
    delay = [](Rng& r, SimTime) { return static_cast<SimTime>(r.below(48)) * kNanosPerMicro + static_cast<SimTime>(r.below(3)); };
    pending = 4;
  }
  SECTION("sparse: a handful of pending events far apart") {
    delay = [](Rng& r, SimTime) { return exp_ns(r, 100.0); };
    pending = 3;
  }
  const std::size_t pops = differential_run(q, delay, 12345, kOps, pending);
  REQUIRE(pops > kOps / 3);
}

TEMPLATE_TEST_CASE("any push order is handled (not only the simulator's contract)", "[event_queue]",
                   WSFLEET_ALL_QUEUES) {
  // Times anywhere, including negative and earlier than the last pop: still a correct priority queue.
  TestType q;
  Reference ref;
  Rng rng(99);
  std::uint64_t seq = 0;
  for (int op = 0; op < 50'000; ++op) {
    if (!ref.empty() && rng.uniform01() < 0.45) {
      const Event got = q.pop();
      REQUIRE(same_event(got, *ref.begin()));
      ref.erase(ref.begin());
    } else {
      SimTime t = 0;
      switch (rng.below(4)) {
        case 0: t = static_cast<SimTime>(rng.below(1000)); break;
        case 1: t = static_cast<SimTime>(rng.below(std::uint64_t{1} << 40)) - (SimTime{1} << 39); break;
        case 2: t = static_cast<SimTime>(rng.next_u64() >> 2) - (SimTime{1} << 61); break;
        default: t = (rng.uniform01() < 0.5 ? kTimeNever : std::numeric_limits<SimTime>::min() + 1); break;
      }
      const Event e = make_event(t, seq++);
      q.push(e);
      ref.insert(e);
    }
    REQUIRE(q.size() == ref.size());
  }
  for (const Event& expected : ref) REQUIRE(same_event(q.pop(), expected));
  REQUIRE(q.empty());
}

TEMPLATE_TEST_CASE("clear empties the queue and it can be reused", "[event_queue]", WSFLEET_ALL_QUEUES) {
  TestType q;
  Rng rng(3);
  for (std::uint64_t s = 0; s < 5000; ++s) q.push(make_event(from_seconds(rng.exponential(100.0)), s));
  for (int i = 0; i < 1000; ++i) q.pop();
  REQUIRE(q.size() == 4000);
  q.clear();
  REQUIRE(q.empty());
  REQUIRE(q.size() == 0);
  // A new run starting again at time 0, earlier than anything popped before the clear.
  q.push(make_event(3, 1));
  q.push(make_event(0, 2));
  q.push(make_event(200 * kNanosPerSecond, 3));
  q.push(make_event(3, 0));
  REQUIRE(q.size() == 4);
  const std::vector<Event> out = drain(q);
  REQUIRE(out.size() == 4);
  CHECK(out[0].seq == 2);
  CHECK(out[1].seq == 0);
  CHECK(out[2].seq == 1);
  CHECK(out[3].seq == 3);
  q.clear();  // clearing an empty queue is fine
  REQUIRE(q.empty());
  // Refill past the earlier population (a bucket queue must recycle and then grow its storage),
  // clear mid-run, and refill again.
  for (int round = 0; round < 2; ++round) {
    for (std::uint64_t s = 0; s < 3000; ++s) q.push(make_event(from_seconds(rng.exponential(10.0)), s));
    q.clear();
    REQUIRE(q.empty());
    differential_run(q, [](Rng& r, SimTime) { return exp_ns(r, 1.0); }, 17 + static_cast<std::uint64_t>(round),
                     40'000, 12'000);
  }
}

TEMPLATE_TEST_CASE("a copied queue is independent of the original", "[event_queue]", WSFLEET_ALL_QUEUES) {
  TestType q;
  Rng rng(8);
  std::uint64_t seq = 0;
  for (; seq < 3000; ++seq) q.push(make_event(from_seconds(rng.exponential(30.0)), seq));
  for (int i = 0; i < 500; ++i) q.pop();
  TestType copy = q;
  REQUIRE(copy.size() == q.size());
  // Diverge: the original gets more events, the copy does not.
  const SimTime now = q.top().time;
  for (int i = 0; i < 100; ++i) q.push(make_event(now + i, seq++));
  std::vector<Event> from_copy = drain(copy);
  std::vector<Event> from_original = drain(q);
  REQUIRE(from_copy.size() == 2500);
  REQUIRE(from_original.size() == 2600);
  std::vector<Event> original_without_new;
  for (const Event& e : from_original) {
    if (e.seq < 3000) original_without_new.push_back(e);
  }
  REQUIRE(original_without_new.size() == from_copy.size());
  for (std::size_t i = 0; i < from_copy.size(); ++i) REQUIRE(same_event(from_copy[i], original_without_new[i]));
  for (std::size_t i = 1; i < from_copy.size(); ++i) REQUIRE(event_before(from_copy[i - 1], from_copy[i]));
}

TEMPLATE_TEST_CASE("size counts pushes minus pops", "[event_queue]", WSFLEET_ALL_QUEUES) {
  TestType q;
  for (std::uint64_t s = 0; s < 300; ++s) {
    q.push(make_event(static_cast<SimTime>(s % 17) * kNanosPerSecond * 10, s));
    REQUIRE(q.size() == s + 1);
  }
  for (std::size_t left = 300; left > 0; --left) {
    REQUIRE(q.size() == left);
    q.pop();
  }
  REQUIRE(q.size() == 0);
  REQUIRE(q.empty());
}

TEST_CASE("bucket queue parameters", "[event_queue][bucket_queue]") {
  REQUIRE_THROWS_AS(BucketQueue(0, 16), std::invalid_argument);
  REQUIRE_THROWS_AS(BucketQueue(-5, 16), std::invalid_argument);
  REQUIRE_THROWS_AS(BucketQueue(kNanosPerMilli, 0), std::invalid_argument);
  REQUIRE_THROWS_AS(BucketQueue(kNanosPerMilli, 1000), std::invalid_argument);
  const BucketQueue q;
  CHECK(q.bucket_width() == BucketQueue::kDefaultBucketWidth);
  CHECK(q.bucket_count() == BucketQueue::kDefaultBucketCount);
  const BucketQueue small(7, 64);
  CHECK(small.bucket_width() == 7);
  CHECK(small.bucket_count() == 64);
}

TEST_CASE("bucket queue: an event exactly one horizon ahead does not alias the current bucket",
          "[event_queue][bucket_queue]") {
  BucketQueue q(1, 16);  // 1 ns buckets, horizon 16 ns
  q.push(make_event(0, 0));
  q.push(make_event(5, 1));   // ring
  q.push(make_event(21, 2));  // overflow; enters the ring window exactly when bucket 5 is current
  CHECK(q.pop().seq == 0);    // bucket 5 becomes current, 21 = 5 + 16 must stay in overflow
  CHECK(q.pop().seq == 1);
  q.push(make_event(10, 3));  // between the last pop (5) and the overflow event (21)
  CHECK(q.pop().seq == 3);
  CHECK(q.pop().seq == 2);
  CHECK(q.empty());
}

TEST_CASE("bucket queue moves far events through the overflow heap", "[event_queue][bucket_queue]") {
  // 1 ms x 1024 buckets: horizon about 1 s.
  BucketQueue q(kNanosPerMilli, 1024);
  q.push(make_event(0, 0));
  q.push(make_event(500 * kNanosPerMilli, 1));       // in the ring
  q.push(make_event(10 * kNanosPerSecond, 2));       // beyond the horizon
  q.push(make_event(10 * kNanosPerSecond + 1, 3));   // beyond the horizon
  q.push(make_event(3600 * kNanosPerSecond, 4));     // far beyond
  CHECK(q.overflow_size() == 3);
  CHECK(q.pop().seq == 0);
  CHECK(q.pop().seq == 1);
  // The ring is now empty: the queue jumps to the overflow minimum, which becomes current.
  CHECK(q.top().seq == 2);
  CHECK(q.overflow_size() == 1);
  // Pushing between the last pop (0.5 s) and the new current bucket (10 s) is allowed.
  q.push(make_event(2 * kNanosPerSecond, 5));
  CHECK(q.pop().seq == 5);
  CHECK(q.pop().seq == 2);
  CHECK(q.pop().seq == 3);
  CHECK(q.pop().seq == 4);
  CHECK(q.empty());
}
