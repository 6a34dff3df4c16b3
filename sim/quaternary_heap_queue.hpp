#pragma once
// A 4-ary implicit min-heap of Events: half the depth of a binary heap, and the four children of a
// node are adjacent, so one level of a sift-down reads 128 contiguous bytes.
#include <cstddef>
#include <vector>

#include "sim/event.hpp"

namespace wsfleet::sim {

/// Future-event list as an implicit 4-ary heap (children of slot i at 4i+1 .. 4i+4), ordered by
/// event_before (time, then seq). push and pop are O(log4 n); top, empty and size are O(1).
/// Satisfies EventQueue. Memory: one Event (32 bytes) per pending event plus vector slack.
class QuaternaryHeapQueue {
 public:
  /// Adds an event; any time is accepted (the heap does not rely on the simulator's contract).
  void push(const Event& e) {
    heap_.push_back(e);
    sift_up(heap_.size() - 1, e);
  }

  /// Removes and returns the earliest event (lowest (time, seq)). Requires !empty().
  Event pop() {
    const Event first = heap_.front();
    const Event last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) refill_root(last);
    return first;
  }

  /// The earliest event, without removing it. Requires !empty().
  const Event& top() const { return heap_.front(); }
  /// True when no event is pending.
  bool empty() const { return heap_.empty(); }
  /// Number of pending events.
  std::size_t size() const { return heap_.size(); }
  /// Removes every pending event (keeps the allocated capacity).
  void clear() { heap_.clear(); }
  /// Pre-allocates room for `n` pending events.
  void reserve(std::size_t n) { heap_.reserve(n); }

 private:
  static constexpr std::size_t kArity = 4;

  void sift_up(std::size_t i, const Event& e) {
    while (i > 0) {
      const std::size_t parent = (i - 1) / kArity;
      if (!event_before(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }

  // Index of the smallest of the children first .. first+count-1 (count in 1..4).
  std::size_t min_child(std::size_t first, std::size_t count) const {
    std::size_t best = first;
    for (std::size_t c = first + 1; c < first + count; ++c) {
      if (event_before(heap_[c], heap_[best])) best = c;
    }
    return best;
  }

  // Bottom-up refill as in BinaryHeapQueue: move the hole at the root down along smallest children
  // to a leaf, then sift `e` up from there.
  void refill_root(const Event& e) {
    const std::size_t n = heap_.size();
    std::size_t i = 0;
    std::size_t first = 1;
    while (first + kArity <= n) {  // all four children present
      const Event* c = &heap_[first];
      // Tournament of two pairs: three comparisons, independent first two.
      const std::size_t a = event_before(c[1], c[0]) ? 1 : 0;
      const std::size_t b = event_before(c[3], c[2]) ? 3 : 2;
      const std::size_t best = first + (event_before(c[b], c[a]) ? b : a);
      heap_[i] = heap_[best];
      i = best;
      first = kArity * i + 1;
    }
    if (first < n) {  // a partial last family
      const std::size_t best = min_child(first, n - first);
      heap_[i] = heap_[best];
      i = best;
    }
    sift_up(i, e);
  }

  std::vector<Event> heap_;
};

}  // namespace wsfleet::sim
