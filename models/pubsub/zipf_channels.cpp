#include "models/pubsub/zipf_channels.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace wsfleet::models {

ZipfChannels::ZipfChannels(std::uint32_t channels, double s) {
  if (channels == 0) throw std::invalid_argument("ZipfChannels: channels must be >= 1");
  if (!(s >= 0.0) || !std::isfinite(s)) throw std::invalid_argument("ZipfChannels: s must be a finite number >= 0");
  cdf_.resize(channels);
  double sum = 0.0;
  for (std::uint32_t r = 0; r < channels; ++r) {
    sum += std::pow(static_cast<double>(r) + 1.0, -s);
    cdf_[r] = sum;
  }
  for (double& c : cdf_) c /= sum;
  cdf_.back() = 1.0;
}

std::uint32_t ZipfChannels::sample(sim::Rng& rng) const {
  const double u = rng.uniform01();
  const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
  return static_cast<std::uint32_t>(std::min<std::ptrdiff_t>(it - cdf_.begin(), static_cast<std::ptrdiff_t>(cdf_.size()) - 1));
}

void ZipfChannels::sample_distinct(sim::Rng& rng, std::span<std::uint32_t> out) const {
  if (out.size() > cdf_.size()) throw std::invalid_argument("ZipfChannels: more distinct channels than there are");
  std::size_t n = 0;
  // Rejection of repeats; when the popular channels keep coming back (k close to the number of
  // channels under a steep law) the rest are the most popular ones not yet drawn.
  const std::size_t budget = 64 * out.size() + 64;
  for (std::size_t tries = 0; n < out.size() && tries < budget; ++tries) {
    const std::uint32_t c = sample(rng);
    if (std::find(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n), c) == out.begin() + static_cast<std::ptrdiff_t>(n)) out[n++] = c;
  }
  for (std::uint32_t c = 0; n < out.size(); ++c) {
    if (std::find(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n), c) == out.begin() + static_cast<std::ptrdiff_t>(n)) out[n++] = c;
  }
}

double ZipfChannels::probability(std::uint32_t r) const {
  if (r >= cdf_.size()) return 0.0;
  return r == 0 ? cdf_[0] : cdf_[r] - cdf_[r - 1];
}

}  // namespace wsfleet::models
