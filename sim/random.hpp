#pragma once
// Deterministic random streams: a master seed plus a replication index, one named stream per
// model component. Everything here is implemented in the project (no std::*_distribution), so a
// seed gives identical draws with every compiler and standard library.
#include <cstdint>
#include <string_view>

namespace wsfleet::sim {

/// One step of SplitMix64; used to expand seeds into generator state.
std::uint64_t splitmix64(std::uint64_t& state);

/// A stateless 64-bit mix (SplitMix64's finaliser applied to x + golden gamma): a stable hash of x.
inline std::uint64_t mix64(std::uint64_t x) { return splitmix64(x); }

/// 64-bit FNV-1a hash of a stream name: stable across platforms and runs.
std::uint64_t stream_name_hash(std::string_view name);

/// A random stream: the xoshiro256** generator (Blackman & Vigna) plus exact sampling helpers.
class Rng {
 public:
  /// A stream whose state is expanded from `seed` with SplitMix64.
  explicit Rng(std::uint64_t seed = 0);

  /// The next raw 64-bit output.
  std::uint64_t next_u64();
  /// Uniform on [0, 1) with 53 random bits.
  double uniform01();
  /// Uniform on (0, 1]: never returns 0 (safe for log).
  double uniform_open0();
  /// Uniform on [a, b).
  double uniform(double a, double b);
  /// Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject). n must be > 0.
  std::uint64_t below(std::uint64_t n);
  /// Exponential with the given mean (> 0), by inversion.
  double exponential(double mean);
  /// Exponential with the given mean (> 0), by Marsaglia and Tsang's ziggurat (256 layers): the same
  /// distribution as exponential() from other draws, without a logarithm 98.9 % of the time. For
  /// streams whose draws are the hot path (the servers' message streams).
  double exponential_ziggurat(double mean);
  /// Standard normal by the Marsaglia polar method (one spare value is cached).
  double standard_normal();

 private:
  std::uint64_t s_[4];
  double spare_normal_ = 0.0;
  bool has_spare_ = false;
};

/// Creates independent streams from (master seed, replication index, stream name).
/// Adding a new named stream never changes the draws of existing ones.
class StreamFactory {
 public:
  StreamFactory(std::uint64_t seed, std::uint64_t replication) : seed_(seed), replication_(replication) {}
  /// The stream for a named component, e.g. "clients.arrivals" or "balancer".
  Rng stream(std::string_view name) const;
  /// The stream for the i-th instance of a named component (e.g. one per server).
  Rng stream(std::string_view name, std::uint64_t index) const;
  std::uint64_t seed() const { return seed_; }
  std::uint64_t replication() const { return replication_; }

 private:
  std::uint64_t seed_;
  std::uint64_t replication_;
};

}  // namespace wsfleet::sim
