// Event-queue benchmark on a "hold" workload shaped like a WebSocket fleet: N pending timers (one
// per connection); every pop re-arms its timer at now + 25 s (heartbeat, 70 %) or now + Exp(60 s)
// (next message, 30 %). Each (queue, case) runs in a forked child so that peak RSS is its own;
// --repeat K runs each K times and reports the fastest by CPU time (the machine is shared: CPU
// time excludes the time the process waits for a core; wall time is printed too).
//
//   bench_event_queue [--pops N] [--repeat K] [--only NAME] [--variants]
//
// The checksum (over popped (time, seq)) must be identical for every queue of a case: same seed,
// same pop order.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sim/binary_heap_queue.hpp"
#include "sim/bucket_queue.hpp"
#include "sim/quaternary_heap_queue.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"

using namespace wsfleet::sim;

namespace {

constexpr SimTime kHeartbeat = 25 * kNanosPerSecond;
constexpr double kMessageMeanS = 60.0;
constexpr double kHeartbeatShare = 0.7;

struct Result {
  double seconds = 0;          // wall time of the timed pops
  double cpu_seconds = 0;      // CPU time of the timed pops (excludes time descheduled on a busy host)
  std::uint64_t checksum = 0;  // over popped events
  long peak_rss_kib = 0;       // getrusage ru_maxrss of the child
  double sim_seconds = 0;      // simulated time covered by the timed pops
};

// CPU time of this process, s.
double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

SimTime next_delay(Rng& rng) {
  return rng.uniform01() < kHeartbeatShare ? kHeartbeat : from_seconds(rng.exponential(kMessageMeanS));
}

// Fills the queue with `pending` timers, runs `pending` untimed warm-up pops, then times `pops` pops.
template <typename Q>
Result run_hold(Q& q, std::size_t pending, std::uint64_t pops) {
  Rng rng(2024);
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < pending; ++i) {
    const bool heartbeat = rng.uniform01() < kHeartbeatShare;
    const SimTime t = heartbeat ? static_cast<SimTime>(rng.below(kHeartbeat)) : from_seconds(rng.exponential(kMessageMeanS));
    q.push(Event{t, seq++, i, 0, heartbeat ? 0u : 1u});
  }
  auto step = [&](std::uint64_t& sum) {
    Event e = q.pop();
    sum = sum * 31 + static_cast<std::uint64_t>(e.time) + e.seq;
    e.time += next_delay(rng);
    e.seq = seq++;
    q.push(e);
  };
  std::uint64_t warm = 0;
  for (std::size_t i = 0; i < pending; ++i) step(warm);
  const SimTime t0 = q.top().time;
  Result r;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = cpu_now();
  for (std::uint64_t i = 0; i < pops; ++i) step(r.checksum);
  r.cpu_seconds = cpu_now() - cpu_start;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.sim_seconds = to_seconds(q.top().time - t0);
  return r;
}

// The same loop without a queue: the cost of the random draws and bookkeeping alone.
Result run_baseline(std::size_t pending, std::uint64_t pops) {
  Rng rng(2024);
  std::vector<SimTime> timers(pending, 0);
  Result r;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = cpu_now();
  std::uint64_t seq = 0;
  for (std::uint64_t i = 0; i < pops; ++i) {
    SimTime& t = timers[i % pending];
    r.checksum = r.checksum * 31 + static_cast<std::uint64_t>(t) + seq++;
    t += next_delay(rng);
  }
  r.cpu_seconds = cpu_now() - cpu_start;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

struct Contender {
  std::string name;
  std::function<Result(std::size_t, std::uint64_t)> run;
};

template <typename Q, typename... Args>
Contender contender(std::string name, Args... args) {
  return {std::move(name), [=](std::size_t pending, std::uint64_t pops) {
            Q q(args...);
            return run_hold(q, pending, pops);
          }};
}

// Runs `c` in a forked child and returns its result (with the child's own peak RSS).
Result run_in_child(const Contender& c, std::size_t pending, std::uint64_t pops) {
  int fds[2];
  if (pipe(fds) != 0) {
    std::perror("pipe");
    std::exit(1);
  }
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    std::exit(1);
  }
  if (pid == 0) {
    close(fds[0]);
    Result r = c.run(pending, pops);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    r.peak_rss_kib = ru.ru_maxrss;
    const ssize_t written = write(fds[1], &r, sizeof r);
    _exit(written == static_cast<ssize_t>(sizeof r) ? 0 : 1);
  }
  close(fds[1]);
  Result r;
  const ssize_t got = read(fds[0], &r, sizeof r);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != static_cast<ssize_t>(sizeof r) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "%s: child failed\n", c.name.c_str());
    std::exit(1);
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t pops = 20'000'000;
  int repeat = 3;
  std::string only;
  bool variants = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--pops" && i + 1 < argc) {
      pops = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = std::atoi(argv[++i]);
    } else if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else if (a == "--variants") {
      variants = true;
    } else {
      std::fprintf(stderr, "usage: %s [--pops N] [--repeat K] [--only NAME] [--variants]\n", argv[0]);
      return 2;
    }
  }

  std::vector<Contender> contenders = {
      contender<BinaryHeapQueue>("BinaryHeapQueue"),
      contender<QuaternaryHeapQueue>("QuaternaryHeapQueue"),
      contender<BucketQueue>("BucketQueue(default)"),
  };
  if (variants) {  // bucket parameters around the default: width x count = horizon
    const std::pair<SimTime, std::size_t> params[] = {
        {kNanosPerMilli, 65536},       {kNanosPerMilli, 131072},     {250 * kNanosPerMicro, 262144},
        {4 * kNanosPerMilli, 16384},   {8 * kNanosPerMilli, 16384},  {16 * kNanosPerMilli, 4096},
        {16 * kNanosPerMilli, 8192},   {16 * kNanosPerMilli, 16384}, {32 * kNanosPerMilli, 4096},
        {64 * kNanosPerMilli, 2048}};
    for (const auto& [width, count] : params) {
      contenders.push_back(contender<BucketQueue>(
          "BucketQueue(" + std::to_string(width / kNanosPerMicro) + "us x " + std::to_string(count) + ")", width, count));
    }
  }

  std::printf("hold workload: every pop re-arms at now+25s (70%%) or now+Exp(60s) (30%%); best of %d\n", repeat);
  for (const std::size_t pending : {std::size_t{1'000'000}, std::size_t{10'000}}) {
    std::printf("\n== %zu pending timers, %llu timed pops (after %zu warm-up pops)\n", pending,
                static_cast<unsigned long long>(pops), pending);
    std::printf("%-28s %12s %9s %8s %10s %12s %20s\n", "queue", "pops/s(cpu)", "cpu s", "wall s", "cpu ns/pop",
                "peak RSS MiB", "checksum");
    {
      Result best;
      for (int k = 0; k < repeat; ++k) {
        const Result r = run_baseline(pending, pops);
        if (k == 0 || r.cpu_seconds < best.cpu_seconds) best = r;
      }
      std::printf("%-28s %12.3e %9.3f %8.3f %10.1f %12s %20s\n", "(draws only, no queue)",
                  static_cast<double>(pops) / best.cpu_seconds, best.cpu_seconds, best.seconds,
                  best.cpu_seconds * 1e9 / static_cast<double>(pops), "-", "-");
    }
    for (const Contender& c : contenders) {
      if (!only.empty() && c.name.find(only) == std::string::npos) continue;
      Result best;
      for (int k = 0; k < repeat; ++k) {
        const Result r = run_in_child(c, pending, pops);
        if (k == 0 || r.cpu_seconds < best.cpu_seconds) best = r;
      }
      std::printf("%-28s %12.3e %9.3f %8.3f %10.1f %12.1f %20llu\n", c.name.c_str(),
                  static_cast<double>(pops) / best.cpu_seconds, best.cpu_seconds, best.seconds,
                  best.cpu_seconds * 1e9 / static_cast<double>(pops),
                  static_cast<double>(best.peak_rss_kib) / 1024.0, static_cast<unsigned long long>(best.checksum));
      std::fflush(stdout);
    }
  }
  return 0;
}
