#pragma once
// A calendar queue for millions of pending timers: a ring of time buckets holding unsorted
// vectors, a small heap for the bucket being drained, and an overflow heap beyond the horizon.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/binary_heap_queue.hpp"
#include "sim/event.hpp"
#include "sim/time.hpp"

namespace wsfleet::sim {

/// Future-event list as a calendar (bucket) queue, ordered by event_before (time, then seq).
///
/// Time is cut into buckets of `bucket_width` ns; bucket number b = floor(time / bucket_width).
/// - the *current* bucket (and anything earlier) lives in a small binary heap: pop and top read it;
/// - the next bucket_count - 1 buckets live in a ring of unsorted vectors (push is an append);
/// - later events wait in an overflow heap and move into the ring as the current bucket advances.
/// When the current heap runs dry, the next occupied ring bucket (found through a bitmap) is
/// heapified and becomes current; when the ring is empty it jumps straight to the overflow minimum.
///
/// Correct for any times (equal times, huge gaps, times beyond the horizon, even times before the
/// last pop); only the speed depends on the bucket parameters. Best when about 1-100 events fall in
/// one bucket and most events are scheduled less than bucket_width * bucket_count ahead.
/// Satisfies EventQueue. push is O(1) within the horizon, O(log n) beyond it; pop is
/// O(log k) for k events in the current bucket plus the amortised cost of skipping empty buckets.
class BucketQueue {
 public:
  /// Default bucket width: 1 ms.
  static constexpr SimTime kDefaultBucketWidth = kNanosPerMilli;
  /// Default number of buckets in the ring: 65536 (with 1 ms buckets, a horizon of about 65 s).
  static constexpr std::size_t kDefaultBucketCount = 65536;

  /// A queue with buckets `bucket_width` ns wide (> 0) and a ring of `bucket_count` buckets (a
  /// power of two >= 1); throws std::invalid_argument otherwise. Allocates the ring up front
  /// (about 24 bytes per bucket plus a 1-bit occupancy map).
  explicit BucketQueue(SimTime bucket_width = kDefaultBucketWidth,
                       std::size_t bucket_count = kDefaultBucketCount);

  /// Adds an event. Amortised O(1) when it falls within the ring's horizon.
  void push(const Event& e) {
    const std::int64_t b = bucket_of(e.time);
    if (size_ == 0) {  // empty queue: re-anchor the current bucket on this event
      current_bucket_ = b;
      current_.push_back(e);
    } else if (b <= current_bucket_) {
      current_.push_back(e);
      std::push_heap(current_.begin(), current_.end(), later);
    } else if (static_cast<std::uint64_t>(b) - static_cast<std::uint64_t>(current_bucket_) < bucket_count_) {
      const std::size_t slot = static_cast<std::size_t>(static_cast<std::uint64_t>(b) & mask_);
      ring_[slot].push_back(e);
      occupied_[slot >> 6] |= std::uint64_t{1} << (slot & 63);
      ++ring_count_;
    } else {
      overflow_.push(e);
    }
    ++size_;
  }

  /// Removes and returns the earliest event (lowest (time, seq)). Requires !empty().
  Event pop() {
    std::pop_heap(current_.begin(), current_.end(), later);
    const Event e = current_.back();
    current_.pop_back();
    --size_;
    if (current_.empty() && size_ > 0) advance();
    return e;
  }

  /// The earliest event, without removing it. Requires !empty().
  const Event& top() const { return current_.front(); }
  /// True when no event is pending.
  bool empty() const { return size_ == 0; }
  /// Number of pending events.
  std::size_t size() const { return size_; }
  /// Removes every pending event (keeps the ring and its buckets' capacity).
  void clear();

  /// Width of one bucket, ns.
  SimTime bucket_width() const { return bucket_width_; }
  /// Number of buckets in the ring.
  std::size_t bucket_count() const { return bucket_count_; }
  /// Events currently held in the overflow heap (beyond the ring's horizon); for diagnostics.
  std::size_t overflow_size() const { return overflow_.size(); }

 private:
  // Heap comparator giving a min-heap on (time, seq) with the std:: heap algorithms. A function
  // object, not a function pointer, so that it is inlined.
  struct Later {
    bool operator()(const Event& a, const Event& b) const { return event_before(b, a); }
  };
  static constexpr Later later{};

  // floor(t / bucket_width_), also for negative times.
  std::int64_t bucket_of(SimTime t) const {
    return t >= 0 ? t / bucket_width_ : -((-(t + 1)) / bucket_width_) - 1;
  }

  // The current heap is empty and size_ > 0: make the next non-empty bucket current.
  void advance();
  // Moves overflow events that now fall inside the ring window into the ring (or current heap).
  void pull_overflow();
  // First occupied ring slot at or after `start`, cyclically. Requires ring_count_ > 0.
  std::size_t next_occupied_slot(std::size_t start) const;

  SimTime bucket_width_;
  std::size_t bucket_count_;
  std::uint64_t mask_;
  std::int64_t current_bucket_ = 0;    // bucket number of current_; every bucket <= it is in current_
  std::vector<Event> current_;         // min-heap of the events with bucket <= current_bucket_
  std::vector<std::vector<Event>> ring_;  // slot b & mask_: events of bucket b, current < b < current + count
  std::vector<std::uint64_t> occupied_;   // bit per ring slot: is it non-empty?
  std::size_t ring_count_ = 0;         // events held in ring_
  BinaryHeapQueue overflow_;           // events with bucket >= current_bucket_ + bucket_count_
  std::size_t size_ = 0;               // all pending events
};

}  // namespace wsfleet::sim
