#include "models/load_balancer.hpp"

#include <utility>
#include <stdexcept>

namespace wsfleet::models {

LoadBalancer::LoadBalancer(std::unique_ptr<BalancingPolicy> policy, const std::vector<double>& weights, sim::Rng rng)
    : policy_(std::move(policy)), rng_(rng) {
  if (!policy_) throw std::invalid_argument("LoadBalancer: null policy");
  if (weights.empty()) throw std::invalid_argument("LoadBalancer: needs at least one backend");
  backends_.resize(weights.size());
  blocks_.assign(weights.size(), 0);
  eligible_ = weights.size();
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (!(weights[i] > 0.0)) throw std::invalid_argument("LoadBalancer: weights must be > 0");
    backends_[i].weight = weights[i];
    backends_[i].id = i;  // distinct identities for the hashing policies
  }
  policy_->on_backends_changed(backends_);
  policy_->track(backends_);
}

void LoadBalancer::changed(int b) { policy_->on_backend_changed(backends_, static_cast<std::size_t>(b)); }

int LoadBalancer::pick(std::uint64_t key) {
  if (!more_.empty()) {
    // The current worker sees its own connections and its own max_conns; health and weights are shared.
    const std::size_t n = backends_.size();
    view_ = backends_;
    for (std::size_t i = 0; i < n; ++i) {
      const std::int64_t mine = per_worker_[static_cast<std::size_t>(worker_) * n + i];
      view_[i].active_connections = mine;
      view_[i].eligible = backends_[i].eligible && !(cap_ > 0 && mine >= cap_) &&
                          worker_passive_[static_cast<std::size_t>(worker_) * n + i] == 0;
    }
    BalancingPolicy& policy = policy_of(worker_);
    const int b = policy.pick(view_, PickRequest{key}, rng_);
    if (b != kNoBackend && (b < 0 || static_cast<std::size_t>(b) >= n || !view_[static_cast<std::size_t>(b)].eligible)) {
      throw std::logic_error("balancing policy '" + policy.name() + "' picked an invalid or ineligible backend");
    }
    return b;
  }
  const int b = policy_->pick(backends_, PickRequest{key}, rng_);
  if (b != kNoBackend && (b < 0 || static_cast<std::size_t>(b) >= backends_.size() || !backends_[static_cast<std::size_t>(b)].eligible)) {
    throw std::logic_error("balancing policy '" + policy_->name() + "' picked an invalid or ineligible backend");
  }
  return b;
}

void LoadBalancer::set_workers(std::vector<std::unique_ptr<BalancingPolicy>> more, bool reuseport, sim::Rng accept_rng) {
  for (const auto& p : more) {
    if (!p) throw std::invalid_argument("LoadBalancer: null policy");
  }
  for (const auto& b : backends_) {
    if (b.active_connections != 0) throw std::logic_error("LoadBalancer: workers are set before any connection");
  }
  more_ = std::move(more);
  reuseport_ = reuseport;
  accept_rng_ = accept_rng;
  per_worker_.assign(static_cast<std::size_t>(workers()) * backends_.size(), 0);
  worker_passive_.assign(static_cast<std::size_t>(workers()) * backends_.size(), 0);
  worker_passive_count_ = 0;
  worker_ = next_worker_ = 0;
  for (auto& p : more_) p->on_backends_changed(backends_);
  // The cap is per worker now: the balancer-wide block no longer applies.
  for (std::size_t b = 0; b < backends_.size(); ++b) update_cap(static_cast<int>(b));
}

void LoadBalancer::accept() {
  if (more_.empty()) return;
  if (reuseport_) {
    worker_ = static_cast<std::uint32_t>(accept_rng_.below(workers()));
  } else {
    worker_ = next_worker_;
    next_worker_ = (next_worker_ + 1) % workers();
  }
}

BackendState& LoadBalancer::at(int b) {
  if (b < 0 || static_cast<std::size_t>(b) >= backends_.size()) throw std::out_of_range("LoadBalancer: bad backend index");
  return backends_[static_cast<std::size_t>(b)];
}

void LoadBalancer::connection_opened(int b) {
  ++at(b).active_connections;
  if (!more_.empty()) ++per_worker_[static_cast<std::size_t>(worker_) * backends_.size() + static_cast<std::size_t>(b)];
  update_cap(b);
  changed(b);
}

void LoadBalancer::connection_closed(int b, std::uint32_t worker) {
  auto& s = at(b);
  if (s.active_connections <= 0) throw std::logic_error("LoadBalancer: closing a connection that is not open");
  if (!more_.empty()) {
    if (worker >= workers()) throw std::out_of_range("LoadBalancer: bad worker index");
    std::int64_t& mine = per_worker_[static_cast<std::size_t>(worker) * backends_.size() + static_cast<std::size_t>(b)];
    if (mine <= 0) throw std::logic_error("LoadBalancer: closing a connection its worker does not have open");
    --mine;
  }
  --s.active_connections;
  update_cap(b);
  changed(b);
}

void LoadBalancer::drop_all(int b) {
  at(b).active_connections = 0;
  if (!more_.empty()) {
    for (std::uint32_t w = 0; w < workers(); ++w) per_worker_[static_cast<std::size_t>(w) * backends_.size() + static_cast<std::size_t>(b)] = 0;
  }
  update_cap(b);
  changed(b);
}

std::uint8_t LoadBalancer::blocks_everywhere(int b) const {
  const std::uint8_t shared = blocks_.at(static_cast<std::size_t>(b));
  if (more_.empty()) return shared;
  for (std::uint32_t w = 0; w < workers(); ++w) {
    if (!passive_in(w, b)) return shared;
  }
  return static_cast<std::uint8_t>(shared | kBlockPassive);
}

void LoadBalancer::block_passive(std::uint32_t w, int b) {
  if (more_.empty()) return block(b, kBlockPassive);
  at(b);
  if (w >= workers()) throw std::out_of_range("LoadBalancer: bad worker index");
  std::uint8_t& flag = worker_passive_[static_cast<std::size_t>(w) * backends_.size() + static_cast<std::size_t>(b)];
  if (flag == 0) ++worker_passive_count_;
  flag = 1;
}

void LoadBalancer::unblock_passive(std::uint32_t w, int b) {
  if (more_.empty()) return unblock(b, kBlockPassive);
  at(b);
  if (w >= workers()) throw std::out_of_range("LoadBalancer: bad worker index");
  std::uint8_t& flag = worker_passive_[static_cast<std::size_t>(w) * backends_.size() + static_cast<std::size_t>(b)];
  if (flag != 0) --worker_passive_count_;
  flag = 0;
}

std::size_t LoadBalancer::eligible_count() const {
  if (worker_passive_count_ == 0) return eligible_;
  std::size_t n = 0;
  for (std::size_t b = 0; b < backends_.size(); ++b) {
    if (!backends_[b].eligible) continue;
    for (std::uint32_t w = 0; w < workers(); ++w) {
      if (worker_passive_[static_cast<std::size_t>(w) * backends_.size() + b] == 0) {
        ++n;
        break;
      }
    }
  }
  return n;
}

void LoadBalancer::block(int b, Block reason) {
  auto& s = at(b);
  if (s.eligible) --eligible_;
  blocks_[static_cast<std::size_t>(b)] |= reason;
  s.eligible = false;
  changed(b);
}

void LoadBalancer::unblock(int b, Block reason) {
  auto& s = at(b);
  auto& mask = blocks_[static_cast<std::size_t>(b)];
  mask = static_cast<std::uint8_t>(mask & ~reason);
  if (!s.eligible && mask == 0) ++eligible_;
  s.eligible = mask == 0;
  changed(b);
}

void LoadBalancer::failure(int b) {
  at(b);  // checks the index
  policy_of(worker_).on_failure(static_cast<std::size_t>(b));  // the worker that tried it (worker 0 with one)
}

void LoadBalancer::set_connection_cap(std::int64_t cap) {
  if (cap < 0) throw std::invalid_argument("LoadBalancer: the connection cap must be >= 0");
  cap_ = cap;
  for (auto& b : backends_) b.max_connections = cap;  // what HAProxy's `first` and saturation checks read
  for (std::size_t b = 0; b < backends_.size(); ++b) update_cap(static_cast<int>(b));
}

void LoadBalancer::update_cap(int b) {
  if (cap_ > 0 && more_.empty() && at(b).active_connections >= cap_) {
    block(b, kBlockCapped);
  } else if (blocks_[static_cast<std::size_t>(b)] & kBlockCapped) {
    unblock(b, kBlockCapped);
  }
}

void LoadBalancer::set_weight(int b, double weight) {
  if (!(weight > 0.0)) throw std::invalid_argument("LoadBalancer: weights must be > 0");
  auto& s = at(b);
  if (s.weight == weight) return;
  s.weight = weight;
  policy_->on_backends_changed(backends_);
  for (auto& p : more_) p->on_backends_changed(backends_);
}

void LoadBalancer::set_load(int b, double cpu_utilisation, double response_time_s, double bandwidth_bps) {
  auto& s = at(b);
  s.cpu_utilisation = cpu_utilisation;
  s.response_time_s = response_time_s;
  s.bandwidth_bps = bandwidth_bps;
}

}  // namespace wsfleet::models
