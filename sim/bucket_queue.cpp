#include "sim/bucket_queue.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>

namespace wsfleet::sim {

BucketQueue::BucketQueue(SimTime bucket_width, std::size_t bucket_count)
    : bucket_width_(bucket_width), bucket_count_(bucket_count), mask_(bucket_count - 1) {
  if (bucket_width <= 0) throw std::invalid_argument("BucketQueue: bucket_width must be > 0 ns");
  if (bucket_count == 0 || !std::has_single_bit(bucket_count)) {
    throw std::invalid_argument("BucketQueue: bucket_count must be a power of two >= 1");
  }
  ring_.resize(bucket_count);
  occupied_.assign((bucket_count + 63) / 64, 0);
}

void BucketQueue::clear() {
  current_.clear();
  extra_.clear();
  if (ring_count_ > 0) {
    std::fill(ring_.begin(), ring_.end(), Bucket{});
    // Every chunk is free again: chain them all into the free list.
    const auto chunks = static_cast<std::uint32_t>(next_chunk_.size());
    for (std::uint32_t c = 0; c < chunks; ++c) next_chunk_[c] = c + 1 < chunks ? c + 1 : kNoChunk;
    free_chunk_ = chunks > 0 ? 0 : kNoChunk;
  }
  std::fill(occupied_.begin(), occupied_.end(), 0);
  ring_count_ = 0;
  overflow_.clear();
  size_ = 0;
  current_bucket_ = 0;
}

std::size_t BucketQueue::next_occupied_slot(std::size_t start) const {
  const std::size_t words = occupied_.size();
  std::size_t w = start >> 6;
  std::uint64_t bits = occupied_[w] & (~std::uint64_t{0} << (start & 63));
  // At most words + 1 iterations: the first word is visited twice (masked, then whole after wrapping).
  for (std::size_t k = 0; k <= words; ++k) {
    if (bits != 0) return (w << 6) + static_cast<std::size_t>(std::countr_zero(bits));
    w = (w + 1 == words) ? 0 : w + 1;
    bits = occupied_[w];
  }
  throw std::logic_error("BucketQueue: ring count and occupancy map disagree");
}

void BucketQueue::grow_pool() {
  if (next_chunk_.size() + kChunksPerBlock > kNoChunk) throw std::length_error("BucketQueue: chunk pool exhausted");
  const auto first = static_cast<std::uint32_t>(next_chunk_.size());
  blocks_.emplace_back(static_cast<std::size_t>(kChunksPerBlock) * kChunkEvents);
  next_chunk_.resize(next_chunk_.size() + kChunksPerBlock);
  for (std::uint32_t i = 0; i < kChunksPerBlock; ++i) {
    next_chunk_[first + i] = i + 1 < kChunksPerBlock ? first + i + 1 : free_chunk_;
  }
  free_chunk_ = first;
}

void BucketQueue::take_bucket(std::size_t slot) {
  Bucket& bucket = ring_[slot];
  std::uint64_t left = bucket.count;
  std::uint32_t c = bucket.head;
  while (left > 0) {
    const std::uint64_t n = left < kChunkEvents ? left : kChunkEvents;
    const Event* events = chunk_events(c);
    current_.insert(current_.end(), events, events + n);
    left -= n;
    const std::uint32_t next = next_chunk_[c];
    next_chunk_[c] = free_chunk_;  // LIFO: the chunk just read is the next one reused (warm in cache)
    free_chunk_ = c;
    c = next;
  }
  ring_count_ -= bucket.count;
  bucket = Bucket{};
  occupied_[slot >> 6] &= ~(std::uint64_t{1} << (slot & 63));
}

void BucketQueue::advance() {
  if (ring_count_ == 0) {
    // Nothing within the horizon: jump straight to the overflow minimum.
    current_bucket_ = bucket_of(overflow_.top().time);
  } else {
    const std::size_t here = static_cast<std::size_t>(static_cast<std::uint64_t>(current_bucket_) & mask_);
    const std::size_t slot = next_occupied_slot((here + 1) & static_cast<std::size_t>(mask_));
    // The slot of the current bucket itself is never occupied, so the distance is in 1 .. count-1.
    const std::size_t distance = (slot - here) & static_cast<std::size_t>(mask_);
    current_bucket_ += static_cast<std::int64_t>(distance);
    take_bucket(slot);
    std::sort(current_.begin(), current_.end(), later);  // latest first: the earliest is at the back
  }
  pull_overflow();
}

void BucketQueue::pull_overflow() {
  // The window moved to (current_bucket_, current_bucket_ + count); every overflow event has
  // bucket >= current_bucket_ (it was beyond the old window, or current_bucket_ is its minimum).
  while (!overflow_.empty()) {
    const std::int64_t b = bucket_of(overflow_.top().time);
    const std::uint64_t ahead = static_cast<std::uint64_t>(b) - static_cast<std::uint64_t>(current_bucket_);
    if (ahead >= bucket_count_) break;
    const Event e = overflow_.pop();
    if (ahead == 0) {
      extra_.push_back(e);
      std::push_heap(extra_.begin(), extra_.end(), later);
    } else {
      append_to_ring(static_cast<std::size_t>(static_cast<std::uint64_t>(b) & mask_), e);
    }
  }
}

}  // namespace wsfleet::sim
