#include "models/balancing/haproxy_roundrobin.hpp"

#include <algorithm>
#include <cmath>

namespace wsfleet::models {

namespace {
constexpr std::int64_t kWeightScale = 16;                      // BE_WEIGHT_SCALE
constexpr std::int64_t kUweightRange = 256;                    // SRV_UWGHT_RANGE
constexpr std::int64_t kEweightMax = kUweightRange * kWeightScale;  // SRV_EWGHT_MAX
}  // namespace

std::int64_t haproxy_eweight(double weight) {
  return std::clamp<std::int64_t>(std::llround(weight * static_cast<double>(kWeightScale)), 1, kEweightMax);
}

void HaproxyRoundRobin::insert(std::size_t s, int tree, std::uint64_t key) {
  Server& srv = servers_[s];
  srv.tree = tree;
  srv.key = key;
  srv.seq = seq_++;
  srv.queued = true;
  trees_[tree].insert(Node{key, srv.seq, s});
}

void HaproxyRoundRobin::dequeue(std::size_t s) {
  Server& srv = servers_[s];
  if (srv.queued) trees_[srv.tree].erase(Node{srv.key, srv.seq, s});
  srv.queued = false;
}

void HaproxyRoundRobin::queue_by_weight(std::size_t s, int tree) {
  insert(s, tree, static_cast<std::uint64_t>(kEweightMax - servers_[s].eweight));
}

void HaproxyRoundRobin::queue_srv(std::size_t s) {
  Server& srv = servers_[s];
  if (!srv.usable) {
    srv.tree = kNone;
  } else if (srv.eweight <= 0 || srv.npos >= 2 * curr_weight_ || srv.npos >= curr_weight_ + next_weight_) {
    srv.npos -= curr_weight_;
    queue_by_weight(s, next_);
  } else {
    const auto key = static_cast<std::uint64_t>(kUweightRange * srv.npos +
                                                (kEweightMax + srv.rweight - srv.eweight) / kWeightScale);
    insert(s, kCurr, key);
  }
}

void HaproxyRoundRobin::get_srv(std::size_t s) {
  Server& srv = servers_[s];
  if (srv.tree == init_) {
    srv.npos = srv.rweight = 0;
  } else if (srv.tree == next_) {
    srv.npos += curr_weight_;
  } else if (srv.tree == kNone) {
    srv.npos = curr_pos_;
  }
}

void HaproxyRoundRobin::update_position(std::size_t s) {
  Server& srv = servers_[s];
  if (srv.eweight <= 0) return;
  if (srv.npos == 0) srv.npos = curr_pos_;
  srv.lpos = srv.npos;
  srv.npos += next_weight_ / srv.eweight;
  srv.rweight += next_weight_ % srv.eweight;
  if (srv.rweight >= srv.eweight) {
    srv.rweight -= srv.eweight;
    ++srv.npos;
  }
}

void HaproxyRoundRobin::switch_trees() {
  std::swap(init_, next_);
  curr_weight_ = next_weight_;
  curr_pos_ = curr_weight_;
}

int HaproxyRoundRobin::server_from_group() {
  int s1 = kNoBackend;
  if (!trees_[kCurr].empty()) {
    s1 = static_cast<int>(std::get<2>(*trees_[kCurr].begin()));
    const Server& srv = servers_[static_cast<std::size_t>(s1)];
    if (srv.eweight > 0 && srv.npos <= curr_pos_) return s1;
  }
  if (!trees_[init_].empty()) {
    const auto s2 = std::get<2>(*trees_[init_].begin());
    if (servers_[s2].eweight > 0) {
      servers_[s2].npos = servers_[s2].rweight = 0;
      return static_cast<int>(s2);
    }
  }
  return s1;
}

void HaproxyRoundRobin::init(std::span<const BackendState> backends) {
  servers_.assign(backends.size(), Server{});
  for (auto& tree : trees_) tree.clear();
  init_ = kT0;
  next_ = kT1;
  seq_ = 0;
  next_weight_ = 0;
  for (std::size_t s = 0; s < backends.size(); ++s) {
    servers_[s].eweight = haproxy_eweight(backends[s].weight);
    servers_[s].usable = backends[s].eligible;
    if (servers_[s].usable) next_weight_ += servers_[s].eweight;
  }
  curr_pos_ = curr_weight_ = next_weight_;
  for (std::size_t s = 0; s < backends.size(); ++s) {
    if (servers_[s].usable) queue_by_weight(s, init_);
  }
}

void HaproxyRoundRobin::server_down(std::size_t s) {
  dequeue(s);
  servers_[s].tree = kNone;
  servers_[s].usable = false;
  next_weight_ -= servers_[s].eweight;
}

void HaproxyRoundRobin::server_up(std::size_t s, std::int64_t eweight) {
  Server& srv = servers_[s];
  srv.eweight = eweight;
  srv.usable = true;
  next_weight_ += eweight;
  get_srv(s);
  srv.npos = curr_pos_ + (next_weight_ + curr_weight_ - curr_pos_) / eweight;
  queue_srv(s);
}

void HaproxyRoundRobin::weight_update(std::size_t s, std::int64_t eweight) {
  Server& srv = servers_[s];
  next_weight_ = next_weight_ - srv.eweight + eweight;
  srv.eweight = eweight;
  if (srv.tree == init_) {
    dequeue(s);
    queue_by_weight(s, init_);
    return;
  }
  get_srv(s);
  const std::int64_t prev_next = srv.npos;
  const std::int64_t step = next_weight_ / eweight;
  srv.npos = std::min(srv.lpos + step, prev_next);
  srv.rweight = 0;
  if (srv.npos < curr_pos_ + 2) srv.npos = curr_pos_ + step;
  dequeue(s);
  queue_srv(s);
}

void HaproxyRoundRobin::apply_changes(std::span<const BackendState> backends) {
  if (backends.size() != servers_.size()) {
    init(backends);
    return;
  }
  for (std::size_t s = 0; s < backends.size(); ++s) {
    const bool usable = backends[s].eligible;
    const std::int64_t eweight = haproxy_eweight(backends[s].weight);
    Server& srv = servers_[s];
    if (!srv.usable && !usable) {
      srv.eweight = eweight;
    } else if (srv.usable && !usable) {
      server_down(s);
      srv.eweight = eweight;
    } else if (!srv.usable && usable) {
      server_up(s, eweight);
    } else if (srv.eweight != eweight) {
      weight_update(s, eweight);
    }
  }
}

int HaproxyRoundRobin::pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) {
  (void)request;
  (void)rng;
  apply_changes(backends);
  if (next_weight_ <= 0) return kNoBackend;
  bool switched = false;
  std::vector<std::size_t> full;  // saturated servers passed over, requeued below
  int chosen = kNoBackend;
  for (;;) {
    if (curr_weight_ == 0) curr_pos_ = curr_weight_ = next_weight_;
    int s = server_from_group();
    if (s == kNoBackend) {
      if (switched) break;
      switched = true;
      switch_trees();
      s = server_from_group();
      if (s == kNoBackend) break;
    }
    const auto index = static_cast<std::size_t>(s);
    update_position(index);
    dequeue(index);
    ++curr_pos_;
    if (!saturated(backends[index])) {
      chosen = s;
      break;
    }
    full.push_back(index);
  }
  if (chosen != kNoBackend) queue_srv(static_cast<std::size_t>(chosen));
  for (const std::size_t s : full) {
    if (switched) {
      queue_by_weight(s, init_);
    } else {
      queue_srv(s);
    }
  }
  return chosen;
}

}  // namespace wsfleet::models
