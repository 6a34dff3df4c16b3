#pragma once
// The future-event list interface. Every implementation satisfies `EventQueue` and runs the same
// test suite (tests/cpp/test_event_queue.cpp); the simulator is parameterised on it.
#include <concepts>
#include <cstddef>

#include "sim/event.hpp"

namespace wsfleet::sim {

/// A priority queue of Events ordered by event_before (time, then seq).
/// Contract: pop() and top() require !empty(); events may be pushed with any time >= the time of
/// the last popped event (the simulator never schedules into the past).
template <typename Q>
concept EventQueue = requires(Q q, const Q cq, const Event& e) {
  { q.push(e) } -> std::same_as<void>;
  { q.pop() } -> std::same_as<Event>;
  { cq.top() } -> std::convertible_to<const Event&>;
  { cq.empty() } -> std::same_as<bool>;
  { cq.size() } -> std::same_as<std::size_t>;
  { q.clear() } -> std::same_as<void>;
};

}  // namespace wsfleet::sim
