#pragma once
// The event loop: a clock, a future-event list and the handlers events are dispatched to.
#include <cstdint>
#include <functional>
#include <vector>

#include "sim/default_event_queue.hpp"
#include "sim/event_handler.hpp"
#include "sim/time.hpp"

namespace wsfleet::sim {

/// A discrete-event simulator. Same-time events run in the order they were scheduled
/// (ties broken by a sequence number), so a run is a pure function of its inputs.
class Simulator {
 public:
  /// Called now and then during run_until with the current simulated time and events processed.
  using ProgressFn = std::function<void(SimTime now, std::uint64_t events_processed)>;

  /// Registers a handler and returns the id to schedule its events with. The handler must outlive the run.
  std::uint32_t add_handler(EventHandler* handler);

  /// Schedules an event at absolute time `t` (must be >= now(); throws std::logic_error otherwise).
  void schedule_at(SimTime t, std::uint32_t handler, std::uint32_t tag, std::uint64_t data);
  /// Schedules an event `delay` ns from now (delay >= 0).
  void schedule_in(SimTime delay, std::uint32_t handler, std::uint32_t tag, std::uint64_t data) {
    schedule_at(now_ + delay, handler, tag, data);
  }

  /// Processes every event with time <= end in (time, seq) order, then sets now() to end.
  /// Returns early (with now() at the last event processed) if stop() is called from a handler.
  void run_until(SimTime end);
  /// Asks run_until to return after the current event.
  void stop() { stop_requested_ = true; }

  /// Current simulated time, ns.
  SimTime now() const { return now_; }
  /// Events dispatched so far.
  std::uint64_t events_processed() const { return events_processed_; }
  /// Events scheduled but not yet dispatched.
  std::size_t pending() const { return queue_.size(); }

  /// Installs a progress callback invoked every `every_events` dispatched events.
  void set_progress(ProgressFn fn, std::uint64_t every_events);

 private:
  DefaultEventQueue queue_;
  std::vector<EventHandler*> handlers_;
  SimTime now_ = 0;
  std::uint64_t next_seq_ = 0;
  std::uint64_t events_processed_ = 0;
  bool stop_requested_ = false;
  ProgressFn progress_;
  std::uint64_t progress_every_ = 0;
};

}  // namespace wsfleet::sim
