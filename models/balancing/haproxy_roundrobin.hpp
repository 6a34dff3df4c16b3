#pragma once
// HAProxy `balance roundrobin`: the fast weighted round robin of src/lb_fwrr.c (HAProxy 3.x,
// read from haproxy/haproxy), reimplemented with the same trees, positions and tie rules.
#include <cstdint>
#include <set>
#include <tuple>
#include <vector>

#include "models/balancing_policy.hpp"

namespace wsfleet::models {

/// `haproxy_roundrobin`: HAProxy's dynamic weighted round robin. Effective weights are
/// eweight = round(weight * 16) (BE_WEIGHT_SCALE; 1..4096), so slow-start fractions count.
/// Servers wait in an "init" tree ordered by decreasing weight (configuration order among
/// equals); a server taken from it is placed at position curr_pos + total/eweight (remainders
/// carried in rweight) in the "current" tree keyed by 256 * position + (4096 + rweight - eweight)/16;
/// a pick takes the first server whose position <= curr_pos, otherwise the next init server; when
/// both are exhausted the "next" tree becomes "init" and a new window starts. Weights 5,1,1 give
/// a a a b a a c; weights 1,2 give b b a and 3,2,1 give a b a c a b (static-rr: a b b and
/// a a b a b c). Saturated servers
/// (max_connections reached, or a queue) are passed over and requeued as HAProxy does.
/// Eligibility and weight changes are noticed at pick time and applied with HAProxy's
/// server-down / server-up / weight-update procedures.
class HaproxyRoundRobin final : public BalancingPolicy {
 public:
  std::string name() const override { return "haproxy_roundrobin"; }
  int pick(std::span<const BackendState> backends, const PickRequest& request, sim::Rng& rng) override;

 private:
  enum Tree : int { kNone = -1, kCurr = 0, kT0 = 1, kT1 = 2 };
  struct Server {
    std::int64_t eweight = 0;
    std::int64_t npos = 0, lpos = 0, rweight = 0;
    int tree = kNone;       ///< tree the server was last queued in (kept after a dequeue, as lb_tree is)
    bool queued = false;    ///< currently inside `tree`
    std::uint64_t key = 0, seq = 0;
    bool usable = false;
  };
  using Node = std::tuple<std::uint64_t, std::uint64_t, std::size_t>;  // key, insertion order, server

  void init(std::span<const BackendState> backends);
  void apply_changes(std::span<const BackendState> backends);
  void insert(std::size_t s, int tree, std::uint64_t key);
  void dequeue(std::size_t s);
  void queue_by_weight(std::size_t s, int tree);
  void queue_srv(std::size_t s);
  void get_srv(std::size_t s);
  void update_position(std::size_t s);
  void switch_trees();
  int server_from_group();
  void server_down(std::size_t s);
  void server_up(std::size_t s, std::int64_t eweight);
  void weight_update(std::size_t s, std::int64_t eweight);

  std::vector<Server> servers_;
  std::set<Node> trees_[3];
  int init_ = kT0, next_ = kT1;
  std::int64_t curr_pos_ = 0, curr_weight_ = 0, next_weight_ = 0;
  std::uint64_t seq_ = 0;
};

/// HAProxy's effective weight for a balancer weight: round(weight * 16), at least 1, at most 4096.
std::int64_t haproxy_eweight(double weight);

}  // namespace wsfleet::models
