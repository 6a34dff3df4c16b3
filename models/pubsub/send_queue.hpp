#pragma once
// One connection's send buffer: a FIFO of messages written to the client at its link's drain rate.
// Nothing happens per byte or per message in time: the queue is brought up to date (drain) when it
// is touched, and each message's finish time follows from the head's start and the sizes before it
// (a deterministic single server), so deliveries carry their exact times.
#include <cmath>
#include <cstdint>
#include <vector>

#include "models/pubsub/pubsub_config.hpp"
#include "sim/time.hpp"

namespace wsfleet::models {

/// One message (or a block of recovered messages) waiting in a send buffer.
struct QueuedCopy {
  sim::SimTime published = 0;   ///< when it was published (latency = finish - published)
  std::uint32_t seq = 0;        ///< its sequence number on its channel (a replay block: the last one it brings)
  std::uint32_t bytes = 0;      ///< its size on the wire
  std::uint32_t count = 1;      ///< messages it carries (a replay block carries many)
  std::uint16_t slot = 0;       ///< which of the client's subscriptions it belongs to
  std::uint16_t replay = 0;     ///< 1 for a block of messages recovered at resume
};

/// What the buffer policy says about one new message.
enum class Verdict : std::uint8_t {
  Queue,          ///< queue it
  Drop,           ///< drop it
  DropAndClose,   ///< drop it and close the connection (uWS closeOnBackpressureLimit)
};

/// The policy's decision for a message of `bytes` offered while `buffered` bytes are still unsent.
/// (DropOldest, Close and Conflate queue it and act afterwards: see the fleet's delivery code.)
inline Verdict backpressure_verdict(BufferPolicy policy, double buffered, double bytes, double limit, bool close_on_limit) {
  switch (policy) {
    case BufferPolicy::DropNewest: return buffered + bytes > limit ? Verdict::Drop : Verdict::Queue;
    // uWebSockets WebSocket::send(): `if (maxBackpressure && maxBackpressure < getBufferedAmount())`
    // drop (and shut the socket down with closeOnBackpressureLimit); the message that crosses the
    // limit is still queued.
    case BufferPolicy::Uws:
      if (limit > 0.0 && buffered > limit) return close_on_limit ? Verdict::DropAndClose : Verdict::Drop;
      return Verdict::Queue;
    // Socket.IO volatile: dropped while the transport is not writable (a write is in progress).
    case BufferPolicy::Volatile: return buffered > 0.0 ? Verdict::Drop : Verdict::Queue;
    default: return Verdict::Queue;
  }
}

/// A connection's send buffer.
class SendQueue {
 public:
  bool empty() const { return size_ == 0; }
  std::uint32_t size() const { return size_; }
  /// Bytes of the messages in the queue (whole messages, the one being written included).
  std::uint64_t queued_bytes() const { return queued_; }

  /// Removes every message fully written by `now` at `ns_per_byte`, calling fn(copy, finish_time)
  /// for each in order.
  template <class Fn>
  void drain(sim::SimTime now, double ns_per_byte, Fn&& fn) {
    while (size_ > 0) {
      const QueuedCopy& head = ring_[head_];
      const sim::SimTime finish = head_start_ + write_time(head.bytes, ns_per_byte);
      if (finish > now) return;
      const QueuedCopy done = head;
      pop_front();
      head_start_ = finish;
      fn(done, finish);
    }
  }

  /// Bytes not yet written at `now` (the message being written counts only its unwritten part).
  /// Call after drain(now).
  double unsent(sim::SimTime now, double ns_per_byte) const {
    if (size_ == 0) return 0.0;
    const double written = ns_per_byte > 0.0 ? static_cast<double>(now - head_start_) / ns_per_byte : 0.0;
    return static_cast<double>(queued_) - std::min(written, static_cast<double>(ring_[head_].bytes));
  }

  /// Appends a message at `now` (after drain(now)); it starts at once if the queue was empty.
  void push(sim::SimTime now, const QueuedCopy& c) {
    if (size_ == 0) head_start_ = now;
    if (size_ == ring_.size()) grow();
    ring_[(head_ + size_) & (ring_.size() - 1)] = c;
    ++size_;
    queued_ += c.bytes;
  }

  /// Drops the oldest message not being written (the second in the queue) into `out`; false if
  /// there is none. O(1): the head moves into its place.
  bool drop_oldest_unsent(QueuedCopy& out) {
    if (size_ < 2) return false;
    const std::size_t mask = ring_.size() - 1;
    const std::size_t second = (head_ + 1) & mask;
    if (ring_[second].replay != 0) return false;  // a resume's messages are never dropped
    out = ring_[second];
    ring_[second] = ring_[head_];
    head_ = second;
    --size_;
    queued_ -= out.bytes;
    return true;
  }

  /// The unsent message of subscription `slot` (not the one being written), or nullptr.
  QueuedCopy* find_unsent(std::uint16_t slot) {
    const std::size_t mask = ring_.size() - 1;
    for (std::uint32_t i = 1; i < size_; ++i) {
      QueuedCopy& c = ring_[(head_ + i) & mask];
      if (c.slot == slot && c.replay == 0) return &c;
    }
    return nullptr;
  }

  /// Empties the queue, calling fn(copy) for each message (oldest first).
  template <class Fn>
  void clear(Fn&& fn) {
    while (size_ > 0) {
      const QueuedCopy c = ring_[head_];
      pop_front();
      fn(c);
    }
  }

  static sim::SimTime write_time(std::uint32_t bytes, double ns_per_byte) {
    return static_cast<sim::SimTime>(std::llround(static_cast<double>(bytes) * ns_per_byte));
  }

 private:
  void pop_front() {
    queued_ -= ring_[head_].bytes;
    head_ = (head_ + 1) & (ring_.size() - 1);
    --size_;
  }
  void grow() {
    std::vector<QueuedCopy> bigger(ring_.empty() ? 2 : ring_.size() * 2);
    for (std::uint32_t i = 0; i < size_; ++i) bigger[i] = ring_[(head_ + i) & (ring_.size() - 1)];
    ring_.swap(bigger);
    head_ = 0;
  }

  std::vector<QueuedCopy> ring_;   ///< power-of-two ring
  std::size_t head_ = 0;
  std::uint32_t size_ = 0;
  sim::SimTime head_start_ = 0;    ///< when the head message started being written
  std::uint64_t queued_ = 0;
};

}  // namespace wsfleet::models
