#pragma once
// A first-in first-out queue in one power-of-two ring buffer that only grows: cheaper than std::deque
// where a queue is pushed and popped once per event (a core's jobs, a server's periodic timers).
#include <cstddef>
#include <vector>

namespace wsfleet::sim {

/// FIFO of trivially copyable values.
template <class T>
class RingFifo {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  /// Slots allocated (a power of two, or 0).
  std::size_t capacity() const { return buf_.size(); }
  const T& front() const { return buf_[head_]; }
  void pop_front() {
    head_ = (head_ + 1) & mask_;
    --size_;
  }
  void push_back(const T& v) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) & mask_] = v;
    ++size_;
  }
  void clear() { head_ = size_ = 0; }
  /// Calls fn(value) for each value, front to back.
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (std::size_t i = 0; i < size_; ++i) fn(buf_[(head_ + i) & mask_]);
  }

 private:
  void grow() {
    std::vector<T> bigger(buf_.empty() ? 8 : buf_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = buf_[(head_ + i) & mask_];
    buf_.swap(bigger);
    head_ = 0;
    mask_ = buf_.size() - 1;
  }
  std::vector<T> buf_;
  std::size_t head_ = 0, size_ = 0, mask_ = 0;  ///< mask_: capacity - 1 (the hot paths do not divide)
};

}  // namespace wsfleet::sim
