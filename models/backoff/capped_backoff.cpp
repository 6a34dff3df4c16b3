#include "models/backoff/capped_backoff.hpp"

#include <utility>

#include "models/backoff/backoff_step.hpp"

namespace wsfleet::models {

CappedBackoff::CappedBackoff(std::string name, sim::SimTime base_ns, sim::SimTime cap_ns, std::uint32_t max_retries)
    : name_(std::move(name)), base_ns_(base_ns), cap_ns_(cap_ns), max_retries_(max_retries) {
  check_base_cap(name_, base_ns_, cap_ns_);
}

}  // namespace wsfleet::models
