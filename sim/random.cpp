#include "sim/random.hpp"

#include <cmath>
#include <stdexcept>

namespace wsfleet::sim {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t stream_name_hash(std::string_view name) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

namespace {
inline std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Rng::Rng(std::uint64_t seed) {
  std::uint64_t sm = seed;
  for (auto& word : s_) word = splitmix64(sm);
  // xoshiro must not start from the all-zero state; SplitMix64 cannot produce four zeros, but be explicit.
  if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform01() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Rng::uniform_open0() { return static_cast<double>((next_u64() >> 11) + 1) * 0x1.0p-53; }

double Rng::uniform(double a, double b) { return a + (b - a) * uniform01(); }

std::uint64_t Rng::below(std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("Rng::below: n must be positive");
  unsigned __int128 m = static_cast<unsigned __int128>(next_u64()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(next_u64()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

double Rng::exponential(double mean) { return -mean * std::log(uniform_open0()); }

namespace {

// The ziggurat of the unit exponential density f(x) = exp(-x) (G. Marsaglia and W. W. Tsang, "The
// Ziggurat Method for Generating Random Variables", J. Stat. Software 5(8), 2000): 255 layers of
// equal area v and a base strip of the same area ending in the tail beyond r. Scaled here for a
// 53-bit uniform integer j: layer i holds x = j * w[i], accepted at once when j < k[i].
struct ExpZiggurat {
  static constexpr double kR = 7.697117470131487;   // where the tail starts
  static constexpr double kV = 3.949659822581572e-3;  // the area of each layer
  std::uint64_t k[256];
  double w[256], f[256];
  ExpZiggurat() {
    constexpr double m = 0x1.0p53;
    double de = kR, te = kR;
    const double q = kV / std::exp(-de);
    k[0] = static_cast<std::uint64_t>((de / q) * m);
    k[1] = 0;
    w[0] = q / m;
    w[255] = de / m;
    f[0] = 1.0;
    f[255] = std::exp(-de);
    for (int i = 254; i >= 1; --i) {
      de = -std::log(kV / de + std::exp(-de));
      k[i + 1] = static_cast<std::uint64_t>((de / te) * m);
      te = de;
      f[i] = std::exp(-de);
      w[i] = de / m;
    }
  }
};

const ExpZiggurat& exp_ziggurat() {
  static const ExpZiggurat table;
  return table;
}

}  // namespace

double Rng::exponential_ziggurat(double mean) {
  const ExpZiggurat& z = exp_ziggurat();
  for (;;) {
    const std::uint64_t u = next_u64();
    const auto i = static_cast<std::size_t>(u & 0xFF);  // the layer: the low 8 bits
    const std::uint64_t j = u >> 11;                     // the position: the high 53 bits
    const double x = static_cast<double>(j) * z.w[i];
    if (j < z.k[i]) return x * mean;  // inside the layer's rectangle under the density
    if (i == 0) return (ExpZiggurat::kR - std::log(uniform_open0())) * mean;  // the tail: r + Exp(1)
    if (z.f[i] + uniform01() * (z.f[i - 1] - z.f[i]) < std::exp(-x)) return x * mean;  // the wedge
  }
}

double Rng::standard_normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_normal_;
  }
  double u, v, s;
  do {
    u = 2.0 * uniform01() - 1.0;
    v = 2.0 * uniform01() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double f = std::sqrt(-2.0 * std::log(s) / s);
  spare_normal_ = v * f;
  has_spare_ = true;
  return u * f;
}

Rng StreamFactory::stream(std::string_view name) const { return stream(name, 0); }

Rng StreamFactory::stream(std::string_view name, std::uint64_t index) const {
  // Mix every coordinate through SplitMix64 so nearby seeds/indices give unrelated streams.
  std::uint64_t st = seed_;
  std::uint64_t h = splitmix64(st);
  st = h ^ replication_;
  h = splitmix64(st);
  st = h ^ stream_name_hash(name);
  h = splitmix64(st);
  st = h ^ index;
  return Rng(splitmix64(st));
}

}  // namespace wsfleet::sim
