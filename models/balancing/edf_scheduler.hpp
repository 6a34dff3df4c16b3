#pragma once
// Earliest-deadline-first scheduling as Envoy does it (source/common/upstream/edf_scheduler.h):
// an entry added at scheduler time t with weight w gets deadline t + 1/w; a pick takes the earliest
// deadline (FIFO among equal deadlines, by insertion order), moves time to it and re-adds the entry
// with its weight at that moment.
#include <cstddef>
#include <cstdint>
#include <queue>
#include <vector>

namespace wsfleet::models {

/// An EDF schedule over backend indices; O(log n) per pick.
class EdfScheduler {
 public:
  /// Removes every entry and resets time to 0.
  void clear() {
    queue_ = {};
    now_ = 0.0;
    order_ = 0;
  }
  /// Adds `backend` with deadline now + 1/weight (weight > 0).
  void add(std::size_t backend, double weight) { queue_.push(Entry{now_ + 1.0 / weight, order_++, backend}); }
  bool empty() const { return queue_.empty(); }
  /// Removes and returns the entry with the earliest deadline (the oldest on a tie); time moves to its deadline.
  std::size_t pop() {
    const Entry top = queue_.top();
    queue_.pop();
    now_ = top.deadline;
    return top.backend;
  }
  double now() const { return now_; }

 private:
  struct Entry {
    double deadline;
    std::uint64_t order;
    std::size_t backend;
    // std::priority_queue is a max-heap: "less" means a later deadline (or a later insertion).
    bool operator<(const Entry& other) const {
      return deadline > other.deadline || (deadline == other.deadline && order > other.order);
    }
  };
  std::priority_queue<Entry> queue_;
  double now_ = 0.0;
  std::uint64_t order_ = 0;
};

}  // namespace wsfleet::models
