#pragma once
// A calendar queue for millions of pending timers: a ring of time buckets holding unsorted
// events, a small heap for the bucket being drained, and an overflow heap beyond the horizon.
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
/// - the *current* bucket (and anything earlier) is sorted once when it becomes current, plus a small
///   heap for events pushed into it afterwards: pop and top read the earlier of the two;
/// - the next bucket_count - 1 buckets live in a ring of unsorted buckets (push is an append to
///   the bucket's list of 16-event chunks, drawn from a pool shared by all buckets);
/// - later events wait in an overflow heap and move into the ring as the current bucket advances.
/// When the current bucket runs dry, the next occupied ring bucket (found through a bitmap) is
/// sorted and becomes current; when the ring is empty it jumps straight to the overflow minimum.
///
/// Correct for any times (equal times, huge gaps, times beyond the horizon, even times before the
/// last pop); only the speed depends on the bucket parameters. Best when a bucket holds from a few
/// to a few thousand events and most events are scheduled less than bucket_width * bucket_count
/// ahead (the horizon). Copyable and movable like the heaps.
/// Satisfies EventQueue. push is O(1) within the horizon, O(log n) beyond it; pop is
/// O(1) (O(log k) for the k events pushed into the current bucket after it was sorted) plus the amortised cost of skipping empty buckets.
class BucketQueue {
 public:
  /// Default bucket width: 16 ms. Chosen by tests/bench/bench_event_queue --variants: on the fleet
  /// hold workload (25 s heartbeats, Exp(60 s) messages) 8-16 ms buckets with a >= 131 s horizon
  /// ran ~25 % faster than 1 ms x 65536 with 1M pending timers and no slower with 10k.
  static constexpr SimTime kDefaultBucketWidth = 16 * kNanosPerMilli;
  /// Default number of buckets in the ring: 8192 (with 16 ms buckets, a horizon of about 131 s).
  static constexpr std::size_t kDefaultBucketCount = 8192;

  /// A queue with buckets `bucket_width` ns wide (> 0) and a ring of `bucket_count` buckets (a
  /// power of two >= 1); throws std::invalid_argument otherwise. Allocates the ring up front
  /// (16 bytes per bucket plus a 1-bit occupancy map); events need about 32 bytes each plus at most
  /// one partly filled 512-byte chunk per non-empty bucket.
  explicit BucketQueue(SimTime bucket_width = kDefaultBucketWidth,
                       std::size_t bucket_count = kDefaultBucketCount);

  /// Adds an event. Amortised O(1) when it falls within the ring's horizon.
  void push(const Event& e) {
    const std::int64_t b = bucket_of(e.time);
    if (size_ == 0) {  // empty queue: re-anchor the current bucket on this event
      current_bucket_ = b;
      current_.push_back(e);
    } else if (b <= current_bucket_) {
      extra_.push_back(e);
      std::push_heap(extra_.begin(), extra_.end(), later);
    } else if (static_cast<std::uint64_t>(b) - static_cast<std::uint64_t>(current_bucket_) < bucket_count_) {
      append_to_ring(static_cast<std::size_t>(static_cast<std::uint64_t>(b) & mask_), e);
    } else {
      overflow_.push(e);
    }
    ++size_;
  }

  /// Removes and returns the earliest event (lowest (time, seq)). Requires !empty().
  Event pop() {
    Event e;
    if (extra_first()) {
      std::pop_heap(extra_.begin(), extra_.end(), later);
      e = extra_.back();
      extra_.pop_back();
    } else {
      e = current_.back();
      current_.pop_back();
    }
    --size_;
    if (current_.empty() && extra_.empty() && size_ > 0) advance();
    return e;
  }

  /// The earliest event, without removing it. Requires !empty().
  const Event& top() const { return extra_first() ? extra_.front() : current_.back(); }
  /// True when no event is pending.
  bool empty() const { return size_ == 0; }
  /// Number of pending events.
  std::size_t size() const { return size_; }
  /// Removes every pending event (keeps the chunk pool allocated).
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

  // True when the earliest event is in extra_ rather than at the back of the sorted current_.
  bool extra_first() const {
    return !extra_.empty() && (current_.empty() || event_before(extra_.front(), current_.back()));
  }

  // floor(t / bucket_width_), also for negative times.
  std::int64_t bucket_of(SimTime t) const {
    return t >= 0 ? t / bucket_width_ : -((-(t + 1)) / bucket_width_) - 1;
  }

  // Ring buckets are singly linked lists of fixed-size chunks from one shared pool (recycled
  // through a free list), so memory follows the number of pending events (plus at most one
  // partly filled chunk per bucket), not the peak size every bucket ever reached.
  static constexpr std::uint32_t kChunkEvents = 16;      // 512 bytes
  static constexpr std::uint32_t kChunksPerBlock = 512;  // pool grows 256 KiB at a time
  static constexpr std::uint32_t kNoChunk = 0xffffffffU;

  struct Bucket {
    std::uint32_t head = kNoChunk;  // first chunk
    std::uint32_t tail = kNoChunk;  // last chunk, where the next event goes
    std::uint64_t count = 0;        // events in the bucket; all chunks but the tail are full
  };

  Event* chunk_events(std::uint32_t c) {
    return blocks_[c / kChunksPerBlock].data() + static_cast<std::size_t>(c % kChunksPerBlock) * kChunkEvents;
  }

  std::uint32_t allocate_chunk() {
    if (free_chunk_ == kNoChunk) grow_pool();
    const std::uint32_t c = free_chunk_;
    free_chunk_ = next_chunk_[c];
    return c;
  }

  void append_to_ring(std::size_t slot, const Event& e) {
    Bucket& bucket = ring_[slot];
    const auto fill = static_cast<std::uint32_t>(bucket.count % kChunkEvents);
    if (fill == 0) {
      const std::uint32_t c = allocate_chunk();
      if (bucket.count == 0) {
        bucket.head = c;
        occupied_[slot >> 6] |= std::uint64_t{1} << (slot & 63);
      } else {
        next_chunk_[bucket.tail] = c;
      }
      bucket.tail = c;
    }
    chunk_events(bucket.tail)[fill] = e;
    ++bucket.count;
    ++ring_count_;
  }

  // Adds a block of chunks to the pool and to the free list.
  void grow_pool();
  // Moves every event of ring bucket `slot` into current_ (unordered) and frees its chunks.
  void take_bucket(std::size_t slot);
  // The current bucket is empty and size_ > 0: make the next non-empty bucket current.
  void advance();
  // Moves overflow events that now fall inside the ring window into the ring (or the current bucket).
  void pull_overflow();
  // First occupied ring slot at or after `start`, cyclically. Requires ring_count_ > 0.
  std::size_t next_occupied_slot(std::size_t start) const;

  SimTime bucket_width_;
  std::size_t bucket_count_;
  std::uint64_t mask_;
  std::int64_t current_bucket_ = 0;  // bucket number of current_; every bucket <= it is in current_
  // The events with bucket <= current_bucket_: the bucket's events as it became current, sorted
  // latest first (pop is a pop_back), plus a min-heap of those that arrived afterwards (usually
  // few: a handshake completing within the same bucket). Sorting once beats a heap pop per event.
  std::vector<Event> current_;
  std::vector<Event> extra_;
  std::vector<Bucket> ring_;         // slot b & mask_: events of bucket b, current < b < current + count
  std::vector<std::uint64_t> occupied_;  // bit per ring slot: is it non-empty?
  std::size_t ring_count_ = 0;       // events held in ring_
  std::vector<std::vector<Event>> blocks_;  // the chunk pool: fixed-size blocks of kChunksPerBlock chunks
  std::vector<std::uint32_t> next_chunk_;         // per chunk: the next chunk of its bucket or free list
  std::uint32_t free_chunk_ = kNoChunk;           // head of the free list
  BinaryHeapQueue overflow_;         // events with bucket >= current_bucket_ + bucket_count_
  std::size_t size_ = 0;             // all pending events
};

}  // namespace wsfleet::sim
