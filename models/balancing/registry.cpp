// The built-in balancing policies, registered explicitly in one table (no self-registration, which a
// static library's linker may drop): the generic algorithms first, then the presets that reproduce
// real software. docs/balancing.md describes each.
#include <functional>
#include <vector>

#include "models/balancer/envoy_outlier.hpp"
#include "models/balancer/haproxy_backend.hpp"

#include "models/balancing/consistent_hash.hpp"
#include "models/balancing/custom_load.hpp"
#include "models/balancing/envoy_least_request.hpp"
#include "models/balancing/envoy_maglev.hpp"
#include "models/balancing/envoy_ring_hash.hpp"
#include "models/balancing/envoy_round_robin.hpp"
#include "models/balancing/haproxy_first.hpp"
#include "models/balancing/haproxy_leastconn.hpp"
#include "models/balancing/haproxy_random.hpp"
#include "models/balancing/haproxy_roundrobin.hpp"
#include "models/balancing/haproxy_source.hpp"
#include "models/balancing/haproxy_source_consistent.hpp"
#include "models/balancing/haproxy_static_rr.hpp"
#include "models/balancing/ip_hash.hpp"
#include "models/balancing/ipvs_lc.hpp"
#include "models/balancing/ipvs_sed.hpp"
#include "models/balancing/ipvs_sh.hpp"
#include "models/balancing/least_bandwidth.hpp"
#include "models/balancing/least_connections.hpp"
#include "models/balancing/least_loaded.hpp"
#include "models/balancing/least_response_time.hpp"
#include "models/balancing/maglev.hpp"
#include "models/balancing/maglev_table.hpp"
#include "models/balancing/nginx_hash_consistent.hpp"
#include "models/balancing/nginx_ip_hash.hpp"
#include "models/balancing/nginx_least_conn.hpp"
#include "models/balancing/nginx_random_two_least_conn.hpp"
#include "models/balancing/nginx_round_robin.hpp"
#include "models/balancing/random_two_choices.hpp"
#include "models/balancing/round_robin.hpp"
#include "models/balancing/uniform_random.hpp"
#include "models/balancing/weighted_round_robin.hpp"
#include "models/balancing_policy.hpp"

namespace wsfleet::models {

namespace {

/// The parameters every NGINX preset shares: its worker processes without a shared zone
/// (models/balancer/nginx_workers.hpp; they act in a fleet run, not in a bare pick sequence).
std::vector<ParamSpec> nginx_specs(std::vector<ParamSpec> own) {
  own.push_back(ParamSpec{"workers", 1.0, 1.0, 64.0, true,
                          "worker_processes without a shared zone: each keeps its own connection counts (least_conn), "
                          "max_conns and round-robin state; 1 = one worker or a shared zone (count)"});
  own.push_back(ParamSpec{"reuseport", 0.0, 0.0, 1.0, true,
                          "listen ... reuseport: the kernel hashes each connection to a worker (a uniform draw); "
                          "0 = the workers take turns at the shared socket (flag)"});
  return own;
}

/// One registered policy: its description, whether it is a preset of real software, and how to
/// build it from resolved parameters.
struct BalancingEntry {
  PolicyInfo info;
  bool preset;
  std::function<std::unique_ptr<BalancingPolicy>(const Params&)> make;
};

std::size_t count(const Params& p, const char* name) { return static_cast<std::size_t>(p.at(name)); }

/// A table size parameter must be prime (Maglev's permutation needs it).
std::uint64_t prime_table_size(const std::string& policy, const Params& p) {
  const auto size = static_cast<std::uint64_t>(p.at("table_size"));
  if (!is_prime(size)) {
    throw ParamError("table_size", policy + ".table_size must be a prime number (got " + format_number(p.at("table_size")) +
                                       "; e.g. 65537, 5003, 251)");
  }
  return size;
}

/// IPVS lists destinations newest first (each is added at the list's head); backends join in index
/// order, so the list is n-1, ..., 0. 0 = index order (a list built oldest first).
ParamSpec newest_first_spec() {
  return {"newest_first", 1.0, 0.0, 1.0, true,
          "1 = the kernel's list order, newest destination first (ties and rr order), 0 = index order (flag)"};
}

ParamSpec table_size_spec() {
  return ParamSpec{"table_size", 65537.0, 3.0, 5000011.0, true, "Maglev lookup table slots (a prime number)"};
}

/// Every HAProxy preset also takes the backend's connection settings (maxconn queue, retries,
/// redispatch: models/balancer/haproxy_backend.hpp), and every Envoy preset the cluster's outlier
/// detection and panic threshold (models/balancer/envoy_outlier.hpp); the balancer tier applies them.
std::vector<BalancingEntry> with_balancer_settings(std::vector<BalancingEntry> entries) {
  for (BalancingEntry& entry : entries) {
    const std::string& name = entry.info.name;
    if (name.rfind("haproxy_", 0) == 0) {
      for (const ParamSpec& spec : HaproxyBackend::param_specs()) entry.info.params.push_back(spec);
    } else if (name.rfind("envoy_", 0) == 0) {
      for (const ParamSpec& spec : EnvoyOutlier::param_specs()) entry.info.params.push_back(spec);
    }
  }
  return entries;
}

const std::vector<BalancingEntry>& builtin_balancing_policies() {
  static const std::vector<BalancingEntry> entries = with_balancer_settings({
      // ---- generic algorithms -------------------------------------------------------------------
      {{"round_robin", "cycle through the backends in index order, skipping ineligible ones (weights ignored)", {}},
       false,
       [](const Params&) { return std::make_unique<RoundRobin>(); }},
      {{"weighted_round_robin",
        "smooth weighted round robin (NGINX's algorithm, real-valued weights): weights 5,1,1 give a a b a c a a",
        {}},
       false,
       [](const Params&) { return std::make_unique<WeightedRoundRobin>(); }},
      {{"least_connections",
        "fewest active connections per unit of weight; ties take turns (round robin among the tied)",
        {}},
       false,
       [](const Params&) { return std::make_unique<LeastConnections>(); }},
      {{"least_loaded", "lowest reported CPU utilisation per unit of weight; ties take turns", {}},
       false,
       [](const Params&) { return std::make_unique<LeastLoaded>(); }},
      {{"least_response_time",
        "lowest response_time_s * (active + 1)^connections_exponent / weight; ties take turns",
        {ParamSpec{"connections_exponent", 0.0, 0.0, 4.0, false,
                   "weight of active connections in the score (0 = response time only, 1 = expected wait)"}}},
       false,
       [](const Params& p) { return std::make_unique<LeastResponseTime>(p.at("connections_exponent")); }},
      {{"least_bandwidth", "lowest reported bandwidth_bps per unit of weight; ties take turns", {}},
       false,
       [](const Params&) { return std::make_unique<LeastBandwidth>(); }},
      {{"ip_hash",
        "modulo hash of the client key over the weights; an ineligible pick rehashes (up to `tries`), then the next eligible",
        {ParamSpec{"tries", 20.0, 1.0, 1000.0, true, "hash attempts before walking to the next eligible backend (count)"}}},
       false,
       [](const Params& p) { return std::make_unique<IpHash>(count(p, "tries")); }},
      {{"consistent_hash",
        "hash ring, points_per_weight points per unit of weight; ineligible points are walked past",
        {ParamSpec{"points_per_weight", 100.0, 1.0, 10000.0, false, "ring points per unit of weight (count)"}}},
       false,
       [](const Params& p) { return std::make_unique<ConsistentHash>(p.at("points_per_weight")); }},
      {{"maglev", "Maglev lookup table over the eligible backends, weighted; rebuilt when they change",
        {table_size_spec()}},
       false,
       [](const Params& p) { return std::make_unique<Maglev>(prime_table_size("maglev", p)); }},
      {{"random", "uniformly random eligible backend (weights ignored)", {}},
       false,
       [](const Params&) { return std::make_unique<UniformRandom>(); }},
      {{"random_two_choices",
        "sample `choices` distinct eligible backends, keep the fewest connections per unit of weight",
        {ParamSpec{"choices", 2.0, 2.0, 32.0, true, "distinct backends sampled and compared per pick (count)"}}},
       false,
       [](const Params& p) { return std::make_unique<RandomTwoChoices>(count(p, "choices")); }},
      {{"custom_load",
        "lowest weighted score c.v / weight over the load vector (cpu, memory, connections, response time, "
        "bandwidth, queued, metrics[0..3])",
        {ParamSpec{"cpu", 1.0, 0.0, 1e12, false, "coefficient of cpu_utilisation (per unit of utilisation)"},
         ParamSpec{"memory", 1.0, 0.0, 1e12, false, "coefficient of memory_utilisation (per unit of utilisation)"},
         ParamSpec{"connections", 0.0, 0.0, 1e12, false, "coefficient of active_connections (per connection)"},
         ParamSpec{"response_time", 0.0, 0.0, 1e12, false, "coefficient of response_time_s (per second)"},
         ParamSpec{"bandwidth", 0.0, 0.0, 1e12, false, "coefficient of bandwidth_bps (per byte/s)"},
         ParamSpec{"queued", 0.0, 0.0, 1e12, false, "coefficient of queued (per queued request)"},
         ParamSpec{"metric0", 0.0, 0.0, 1e12, false, "coefficient of metrics[0] (custom metric)"},
         ParamSpec{"metric1", 0.0, 0.0, 1e12, false, "coefficient of metrics[1] (custom metric)"},
         ParamSpec{"metric2", 0.0, 0.0, 1e12, false, "coefficient of metrics[2] (custom metric)"},
         ParamSpec{"metric3", 0.0, 0.0, 1e12, false, "coefficient of metrics[3] (custom metric)"}}},
       false,
       [](const Params& p) {
         static const char* const names[kCustomLoadSize] = {"cpu",     "memory",  "connections", "response_time", "bandwidth",
                                                            "queued",  "metric0", "metric1",     "metric2",       "metric3"};
         CustomLoad::Vector c;
         for (std::size_t i = 0; i < kCustomLoadSize; ++i) c[static_cast<Eigen::Index>(i)] = p.at(names[i]);
         if (c.maxCoeff() <= 0.0) throw ParamError("cpu", "custom_load needs at least one coefficient > 0 (cpu, memory, ...)");
         return std::make_unique<CustomLoad>(c);
       }},
      // ---- presets of real software -------------------------------------------------------------
      {{"nginx_round_robin",
        "NGINX default: smooth WRR with effective_weight; a failure lowers it by weight/max_fails",
        nginx_specs({ParamSpec{"max_fails", 1.0, 1.0, 1000.0, true, "NGINX max_fails: failures that take a peer's weight to 0 (count)"}})},
       true,
       [](const Params& p) { return std::make_unique<NginxRoundRobin>(p.at("max_fails")); }},
      {{"nginx_least_conn", "NGINX least_conn: fewest conns/weight, smooth WRR among the tied", nginx_specs({})},
       true,
       [](const Params&) { return std::make_unique<NginxLeastConn>(); }},
      {{"nginx_ip_hash", "NGINX ip_hash: 89/113/6271 hash of the first 3 octets, 20 tries, then round robin", nginx_specs({})},
       true,
       [](const Params&) { return std::make_unique<NginxIpHash>(); }},
      {{"nginx_hash_consistent",
        "NGINX hash $remote_addr consistent: ketama ring, 160 crc32 points per weight, next point on failure", nginx_specs({})},
       true,
       [](const Params&) { return std::make_unique<NginxHashConsistent>(); }},
      {{"nginx_random_two_least_conn",
        "NGINX random two least_conn: two distinct weighted draws, fewer conns/weight wins (tie: the second)", nginx_specs({})},
       true,
       [](const Params&) { return std::make_unique<NginxRandomTwoLeastConn>(); }},
      {{"haproxy_roundrobin",
        "HAProxy roundrobin: dynamic fast WRR (lb_fwrr.c); weights 1,2 give b b a", {}},
       true,
       [](const Params&) { return std::make_unique<HaproxyRoundRobin>(); }},
      {{"haproxy_static_rr", "HAProxy static-rr: the server map of lb_map.c; weights 1,2 give a b b", {}},
       true,
       [](const Params&) { return std::make_unique<HaproxyStaticRr>(); }},
      {{"haproxy_leastconn",
        "HAProxy leastconn: key (inflight+1)*4096/eweight, idle servers first, FIFO among equal keys", {}},
       true,
       [](const Params&) { return std::make_unique<HaproxyLeastconn>(); }},
      {{"haproxy_first", "HAProxy first: the first server below its maxconn (max_connections)", {}},
       true,
       [](const Params&) { return std::make_unique<HaproxyFirst>(); }},
      {{"haproxy_source",
        "HAProxy source (map-based): client IPv4 modulo the server map, remapped when a server goes down",
        {ParamSpec{"avalanche", 0.0, 0.0, 1.0, true, "1 = hash-type map-based avalanche (full_hash the address first)"}}},
       true,
       [](const Params& p) { return std::make_unique<HaproxySource>(p.at("avalanche") != 0.0); }},
      {{"haproxy_source_consistent",
        "HAProxy source + hash-type consistent: lb_chash tree, 16 nodes per weight, closest node",
        {ParamSpec{"avalanche", 0.0, 0.0, 1.0, true, "1 = hash-type consistent avalanche (full_hash the address first)"}}},
       true,
       [](const Params& p) { return std::make_unique<HaproxySourceConsistent>(p.at("avalanche") != 0.0); }},
      {{"haproxy_random",
        "HAProxy random(draws): draws on the consistent-hash tree, keep the lowest served/eweight",
        {ParamSpec{"draws", 2.0, 1.0, 100.0, true, "random draws compared per pick (HAProxy random(N))"}}},
       true,
       [](const Params& p) { return std::make_unique<HaproxyRandom>(count(p, "draws")); }},
      {{"envoy_round_robin",
        "Envoy round_robin: index++ % n for equal weights, EDF (deadline now + 1/weight, FIFO ties) otherwise",
        {ParamSpec{"random_start", 1.0, 0.0, 1.0, true, "1 = random starting point per balancer as Envoy workers; 0 = from the start"}}},
       true,
       [](const Params& p) { return std::make_unique<EnvoyRoundRobin>(p.at("random_start") != 0.0); }},
      {{"envoy_least_request",
        "Envoy least_request: choice_count draws with replacement; EDF on weight/(active+1)^bias if weighted",
        {ParamSpec{"choice_count", 2.0, 1.0, 100.0, true, "hosts drawn per pick when weights are equal (count)"},
         ParamSpec{"active_request_bias", 1.0, 0.0, 10.0, false, "exponent of (active + 1) in the weighted schedule"}}},
       true,
       [](const Params& p) {
         return std::make_unique<EnvoyLeastRequest>(count(p, "choice_count"), p.at("active_request_bias"));
       }},
      {{"envoy_random", "Envoy random: uniform over the healthy hosts, weights ignored", {}},
       true,
       [](const Params&) { return std::make_unique<UniformRandom>("envoy_random"); }},
      {{"envoy_ring_hash",
        "Envoy ring_hash: xxHash64 ketama ring of \"address_i\" entries over the healthy hosts",
        {ParamSpec{"minimum_ring_size", 1024.0, 1.0, 8388608.0, true, "minimum ring entries (count)"},
         ParamSpec{"maximum_ring_size", 8388608.0, 1.0, 8388608.0, true, "maximum ring entries (count)"}}},
       true,
       [](const Params& p) {
         if (p.at("minimum_ring_size") > p.at("maximum_ring_size")) {
           throw ParamError("minimum_ring_size", "envoy_ring_hash.minimum_ring_size must be <= maximum_ring_size");
         }
         return std::make_unique<EnvoyRingHash>(static_cast<std::uint64_t>(p.at("minimum_ring_size")),
                                                static_cast<std::uint64_t>(p.at("maximum_ring_size")));
       }},
      {{"envoy_maglev", "Envoy maglev: xxHash64 Maglev table (65537 slots) over the healthy hosts", {table_size_spec()}},
       true,
       [](const Params& p) { return std::make_unique<EnvoyMaglev>(prime_table_size("envoy_maglev", p)); }},
      {{"ipvs_rr", "Linux IPVS rr (kube-proxy default): next destination in list order (newest first)",
        {newest_first_spec()}},
       true,
       [](const Params& p) { return std::make_unique<RoundRobin>("ipvs_rr", p.at("newest_first") != 0.0); }},
      {{"ipvs_lc", "Linux IPVS lc: smallest active*256 + inactive, first in list order on a tie (weights ignored)",
        {newest_first_spec()}},
       true,
       [](const Params& p) { return std::make_unique<IpvsLc>(p.at("newest_first") != 0.0); }},
      {{"ipvs_sh", "Linux IPVS sh: 256-bucket source-hash table filled weight buckets at a time", {}},
       true,
       [](const Params&) { return std::make_unique<IpvsSh>(); }},
      {{"ipvs_sed", "Linux IPVS sed: smallest (active + 1) / weight, first in list order on a tie", {newest_first_spec()}},
       true,
       [](const Params& p) { return std::make_unique<IpvsSed>(p.at("newest_first") != 0.0); }},
      {{"aws_alb", "AWS ALB target group default: round robin over healthy targets (idle timeout: the balancer's)", {}},
       true,
       [](const Params&) { return std::make_unique<RoundRobin>("aws_alb"); }},
  });
  return entries;
}

std::vector<PolicyInfo> infos(bool presets_only) {
  std::vector<PolicyInfo> out;
  for (const BalancingEntry& entry : builtin_balancing_policies()) {
    if (!presets_only || entry.preset) out.push_back(entry.info);
  }
  return out;
}

}  // namespace

const std::vector<PolicyInfo>& balancing_policies() {
  static const std::vector<PolicyInfo> all = infos(false);
  return all;
}

const std::vector<PolicyInfo>& balancing_presets() {
  static const std::vector<PolicyInfo> presets = infos(true);
  return presets;
}

bool is_balancing_preset(const std::string& name) { return find_policy(balancing_presets(), name) != nullptr; }

std::unique_ptr<BalancingPolicy> make_balancing_policy(const std::string& name, const Params& params) {
  for (const BalancingEntry& entry : builtin_balancing_policies()) {
    if (entry.info.name == name) return entry.make(resolve_params(name, entry.info.params, params));
  }
  throw unknown_policy_error("balancing", name, balancing_policies());
}

}  // namespace wsfleet::models
