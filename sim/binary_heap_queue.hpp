#pragma once
// The reference future-event list: a plain implicit binary min-heap on a std::vector.
#include <cstddef>
#include <vector>

#include "sim/event.hpp"

namespace wsfleet::sim {

/// Future-event list as an implicit binary heap (children of slot i at 2i+1 and 2i+2), ordered by
/// event_before (time, then seq). push and pop are O(log n); top, empty and size are O(1).
/// Satisfies EventQueue. Memory: one Event (32 bytes) per pending event plus vector slack.
class BinaryHeapQueue {
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
  // Moves the hole at `i` up until `e` fits there, then stores `e`.
  void sift_up(std::size_t i, const Event& e) {
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (!event_before(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }

  // The root is a hole and `e` (the former last element) must be re-placed. Bottom-up
  // (Floyd/Wegener): walk the hole down along smaller children to a leaf without comparing against
  // `e`, then sift `e` up. The former last element is usually late, so this saves about half the
  // comparisons of the textbook sift-down.
  void refill_root(const Event& e) {
    const std::size_t n = heap_.size();
    std::size_t i = 0;
    std::size_t child = 1;
    while (child + 1 < n) {
      if (event_before(heap_[child + 1], heap_[child])) ++child;
      heap_[i] = heap_[child];
      i = child;
      child = 2 * i + 1;
    }
    if (child < n) {  // a lone left child at the bottom
      heap_[i] = heap_[child];
      i = child;
    }
    sift_up(i, e);
  }

  std::vector<Event> heap_;
};

}  // namespace wsfleet::sim
