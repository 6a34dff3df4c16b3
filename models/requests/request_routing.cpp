#include "models/requests/request_routing.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "models/cpu_queue.hpp"
#include "models/load_balancer.hpp"
#include "models/requests/occupancy_levels.hpp"
#include "sim/histogram.hpp"
#include "sim/random.hpp"
#include "sim/simulator.hpp"

namespace wsfleet::models {

namespace {

/// Relative accuracy of the response-time quantiles.
constexpr double kQuantileAccuracy = 0.005;
/// Draws are capped here: longer than any run (duration_s <= 1e9), so a capped request still ends
/// after the run and nothing observable changes, but now + draw can never overflow SimTime.
constexpr double kLongestDraw_s = 2e9;

/// The model: arrivals, routing, per-server CPU queues and completions, driven by the kernel.
class RequestRouter final : public sim::EventHandler {
 public:
  explicit RequestRouter(const RequestRoutingConfig& cfg)
      : cfg_(cfg),
        end_(sim::from_seconds(cfg.duration_s)),
        warmup_(sim::from_seconds(cfg.warmup_s)),
        streams_(cfg.seed, cfg.replication),
        balancer_(make_balancing_policy(cfg.policy, cfg.params),
                  std::vector<double>(static_cast<std::size_t>(cfg.servers), 1.0), streams_.stream("balancer")),
        arrivals_rng_(streams_.stream("requests.arrivals")),
        service_rng_(streams_.stream("requests.service")),
        levels_(static_cast<std::size_t>(cfg.servers)),
        latency_s_(kQuantileAccuracy),
        served_(static_cast<std::size_t>(cfg.servers), 0),
        busy_at_warmup_(static_cast<std::size_t>(cfg.servers), 0) {
    cpus_.reserve(static_cast<std::size_t>(cfg.servers));
    for (std::int64_t s = 0; s < cfg.servers; ++s) cpus_.emplace_back(static_cast<std::uint32_t>(cfg.cores));
    handler_ = sim_.add_handler(this);
  }

  RequestRoutingResult run() {
    sim_.schedule_at(warmup_, handler_, kWarmup, 0);
    schedule_next_arrival();
    sim_.run_until(end_);
    return collect();
  }

  void handle(const sim::Event& e) override {
    switch (e.tag) {
      case kArrival: arrive(); break;
      case kCompletion: complete(e.data); break;
      case kWarmup: start_window(); break;
      default: throw std::logic_error("RequestRouter: unknown event tag");
    }
  }

 private:
  enum Tag : std::uint32_t { kArrival, kCompletion, kWarmup };

  /// A request queued or in service.
  struct InFlight {
    sim::SimTime arrival;
    std::uint32_t server;
  };

  sim::SimTime draw(const sim::Distribution& d, sim::Rng& rng) {
    return sim::from_seconds(std::min(d.sample(rng), kLongestDraw_s));
  }

  void schedule_next_arrival() {
    const sim::SimTime t = sim_.now() + draw(cfg_.interarrival_s, arrivals_rng_);
    if (t < end_) sim_.schedule_at(t, handler_, kArrival, 0);
  }

  void arrive() {
    const sim::SimTime now = sim_.now();
    ++arrived_;
    // The key only matters to hashing policies: a stable per-request identity.
    const int b = balancer_.pick(sim::mix64(arrived_));
    if (b == kNoBackend) throw std::logic_error("RequestRouter: the balancer found no backend");
    const auto server = static_cast<std::uint32_t>(b);
    balancer_.connection_opened(b);
    levels_.up(balancer_.backends()[server].active_connections, now);
    const sim::SimTime done = cpus_[server].submit(now, draw(cfg_.service_s, service_rng_), CpuQueue::kUntracked);
    sim_.schedule_at(done, handler_, kCompletion, store(InFlight{now, server}));
    schedule_next_arrival();
  }

  void complete(std::uint64_t slot) {
    const sim::SimTime now = sim_.now();
    const InFlight r = slots_.at(slot);
    free_slots_.push_back(slot);
    levels_.down(balancer_.backends()[r.server].active_connections, now);
    balancer_.connection_closed(static_cast<int>(r.server));
    ++completed_;
    if (now >= warmup_) ++served_[r.server];
    if (r.arrival >= warmup_) latency_s_.record(sim::to_seconds(now - r.arrival));
  }

  void start_window() {
    const sim::SimTime now = sim_.now();
    levels_.restart(now);
    for (std::size_t s = 0; s < cpus_.size(); ++s) busy_at_warmup_[s] = cpus_[s].busy_ns(now);
  }

  std::uint64_t store(const InFlight& r) {
    if (free_slots_.empty()) {
      slots_.push_back(r);
      return slots_.size() - 1;
    }
    const std::uint64_t slot = free_slots_.back();
    free_slots_.pop_back();
    slots_[slot] = r;
    return slot;
  }

  RequestRoutingResult collect() const {
    RequestRoutingResult out;
    out.arrived = arrived_;
    out.completed = completed_;
    out.in_flight = slots_.size() - free_slots_.size();
    out.conserved = out.arrived == out.completed + out.in_flight;
    out.measured = latency_s_.count();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const bool any = out.measured > 0;
    out.mean_response_s = any ? latency_s_.mean() : nan;
    out.p50_response_s = any ? latency_s_.quantile(0.5) : nan;
    out.p99_response_s = any ? latency_s_.quantile(0.99) : nan;
    out.max_response_s = any ? latency_s_.max() : nan;
    const double window_core_ns = static_cast<double>(end_ - warmup_) * static_cast<double>(cfg_.cores);
    for (std::size_t s = 0; s < cpus_.size(); ++s) {
      out.utilisation.push_back(static_cast<double>(cpus_[s].busy_ns(end_) - busy_at_warmup_[s]) / window_core_ns);
    }
    out.served = served_;
    out.share_at_least = levels_.shares(end_);
    for (std::size_t i = 1; i < out.share_at_least.size(); ++i) out.mean_outstanding += out.share_at_least[i];
    return out;
  }

  const RequestRoutingConfig& cfg_;
  const sim::SimTime end_;
  const sim::SimTime warmup_;
  sim::StreamFactory streams_;
  sim::Simulator sim_;
  std::uint32_t handler_ = 0;
  LoadBalancer balancer_;
  std::vector<CpuQueue> cpus_;
  sim::Rng arrivals_rng_;
  sim::Rng service_rng_;
  std::vector<InFlight> slots_;
  std::vector<std::uint64_t> free_slots_;
  OccupancyLevels levels_;
  sim::LogHistogram latency_s_;
  std::vector<std::uint64_t> served_;
  std::vector<sim::SimTime> busy_at_warmup_;
  std::uint64_t arrived_ = 0;
  std::uint64_t completed_ = 0;
};

}  // namespace

RequestRoutingResult route_requests(const RequestRoutingConfig& cfg) {
  validate(cfg);
  RequestRouter router(cfg);
  return router.run();
}

}  // namespace wsfleet::models
