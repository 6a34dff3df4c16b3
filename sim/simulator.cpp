#include "sim/simulator.hpp"

#include <utility>
#include <stdexcept>
#include <string>

namespace wsfleet::sim {

std::uint32_t Simulator::add_handler(EventHandler* handler) {
  if (handler == nullptr) throw std::invalid_argument("Simulator::add_handler: null handler");
  handlers_.push_back(handler);
  return static_cast<std::uint32_t>(handlers_.size() - 1);
}

void Simulator::schedule_at(SimTime t, std::uint32_t handler, std::uint32_t tag, std::uint64_t data) {
  if (t < now_) {
    throw std::logic_error("Simulator::schedule_at: time " + std::to_string(t) + " ns is before now (" +
                           std::to_string(now_) + " ns)");
  }
  if (handler >= handlers_.size()) throw std::logic_error("Simulator::schedule_at: unknown handler id");
  queue_.push(Event{t, next_seq_++, data, handler, tag});
}

void Simulator::run_until(SimTime end) {
  stop_requested_ = false;
  std::uint64_t next_progress = progress_every_ ? events_processed_ + progress_every_ : UINT64_MAX;
  while (!queue_.empty() && queue_.top().time <= end) {
    const Event e = queue_.pop();
    now_ = e.time;
    handlers_[e.handler]->handle(e);
    ++events_processed_;
    if (events_processed_ >= next_progress) {
      progress_(now_, events_processed_);
      next_progress += progress_every_;
    }
    if (stop_requested_) return;
  }
  if (end > now_) now_ = end;
}

void Simulator::set_progress(ProgressFn fn, std::uint64_t every_events) {
  progress_ = std::move(fn);
  progress_every_ = progress_ ? every_events : 0;
}

}  // namespace wsfleet::sim
