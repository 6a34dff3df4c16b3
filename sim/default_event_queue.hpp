#pragma once
// Placeholder until the measured choice lands: a binary heap on std::vector.
#include <algorithm>
#include <vector>

#include "sim/event_queue.hpp"

namespace wsfleet::sim {

class BinaryHeapQueue {
 public:
  void push(const Event& e) {
    heap_.push_back(e);
    std::push_heap(heap_.begin(), heap_.end(), later);
  }
  Event pop() {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    Event e = heap_.back();
    heap_.pop_back();
    return e;
  }
  const Event& top() const { return heap_.front(); }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  void clear() { heap_.clear(); }

 private:
  static bool later(const Event& a, const Event& b) { return event_before(b, a); }
  std::vector<Event> heap_;
};

using DefaultEventQueue = BinaryHeapQueue;

}  // namespace wsfleet::sim
