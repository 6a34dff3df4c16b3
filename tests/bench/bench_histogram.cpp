// LogHistogram::record cost (it runs once per message on the hot path): ns per record() for
// latency-like values, against the cost of producing the values alone. Best of --repeat K.
//
//   bench_histogram [--values N] [--repeat K]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sim/histogram.hpp"
#include "sim/random.hpp"

using namespace wsfleet::sim;

int main(int argc, char** argv) {
  std::size_t n = 1'000'000;
  int repeat = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--values" && i + 1 < argc) {
      n = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--values N] [--repeat K]\n", argv[0]);
      return 2;
    }
  }
  // Pre-drawn values (exponential, mean 20 ms, plus a 1 % tail up to 10 s) so only record() is timed.
  Rng rng(7);
  std::vector<double> values(n);
  for (double& v : values) v = rng.uniform01() < 0.01 ? rng.uniform(1.0, 10.0) : rng.exponential(0.020);

  for (const double accuracy : {0.01, 0.001}) {
    double best = 1e30;
    double p99 = 0;
    for (int k = 0; k < repeat; ++k) {
      LogHistogram h(accuracy);
      const auto start = std::chrono::steady_clock::now();
      for (double v : values) h.record(v);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (s < best) best = s;
      p99 = h.quantile(0.99);
    }
    LogHistogram h(accuracy);
    for (double v : values) h.record(v);
    const auto start = std::chrono::steady_clock::now();
    double acc = 0;
    for (int i = 0; i < 1000; ++i) acc += h.quantile(0.001 * i);
    const double quantile_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("accuracy %-6g record: %6.2f ns/value  quantile: %8.1f ns  buckets %zu  p99 %.4f s  (%g)\n", accuracy,
                best * 1e9 / static_cast<double>(n), quantile_s * 1e6, h.bucket_count(), p99, acc);
  }
  return 0;
}
