#include "models/balancing/haproxy_static_rr.hpp"

namespace wsfleet::models {

int HaproxyStaticRr::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  (void)rng;
  map_.refresh(backends);
  const auto& slots = map_.slots();
  if (slots.empty()) return kNoBackend;
  if (rr_idx_ >= slots.size()) rr_idx_ = 0;
  std::size_t index = rr_idx_;
  do {
    const std::uint32_t s = slots[index++];
    if (!saturated(backends[s])) {
      rr_idx_ = index;
      return static_cast<int>(s);
    }
    if (index == slots.size()) index = 0;
  } while (index != rr_idx_);
  return kNoBackend;
}

}  // namespace wsfleet::models
