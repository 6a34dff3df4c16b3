// Autoscaling policies against sequences computed by hand from the real controllers' algorithms:
// the Kubernetes HPA (tolerance band, integer percent, readiness and missing metrics, several
// metrics, stabilization windows, rate policies and selectPolicy, min/max), KEDA, AWS target
// tracking, step scaling, the registry's parameter errors and the trace loop.
#include <cmath>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/autoscaling/keda.hpp"
#include "models/autoscaling/kubernetes_hpa.hpp"
#include "models/autoscaling/trace_loop.hpp"
#include "models/autoscaling_policy.hpp"
#include "sim/time.hpp"
#include "tests/cpp/catch.hpp"

using namespace wsfleet::models;
using wsfleet::sim::kNanosPerSecond;
using wsfleet::sim::SimTime;

namespace {

constexpr SimTime kS = kNanosPerSecond;

// A running, ready replica started long ago (past every initialization period), capacity 1.
ReplicaView steady(std::optional<double> value, double capacity = 1.0) {
  ReplicaView p;
  p.phase = ReplicaPhase::Running;
  p.ready = true;
  p.start_time = -3600 * kS;
  p.ready_transition = -3600 * kS;
  p.capacity = capacity;
  p.metrics = {value};
  return p;
}

ReplicaView pending(double capacity = 1.0) {
  ReplicaView p;
  p.phase = ReplicaPhase::Pending;
  p.ready = false;
  p.capacity = capacity;
  p.metrics = {std::nullopt};
  return p;
}

AutoscalingInput input_of(SimTime now, std::vector<ReplicaView> pods, bool cpu = true, std::int32_t replicas = -1) {
  AutoscalingInput in;
  in.now = now;
  in.replicas = replicas >= 0 ? replicas : static_cast<std::int32_t>(pods.size());
  in.pods = std::move(pods);
  in.metric_is_cpu = {cpu};
  in.metric_window = 15 * kS;
  return in;
}

// `n` steady replicas each using `value`.
AutoscalingInput uniform(SimTime now, int n, double value, std::int32_t replicas = -1) {
  return input_of(now, std::vector<ReplicaView>(static_cast<std::size_t>(n), steady(value)), true, replicas);
}

// The message read_demand_trace throws for `text`, or "" when it accepts it.
std::string trace_error(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  try {
    read_demand_trace(in, name);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

HpaConfig hpa_config(double target_pct) {
  HpaConfig c;
  c.metrics = {HpaMetricTarget{HpaMetricTarget::Kind::Utilization, target_pct}};
  return c;
}

// The same without a scale-down stabilization window: a fresh controller's first decision is then the
// replica calculation itself (with the default 300 s window it keeps the current count, below).
HpaConfig unstabilized(double target_pct) {
  HpaConfig c = hpa_config(target_pct);
  c.scale_down.stabilization_window = 0;
  return c;
}

}  // namespace

TEST_CASE("HPA: no change inside the tolerance band, ceil(ratio x ready) outside it", "[autoscaling]") {
  // Target 50 %, 4 pods: 54 % -> ratio 1.08 (inside 0.1): 4; 56 % -> 1.12: ceil(4.48) = 5.
  CHECK(KubernetesHpa(hpa_config(50)).decide(uniform(0, 4, 0.54)).desired == 4);
  CHECK(KubernetesHpa(hpa_config(50)).decide(uniform(0, 4, 0.56)).desired == 5);
  // 46 % -> 0.92: inside; 44 % -> 0.88: ceil(3.52) = 4, no change either.
  CHECK(KubernetesHpa(hpa_config(50)).decide(uniform(0, 4, 0.46)).desired == 4);
  CHECK(KubernetesHpa(hpa_config(50)).decide(uniform(0, 4, 0.44)).desired == 4);
  // 30 % -> 0.6: ceil(2.4) = 3, without a stabilization window.
  const AutoscalingDecision d = KubernetesHpa(unstabilized(50)).decide(uniform(0, 4, 0.30));
  CHECK(d.desired == 3);
  CHECK(d.outcome == ScaleOutcome::ScaleDown);
  CHECK(d.usage_ratio == Approx(0.6));
  CHECK(d.metric_value == Approx(0.30));
}

TEST_CASE("HPA: a new controller keeps its current count for the first scale-down window", "[autoscaling]") {
  // horizontal.go recordInitialRecommendation: the first sync records the current count (4) as a
  // recommendation, so the 300 s window holds max(4, 3) = 4 until that record leaves it.
  KubernetesHpa hpa(hpa_config(50));
  const AutoscalingDecision first = hpa.decide(uniform(0, 4, 0.30));
  CHECK(first.recommendation == 3);
  CHECK(first.desired == 4);
  CHECK(first.outcome == ScaleOutcome::NoChange);
  for (SimTime t = 15 * kS; t < 300 * kS; t += 15 * kS) CHECK(hpa.decide(uniform(t, 4, 0.30)).desired == 4);
  // At 300 s the window is (0 s, 300 s]: the record at 0 s has left it, only the proposals of 3 remain.
  CHECK(hpa.decide(uniform(300 * kS, 4, 0.30)).desired == 3);
  // A scale-up is not held: the record only bounds scale-downs.
  CHECK(KubernetesHpa(hpa_config(50)).decide(uniform(0, 4, 0.75)).desired == 6);
}

TEST_CASE("HPA: utilization is an integer percent of the summed requests", "[autoscaling]") {
  // 3 x 0.333 cores of 1 core: 999 * 100 / 3000 = 33 % (not 33.3): ratio 33 / 30 = 1.1, inside the band.
  CHECK(KubernetesHpa(hpa_config(30)).decide(uniform(0, 3, 0.333)).desired == 3);
  // 0.334: 1002 * 100 / 3000 = 33 % as well.
  CHECK(KubernetesHpa(hpa_config(30)).decide(uniform(0, 3, 0.334)).desired == 3);
  // 0.34: 34 % -> 1.1333: ceil(3.4) = 4.
  CHECK(KubernetesHpa(hpa_config(30)).decide(uniform(0, 3, 0.34)).desired == 4);
}

TEST_CASE("HPA: an AverageValue target averages integer milli-values", "[autoscaling]") {
  HpaConfig c;
  c.metrics = {HpaMetricTarget{HpaMetricTarget::Kind::AverageValue, 1000}};
  // Connections 1500, 1500, 1200: average 1400 -> ratio 1.4 -> ceil(4.2) = 5 (not a CPU metric).
  AutoscalingInput in = input_of(0, {steady(1500), steady(1500), steady(1200)}, false);
  const auto d = KubernetesHpa(c).decide(in);
  CHECK(d.desired == 5);
  CHECK(d.metric_value == Approx(1400));
}

TEST_CASE("HPA: pending pods count as 0 % on a scale-up", "[autoscaling]") {
  // 2 ready at 110 % (target 50: ratio 2.2) and 2 pending: 2200 / 4000 = 55 % -> 1.1, inside the band:
  // keep 4 (ceil(2.2 x 2) = 5 without the pending pods).
  AutoscalingInput in = input_of(0, {steady(1.1), steady(1.1), pending(), pending()});
  CHECK(KubernetesHpa(hpa_config(50)).decide(in).desired == 4);
  // The same pods at 150 %: 3000 / 4000 = 75 % -> 1.5 -> ceil(1.5 x 4) = 6.
  AutoscalingInput hot = input_of(0, {steady(1.5), steady(1.5), pending(), pending()});
  CHECK(KubernetesHpa(hpa_config(50)).decide(hot).desired == 6);
}

TEST_CASE("HPA: pending pods are left out of a scale-down", "[autoscaling]") {
  // 2 ready at 20 % (target 50: 0.4), 2 pending: not rebalanced, ceil(0.4 x 2) = 1.
  AutoscalingInput in = input_of(0, {steady(0.2), steady(0.2), pending(), pending()});
  CHECK(KubernetesHpa(unstabilized(50)).decide(in).desired == 1);
}

TEST_CASE("HPA: missing metrics count as 100 % on a scale-down and 0 % on a scale-up", "[autoscaling]") {
  // Down: 2 at 20 %, 1 missing (target 50, ratio 0.4): (0.2 + 0.2 + 1.0) / 3 = 46 % -> 0.92: keep 3.
  AutoscalingInput down = input_of(0, {steady(0.2), steady(0.2), steady(std::nullopt)});
  CHECK(KubernetesHpa(hpa_config(50)).decide(down).desired == 3);
  // Up: 3 at 145 % (target 100), 1 missing: 4350 / 4000 = 108 % -> inside the band: keep 4 (5 without it).
  AutoscalingInput up = input_of(0, {steady(1.45), steady(1.45), steady(1.45), steady(std::nullopt)});
  CHECK(KubernetesHpa(hpa_config(100)).decide(up).desired == 4);
  // Filling in reverses the direction: 1 at 115 %, 1 missing: 1150 / 2000 = 57 % -> keep 2.
  AutoscalingInput reverse = input_of(0, {steady(1.15), steady(std::nullopt)});
  CHECK(KubernetesHpa(hpa_config(100)).decide(reverse).desired == 2);
}

TEST_CASE("HPA: CPU of starting pods is ignored during the initialization period", "[autoscaling]") {
  // Started 60 s ago (inside the 300 s period), ready 5 s ago (less than the 15 s metric window):
  // ignored, then 0 % on the scale-up: (1.45 + 1.45 + 0) / 3 = 96 % -> keep 3.
  ReplicaView fresh = steady(1.45);
  fresh.start_time = 940 * kS;
  fresh.ready_transition = 995 * kS;
  const SimTime now = 1000 * kS;
  CHECK(KubernetesHpa(hpa_config(100)).decide(input_of(now, {steady(1.45), steady(1.45), fresh})).desired == 3);
  // Ready for 20 s (a full window): counted, 145 % -> ceil(4.35) = 5.
  fresh.ready_transition = 980 * kS;
  CHECK(KubernetesHpa(hpa_config(100)).decide(input_of(now, {steady(1.45), steady(1.45), fresh})).desired == 5);
  // A non-CPU metric ignores readiness: the 5 s-ready pod counts.
  fresh.ready_transition = 995 * kS;
  HpaConfig value = hpa_config(100);
  value.metrics = {HpaMetricTarget{HpaMetricTarget::Kind::AverageValue, 1.0}};
  CHECK(KubernetesHpa(value).decide(input_of(now, {steady(1.45), steady(1.45), fresh}, false)).desired == 5);
}

TEST_CASE("HPA: after the initialization period only never-ready pods are ignored", "[autoscaling]") {
  const SimTime now = 1000 * kS;
  // Started 400 s ago, unready since 10 s after its start (within the 30 s readiness delay): never ready.
  ReplicaView never = steady(1.45);
  never.start_time = 600 * kS;
  never.ready = false;
  never.ready_transition = 610 * kS;
  CHECK(KubernetesHpa(hpa_config(100)).decide(input_of(now, {steady(1.45), steady(1.45), never})).desired == 3);
  // Unready since 100 s after its start (it was ready before): its CPU counts: 145 % -> 5.
  never.ready_transition = 700 * kS;
  CHECK(KubernetesHpa(hpa_config(100)).decide(input_of(now, {steady(1.45), steady(1.45), never})).desired == 5);
}

TEST_CASE("HPA: terminating pods are ignored", "[autoscaling]") {
  ReplicaView leaving = steady(5.0);
  leaving.phase = ReplicaPhase::Terminating;
  // 2 at 60 % (target 50: 1.2) -> ceil(2.4) = 3; the terminating pod's 500 % is not seen.
  CHECK(KubernetesHpa(hpa_config(50)).decide(input_of(0, {steady(0.6), steady(0.6), leaving}, true, 2)).desired == 3);
}

TEST_CASE("HPA: several metrics take the largest proposal, an invalid one blocks a scale-down", "[autoscaling]") {
  HpaConfig c;
  c.metrics = {HpaMetricTarget{HpaMetricTarget::Kind::Utilization, 50},
               HpaMetricTarget{HpaMetricTarget::Kind::AverageValue, 1000}};
  auto pod = [](std::optional<double> cpu, std::optional<double> conns) {
    ReplicaView p = steady(cpu);
    p.metrics = {cpu, conns};
    return p;
  };
  AutoscalingInput in;
  in.now = 0;
  in.replicas = 4;
  in.metric_is_cpu = {true, false};
  in.pods = {pod(0.6, 1500), pod(0.6, 1500), pod(0.6, 1500), pod(0.6, 1500)};
  // CPU 60 % -> 1.2 -> 5; connections 1500 -> 1.5 -> 6: 6.
  CHECK(KubernetesHpa(c).decide(in).desired == 6);
  // CPU 10 % -> 0.2 -> 1; connections missing everywhere: invalid, and 1 < 4: keep 4.
  in.pods = {pod(0.1, std::nullopt), pod(0.1, std::nullopt), pod(0.1, std::nullopt), pod(0.1, std::nullopt)};
  const auto d = KubernetesHpa(c).decide(in);
  CHECK(d.desired == 4);
  CHECK_FALSE(d.had_metrics);
}

TEST_CASE("HPA: default scale-up limit is 4 pods or 100 % per 15 s, whichever is more", "[autoscaling]") {
  KubernetesHpa hpa(hpa_config(50));
  // 2 pods at 400 %: ratio 8 -> 16; limit max(2 + 4, 2 x 2) = 6.
  auto d = hpa.decide(uniform(0, 2, 4.0));
  CHECK(d.desired == 6);
  CHECK(d.recommendation == 16);
  CHECK(d.limited);
  // 15 s later the event of t = 0 is outside the period (After(now - 15 s) is strict): from 6,
  // max(10, 12) = 12 (the 6 pods again at 400 %).
  CHECK(hpa.decide(uniform(15 * kS, 6, 4.0)).desired == 12);
  // 7 s later the event of t = 15 s is inside: the period started at 6 -> still 12 (limited).
  d = hpa.decide(uniform(22 * kS, 12, 4.0, 12));
  CHECK(d.desired == 12);
  CHECK(d.limited);
}

TEST_CASE("HPA: a Percent policy with a long period holds until its events expire", "[autoscaling]") {
  HpaConfig c = hpa_config(50);
  c.scale_up.policies = {{HpaRatePolicy::Type::Percent, 100, 60 * kS}};
  KubernetesHpa hpa(c);
  CHECK(hpa.decide(uniform(0, 2, 4.0)).desired == 4);               // ceil(2 x 2)
  for (SimTime t = 15 * kS; t < 60 * kS; t += 15 * kS) {
    CHECK(hpa.decide(uniform(t, 4, 4.0)).desired == 4);              // period start 2: limit 4
  }
  CHECK(hpa.decide(uniform(60 * kS, 4, 4.0)).desired == 8);          // the t = 0 event expired
}

TEST_CASE("HPA: selectPolicy Min, Max and Disabled", "[autoscaling]") {
  // 10 pods at 500 % (target 50): proposal 100; Pods 4 -> 14, Percent 100 -> 20.
  HpaConfig c = hpa_config(50);
  c.scale_up.select = HpaSelectPolicy::Max;
  CHECK(KubernetesHpa(c).decide(uniform(0, 10, 5.0)).desired == 20);
  c.scale_up.select = HpaSelectPolicy::Min;
  CHECK(KubernetesHpa(c).decide(uniform(0, 10, 5.0)).desired == 14);
  c.scale_up.select = HpaSelectPolicy::Disabled;
  CHECK(KubernetesHpa(c).decide(uniform(0, 10, 5.0)).desired == 10);
  // Scale-down: 10 pods at 10 % -> 2; Pods 1 per 15 s with Percent 50: Max (most change) -> 5,
  // Min -> 9; Disabled -> 10.
  c = hpa_config(50);
  c.scale_down.stabilization_window = 0;
  c.scale_down.policies = {{HpaRatePolicy::Type::Pods, 1, 15 * kS}, {HpaRatePolicy::Type::Percent, 50, 15 * kS}};
  CHECK(KubernetesHpa(c).decide(uniform(0, 10, 0.1)).desired == 5);
  c.scale_down.select = HpaSelectPolicy::Min;
  CHECK(KubernetesHpa(c).decide(uniform(0, 10, 0.1)).desired == 9);
  c.scale_down.select = HpaSelectPolicy::Disabled;
  CHECK(KubernetesHpa(c).decide(uniform(0, 10, 0.1)).desired == 10);
}

TEST_CASE("HPA: a Pods scale-down policy removes one pod per period", "[autoscaling]") {
  HpaConfig c = hpa_config(50);
  c.scale_down.stabilization_window = 0;
  c.scale_down.policies = {{HpaRatePolicy::Type::Pods, 1, 15 * kS}};
  KubernetesHpa hpa(c);
  std::int32_t replicas = 10;
  std::vector<std::int32_t> seen;
  for (SimTime t = 0; t <= 45 * kS; t += 15 * kS) {
    replicas = hpa.decide(uniform(t, replicas, 0.05)).desired;
    seen.push_back(replicas);
  }
  CHECK(seen == std::vector<std::int32_t>{9, 8, 7, 6});
}

TEST_CASE("HPA: the 300 s scale-down stabilization window keeps the highest recommendation", "[autoscaling]") {
  KubernetesHpa hpa(hpa_config(50));
  // t = 0: 10 pods at 50 %: ratio 1, recommendation 10. Then 25 %: recommendation 5 at every sync.
  CHECK(hpa.decide(uniform(0, 10, 0.5)).desired == 10);
  for (SimTime t = 15 * kS; t < 300 * kS; t += 15 * kS) {
    const auto d = hpa.decide(uniform(t, 10, 0.25));
    CHECK(d.recommendation == 5);
    CHECK(d.desired == 10);  // the t = 0 recommendation (10) is in the window
  }
  // At 300 s the t = 0 recommendation leaves the window (After(now - 300 s) is strict): 5.
  CHECK(hpa.decide(uniform(300 * kS, 10, 0.25)).desired == 5);
}

TEST_CASE("HPA: a scale-up stabilization window keeps the lowest recommendation", "[autoscaling]") {
  HpaConfig c = hpa_config(50);
  c.scale_up.stabilization_window = 60 * kS;
  KubernetesHpa hpa(c);
  CHECK(hpa.decide(uniform(0, 4, 0.5)).desired == 4);  // recommendation 4
  for (SimTime t = 15 * kS; t < 60 * kS; t += 15 * kS) CHECK(hpa.decide(uniform(t, 4, 1.25)).desired == 4);
  // At 60 s only the 10s remain in the window: 10, limited to max(4 + 4, 8) = 8.
  CHECK(hpa.decide(uniform(60 * kS, 4, 1.25)).desired == 8);
}

TEST_CASE("HPA: min and max replicas", "[autoscaling]") {
  HpaConfig c = unstabilized(50);
  c.min_replicas = 2;
  c.max_replicas = 5;
  CHECK(KubernetesHpa(c).decide(uniform(0, 4, 5.0)).desired == 5);           // 40 -> max 5
  CHECK(KubernetesHpa(c).decide(uniform(0, 4, 0.01)).desired == 2);          // 1 -> min 2
  auto over = KubernetesHpa(c).decide(uniform(0, 7, 0.5));                  // above max: max, whatever the metric
  CHECK(over.desired == 5);
  CHECK(over.limited);
  CHECK(KubernetesHpa(c).decide(uniform(0, 1, 0.5)).desired == 2);           // below min: min
  CHECK(KubernetesHpa(c).decide(input_of(0, {}, true, 0)).desired == 0);     // scaled to 0 by hand: disabled
}

TEST_CASE("HPA: no ready pod with a metric means no decision", "[autoscaling]") {
  const auto d = KubernetesHpa(hpa_config(50)).decide(input_of(0, {pending(), pending()}));
  CHECK_FALSE(d.had_metrics);
  CHECK(d.desired == 2);
  CHECK(d.outcome == ScaleOutcome::NoChange);
}

TEST_CASE("HPA: the registry's parameters and their errors", "[autoscaling]") {
  auto hpa = make_autoscaling_policy("kubernetes_hpa", {{"target_utilization_pct", 50}});
  CHECK(hpa->sync_period() == 15 * kS);
  CHECK(hpa->decide(uniform(0, 4, 0.56)).desired == 5);
  CHECK_THROWS_AS(make_autoscaling_policy("kubernetes_hpa", {{"min_replicas", 5}, {"max_replicas", 3}}), ParamError);
  CHECK_THROWS_AS(make_autoscaling_policy("kubernetes_hpa", {{"up_pods", 0}, {"up_percent", 0}}), ParamError);
  CHECK_THROWS_AS(make_autoscaling_policy("kubernetes_hpa", {{"tolerence", 0.2}}), ParamError);
  CHECK_THROWS_AS(make_autoscaling_policy("kubernetes_hap", {}), ParamError);
  try {
    make_autoscaling_policy("kubernetes_hap", {});
  } catch (const ParamError& e) {
    CHECK(std::string(e.what()).find("did you mean 'kubernetes_hpa'") != std::string::npos);
  }
  // up_select = 2 disables scale-up without any policy.
  auto frozen = make_autoscaling_policy("kubernetes_hpa", {{"up_pods", 0}, {"up_percent", 0}, {"up_select", 2}});
  CHECK(frozen->decide(uniform(0, 4, 4.0)).desired == 4);
  CHECK(autoscaling_policies().size() == 4);
}

TEST_CASE("KEDA: activation from zero, the HPA's proposal, cooldown to zero", "[autoscaling]") {
  auto keda = make_autoscaling_policy("keda", {{"threshold", 100}});
  CHECK(keda->sync_period() == 15 * kS);
  // t = 0: first poll, no replica, no metric: not active, stays at 0.
  CHECK(keda->decide(input_of(0, {}, false, 0)).desired == 0);
  // t = 30 s: the scaler sees a total of 250 (fed here as one running pod's value while the scale is
  // at zero): active -> max(min_replica_count, 1) = 1.
  CHECK(keda->decide(input_of(30 * kS, {steady(250)}, false, 0)).desired == 1);
  // t = 45 s: the HPA: ratio 250 / (100 x 1) = 2.5 -> ceil(250 / 100) = 3.
  CHECK(keda->decide(input_of(45 * kS, {steady(250)}, false, 1)).desired == 3);
  // Idle from t = 60 s (total 0: not active; the last active poll was at 30 s). The HPA proposes 0
  // but its 300 s scale-down window holds the 3 of t = 45 s; the cooldown after the last active poll
  // (30 s + 300 s) sends it to zero at the 330 s poll.
  std::int32_t replicas = 3;
  SimTime zero_at = -1;
  for (SimTime t = 60 * kS; t <= 400 * kS && zero_at < 0; t += 15 * kS) {
    std::vector<ReplicaView> pods(static_cast<std::size_t>(replicas), steady(0.0));
    replicas = keda->decide(input_of(t, pods, false, replicas)).desired;
    if (replicas == 0) zero_at = t;
  }
  CHECK(zero_at == 330 * kS);
}

TEST_CASE("AWS target tracking: 3 datapoints out, 15 in, proportional, warm-up and cooldown", "[autoscaling]") {
  auto aws = make_autoscaling_policy("aws_target_tracking", {{"target_utilization_pct", 50}, {"warmup_s", 120}});
  CHECK(aws->sync_period() == 60 * kS);
  // 4 instances at 80 %: above 50 for the 1st and 2nd datapoints: nothing; the 3rd: ceil(4 x 80 / 50) = 7.
  CHECK(aws->decide(uniform(0, 4, 0.8)).desired == 4);
  CHECK(aws->decide(uniform(60 * kS, 4, 0.8)).desired == 4);
  CHECK(aws->decide(uniform(120 * kS, 4, 0.8)).desired == 7);
  // The 3 new instances warm up (started at 120 s + boot; here running since 150 s): the metric
  // counts the 4 old ones only (still 80 %), capacity 7 already covers ceil(4 x 80 / 50) = 7.
  std::vector<ReplicaView> pods(4, steady(0.8));
  for (int i = 0; i < 3; ++i) {
    ReplicaView w = steady(0.2);
    w.start_time = 150 * kS;
    pods.push_back(w);
  }
  CHECK(aws->decide(input_of(180 * kS, pods, true)).desired == 7);
  // Low load: 7 instances at 20 % (< 45 %) for 15 datapoints: scale in at the 15th to ceil(7 x 20 / 50) = 3.
  std::int32_t replicas = 7;
  std::vector<std::int32_t> seen;
  for (int k = 0; k < 15; ++k) {
    replicas = aws->decide(uniform((300 + 60 * k) * kS, replicas, 0.2)).desired;
    seen.push_back(replicas);
  }
  CHECK(seen.back() == 3);
  CHECK(seen[13] == 7);
  // The next datapoint is still low but the scale-in cooldown (300 s) blocks another scale-in.
  const auto d = aws->decide(uniform((300 + 60 * 15) * kS, 3, 0.05));
  CHECK(d.desired == 3);
  CHECK(d.limited);
  // Scale-in disabled.
  auto keep = make_autoscaling_policy("aws_target_tracking", {{"target_utilization_pct", 50}, {"disable_scale_in", 1}});
  std::int32_t r = 7;
  for (int k = 0; k < 20; ++k) r = keep->decide(uniform(60 * k * kS, r, 0.1)).desired;
  CHECK(r == 7);
}

TEST_CASE("Step scaling: the step by breach size, warming instances count against it", "[autoscaling]") {
  auto step = make_autoscaling_policy("step_scaling", {{"high_utilization_pct", 70}, {"step_width", 10}});
  CHECK(step->decide(uniform(0, 4, 0.75)).desired == 5);    // breach 5: +1
  CHECK(make_autoscaling_policy("step_scaling", {})->decide(uniform(0, 4, 0.85)).desired == 6);  // breach 15: +2
  CHECK(make_autoscaling_policy("step_scaling", {})->decide(uniform(0, 4, 0.95)).desired == 8);  // breach 25: +4
  // One instance still warming: +2 asked, 1 added.
  std::vector<ReplicaView> pods(4, steady(0.85));
  ReplicaView w = pending();
  pods.push_back(w);
  CHECK(make_autoscaling_policy("step_scaling", {})->decide(input_of(0, pods)).desired == 6);
  // Low alarm: -1, not below min.
  CHECK(make_autoscaling_policy("step_scaling", {})->decide(uniform(0, 4, 0.1)).desired == 3);
  CHECK(make_autoscaling_policy("step_scaling", {})->decide(uniform(0, 1, 0.1)).desired == 1);
  CHECK_THROWS_AS(make_autoscaling_policy("step_scaling", {{"low_utilization_pct", 80}}), ParamError);
}

TEST_CASE("Trace loop: replicas follow the decisions and become ready later", "[autoscaling]") {
  std::istringstream csv("time_s,demand\n0,2\n30,8\n120,8\n");
  const auto trace = read_demand_trace(csv, "t.csv");
  REQUIRE(trace.size() == 3);
  auto hpa = make_autoscaling_policy("kubernetes_hpa", {{"target_utilization_pct", 50}});
  TraceLoopOptions o;
  o.replicas = 4;
  o.ready_after_s = 40;
  const auto rows = run_trace_loop(*hpa, trace, o);
  REQUIRE(rows.size() == 9);  // 0, 15, ..., 120
  // 0 and 15 s: 2 cores on 4 ready = 50 %: no change.
  CHECK(rows[0].desired == 4);
  CHECK(rows[0].utilization == Approx(0.5));
  // 30 s: 8 cores on 4 = 200 %: ratio 4 -> 16, limited to max(8, 8) = 8; 4 pending until 70 s.
  CHECK(rows[2].desired == 8);
  CHECK(rows[2].replicas == 8);
  CHECK(rows[2].ready == 4);
  // 45 s: 4 ready at 200 % and 4 pending at 0: 8000 / 16000 ... = 8 / 8 = 100 % -> ratio 2 -> 16, limit
  // from the period start 8 (the 30 s event is 15 s old: outside): max(12, 16) = 16.
  CHECK(rows[3].desired == 16);
  // 75 s: 8 ready (70 s) ... the last 8 pending until 85 s.
  CHECK(rows[5].ready == 8);
  CHECK(trace_error("time_s,demand\n0,1\n0,2\n", "b.csv").find("b.csv:3: time_s must increase") != std::string::npos);
  CHECK(trace_error("t,d\n0,1\n", "h.csv").find("h.csv:1: the header must name") != std::string::npos);
  CHECK(trace_error("time_s,demand\n0,-1\n", "n.csv").find("n.csv:2: demand must be >= 0") != std::string::npos);
  CHECK(trace_error("time_s,demand\n0,x\n", "x.csv").find("x.csv:2: demand 'x' is not a finite number") != std::string::npos);
  CHECK(trace_error("time_s,demand\n", "e.csv").find("no rows") != std::string::npos);
}
