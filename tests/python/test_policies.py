"""The real C++ balancing and backoff policies, called from Python on fleet states and retry numbers
chosen by the tests: BalancingPolicy.pick, LoadBalancer, BackoffPolicy.sample_ms / sequence_ms."""
from __future__ import annotations

from collections import Counter
from typing import List, Optional

import numpy as np
import pytest

import wsfleet

BALANCERS = [p["name"] for p in wsfleet.balancing_policies()]
BACKOFFS = [p["name"] for p in wsfleet.backoff_policies()]


def random_states(n_states: int, seed: int = 0, weighted: bool = False):
    """Random fleet states: connections, weights, eligibility (at least one backend)."""
    rng = np.random.default_rng(seed)
    for _ in range(n_states):
        n = int(rng.integers(1, 12))
        conns = rng.integers(0, 6, size=n).tolist()  # small numbers: many ties
        weights = rng.choice([0.5, 1.0, 2.0, 3.0], size=n).tolist() if weighted else None
        eligible = (rng.random(n) < 0.7).tolist()
        yield conns, weights, eligible


def load(conns: List[int], weights: Optional[List[float]], i: int) -> float:
    return conns[i] / (weights[i] if weights else 1.0)


# ------------------------------------------------------------------------------------------------
# Listings


def test_policy_listings_are_complete_and_constructible() -> None:
    assert {"round_robin", "least_connections", "random", "random_two_choices"} <= set(BALANCERS)
    assert {"none", "immediate", "constant", "exponential", "full_jitter", "equal_jitter",
            "decorrelated_jitter"} <= set(BACKOFFS)
    for listing, make in ((wsfleet.balancing_policies(), wsfleet.BalancingPolicy),
                          (wsfleet.backoff_policies(), wsfleet.BackoffPolicy)):
        assert len({p["name"] for p in listing}) == len(listing)
        for policy in listing:
            assert set(policy) == {"name", "summary", "params"}
            assert policy["summary"]
            for param in policy["params"]:
                assert set(param) == {"name", "default", "min", "max", "integer", "help"}
                assert param["min"] <= param["default"] <= param["max"]
                assert param["help"]
            built = make(policy["name"])
            assert built.name == policy["name"]
            # Every parameter can be given explicitly at its default.
            make(policy["name"], {p["name"]: p["default"] for p in policy["params"]})


@pytest.mark.parametrize("make, name, close", [(wsfleet.BalancingPolicy, "least_conection", "least_connections"),
                                               (wsfleet.BackoffPolicy, "fulljitter", "full_jitter")])
def test_unknown_policy_names(make, name: str, close: str) -> None:
    with pytest.raises(ValueError, match=f"did you mean '{close}'"):
        make(name)
    with pytest.raises(ValueError, match="Known: "):
        make("zzz")


def test_bad_policy_parameters() -> None:
    with pytest.raises(ValueError, match=r"random_two_choices.choices must be between 2 and 32 \(got 1\)"):
        wsfleet.BalancingPolicy("random_two_choices", {"choices": 1})
    with pytest.raises(ValueError, match="must be a whole number"):
        wsfleet.BalancingPolicy("random_two_choices", {"choices": 2.5})
    with pytest.raises(ValueError, match="unknown parameter 'choices' for round_robin"):
        wsfleet.BalancingPolicy("round_robin", {"choices": 2})
    with pytest.raises(ValueError, match="did you mean 'base_s'"):
        wsfleet.BackoffPolicy("full_jitter", {"bsae_s": 1})
    with pytest.raises(ValueError, match="cap_s must be >= base_s"):
        wsfleet.BackoffPolicy("exponential", {"base_s": 5, "cap_s": 1})
    with pytest.raises(ValueError, match="finite"):
        wsfleet.BackoffPolicy("constant", {"delay_s": float("inf")})


# ------------------------------------------------------------------------------------------------
# BalancingPolicy.pick on a given fleet state


@pytest.mark.parametrize("weighted", [False, True])
def test_least_connections_never_picks_a_busier_backend(weighted: bool) -> None:
    policy = wsfleet.BalancingPolicy("least_connections")
    for conns, weights, eligible in random_states(400, seed=1, weighted=weighted):
        b = policy.pick(conns, weights=weights, eligible=eligible)
        candidates = [i for i, ok in enumerate(eligible) if ok]
        if not candidates:
            assert b == -1
            continue
        assert b in candidates
        assert load(conns, weights, b) == min(load(conns, weights, i) for i in candidates)


def test_least_connections_examples() -> None:
    policy = wsfleet.BalancingPolicy("least_connections")
    assert policy.pick([3, 1, 2]) == 1
    assert policy.pick([3, 1, 2], eligible=[True, False, True]) == 2
    assert policy.pick([3, 1, 2], eligible=[False, False, False]) == -1
    assert policy.pick([]) == -1
    # Per unit of weight: 2 connections on a weight-4 backend are fewer than 1 on weight 1.
    assert policy.pick([1, 2], weights=[1, 4]) == 1
    # Ties take turns.
    fresh = wsfleet.BalancingPolicy("least_connections")
    assert [fresh.pick([0, 0, 0]) for _ in range(6)] == [0, 1, 2, 0, 1, 2]


@pytest.mark.parametrize("name", BALANCERS)
def test_no_policy_picks_an_ineligible_backend(name: str) -> None:
    policy = wsfleet.BalancingPolicy(name, seed=5)
    for conns, weights, eligible in random_states(300, seed=2, weighted=True):
        b = policy.pick(conns, weights=weights, eligible=eligible, key=len(conns))
        if any(eligible):
            assert 0 <= b < len(conns) and eligible[b], (conns, eligible, b)
        else:
            assert b == -1


def test_round_robin_cycles_over_eligible_backends() -> None:
    policy = wsfleet.BalancingPolicy("round_robin")
    assert [policy.pick([0, 0, 0, 0]) for _ in range(5)] == [0, 1, 2, 3, 0]
    policy = wsfleet.BalancingPolicy("round_robin")
    picks = [policy.pick([9, 0, 9, 0], eligible=[True, False, True, False]) for _ in range(4)]
    assert picks == [0, 2, 0, 2]  # connections and weights are ignored


def test_random_is_uniform_over_eligible_backends() -> None:
    policy = wsfleet.BalancingPolicy("random", seed=3)
    eligible = [True, False, True, True, False]
    counts = Counter(policy.pick([0] * 5, eligible=eligible) for _ in range(6000))
    assert set(counts) == {0, 2, 3}
    for b in (0, 2, 3):
        assert 1700 < counts[b] < 2300, counts


def test_random_two_choices_never_picks_the_unique_busiest() -> None:
    policy = wsfleet.BalancingPolicy("random_two_choices", seed=4)
    for conns, _, eligible in random_states(400, seed=3):
        b = policy.pick(conns, eligible=eligible)
        candidates = [i for i, ok in enumerate(eligible) if ok]
        if len(candidates) >= 2:
            busiest = max(conns[i] for i in candidates)
            if sum(conns[i] == busiest for i in candidates) == 1:
                assert conns[b] < busiest
    # Comparing every backend is least-connections.
    every = wsfleet.BalancingPolicy("random_two_choices", {"choices": 5}, seed=4)
    for _ in range(50):
        assert every.pick([4, 2, 7, 1, 3]) == 3


def test_random_policies_are_seeded() -> None:
    def picks(name: str, seed: int) -> List[int]:
        policy = wsfleet.BalancingPolicy(name, seed=seed)
        return [policy.pick([0, 1, 2, 3, 4, 5, 6, 7]) for _ in range(40)]
    for name in ("random", "random_two_choices"):
        assert picks(name, 1) == picks(name, 1)
        assert picks(name, 1) != picks(name, 2)


def test_pick_rejects_inconsistent_states() -> None:
    policy = wsfleet.BalancingPolicy("least_connections")
    with pytest.raises(ValueError, match="one entry per backend"):
        policy.pick([1, 2], weights=[1.0])
    with pytest.raises(ValueError, match="one entry per backend"):
        policy.pick([1, 2], eligible=[True])
    with pytest.raises(ValueError, match=">= 0"):
        policy.pick([1, -2])
    with pytest.raises(ValueError, match="> 0"):
        policy.pick([1, 2], weights=[1.0, 0.0])


# ------------------------------------------------------------------------------------------------
# LoadBalancer: a policy plus its view of open connections


def test_load_balancer_tracks_connections() -> None:
    lb = wsfleet.LoadBalancer("least_connections", [1, 1, 1])
    assert lb.policy == "least_connections"
    assert lb.picks(9) == [0, 1, 2] * 3
    assert lb.active_connections == [3, 3, 3]
    lb.connection_closed(1)
    lb.connection_closed(1)
    assert lb.pick() == 1
    lb.set_eligible(1, False)
    lb.connection_opened(1)  # an open handshake may still complete on a server being drained
    assert 1 not in lb.picks(6)
    assert lb.active_connections == [6, 2, 6]
    lb.set_eligible(1, True)
    assert lb.picks(3) == [1, 1, 1]


def test_load_balancer_misuse() -> None:
    lb = wsfleet.LoadBalancer("round_robin", [1, 1])
    with pytest.raises(RuntimeError, match="not open"):
        lb.connection_closed(0)
    with pytest.raises(IndexError, match="bad backend index"):
        lb.connection_opened(2)
    with pytest.raises(ValueError, match="at least one backend"):
        wsfleet.LoadBalancer("round_robin", [])
    with pytest.raises(ValueError, match="weights must be > 0"):
        wsfleet.LoadBalancer("round_robin", [1, -1])
    lb.set_eligible(0, False)
    lb.set_eligible(1, False)
    assert lb.picks(2) == [-1, -1]


# ------------------------------------------------------------------------------------------------
# BackoffPolicy


@pytest.mark.parametrize("base_s, cap_s", [(1.0, 30.0), (0.1, 2.0)])
@pytest.mark.parametrize("attempt", [0, 1, 3, 8, 1000])
def test_backoff_bounds(base_s: float, cap_s: float, attempt: int) -> None:
    params = {"base_s": base_s, "cap_s": cap_s}
    ceiling_ms = min(cap_s, base_s * 2.0 ** min(attempt, 64)) * 1000
    full = wsfleet.BackoffPolicy("full_jitter", params).sample_ms(attempt, 4000, seed=1)
    assert full.dtype == np.float64 and full.shape == (4000,)
    assert (full >= 0).all() and (full < ceiling_ms).all()
    assert abs(full.mean() - ceiling_ms / 2) < 0.05 * ceiling_ms
    equal = wsfleet.BackoffPolicy("equal_jitter", params).sample_ms(attempt, 4000, seed=1)
    assert (equal >= ceiling_ms / 2).all() and (equal < ceiling_ms).all()
    decorrelated = wsfleet.BackoffPolicy("decorrelated_jitter", params).sample_ms(attempt, 2000, seed=1)
    assert (decorrelated >= base_s * 1000).all() and (decorrelated <= cap_s * 1000).all()
    exact = wsfleet.BackoffPolicy("exponential", params).sample_ms(attempt, 3, seed=1)
    assert exact.tolist() == [ceiling_ms] * 3


def test_backoff_fixed_delays() -> None:
    assert wsfleet.BackoffPolicy("constant", {"delay_s": 2.5}).sample_ms(7, 3).tolist() == [2500.0] * 3
    assert wsfleet.BackoffPolicy("immediate").sample_ms(4, 2).tolist() == [0.0, 0.0]
    assert wsfleet.BackoffPolicy("exponential").sequence_ms(7) == [1000, 2000, 4000, 8000, 16000, 30000, 30000]


def test_decorrelated_jitter_sequence() -> None:
    policy = wsfleet.BackoffPolicy("decorrelated_jitter", {"base_s": 0.5, "cap_s": 20})
    for seed in range(20):
        seq = policy.sequence_ms(12, seed=seed)
        previous = 500.0
        for delay in seq:
            assert 500.0 <= delay <= min(20000.0, 3 * previous)
            previous = delay


def test_backoff_samples_are_seeded() -> None:
    policy = wsfleet.BackoffPolicy("full_jitter")
    np.testing.assert_array_equal(policy.sample_ms(2, 100, seed=9), policy.sample_ms(2, 100, seed=9))
    assert not np.array_equal(policy.sample_ms(2, 100, seed=9), policy.sample_ms(2, 100, seed=10))
    assert policy.sample_ms(2, 0).shape == (0,)


def test_max_retries() -> None:
    assert wsfleet.BackoffPolicy("full_jitter").max_retries == 0  # unlimited
    assert wsfleet.BackoffPolicy("full_jitter", {"max_retries": 5}).max_retries == 5
    assert wsfleet.BackoffPolicy("immediate", {"max_retries": 3}).max_retries == 3
    with pytest.raises(ValueError, match="whole number"):
        wsfleet.BackoffPolicy("immediate", {"max_retries": 2.5})
    with pytest.raises(TypeError):
        wsfleet.BackoffPolicy("full_jitter").sample_ms(-1, 3)


# ------------------------------------------------------------------------------------------------
# Client-library presets (their exact rules are pinned in tests/cpp/test_backoff_presets.cpp; here:
# the same behaviour through Python, TOML and overrides)

PRESETS = [p["name"] for p in wsfleet.backoff_client_presets()]


def test_client_presets_are_listed_with_their_library() -> None:
    assert PRESETS == ["socketio", "signalr", "ably", "phoenix", "reconnecting_websocket", "centrifuge", "pusher",
                       "grpc", "aws_standard"]
    for preset in wsfleet.backoff_client_presets():
        assert set(preset) == {"name", "library", "source", "connect_timeout_s", "honours_retry_after"}
        assert preset["library"] and preset["source"]
        assert preset["name"] in BACKOFFS
    # The libraries' own per-attempt connect timeouts (issue 14, deviation 1), None where there is none.
    timeouts = {p["name"]: p["connect_timeout_s"] for p in wsfleet.backoff_client_presets()}
    assert timeouts == {"socketio": 20.0, "signalr": None, "ably": 10.0, "phoenix": None,
                        "reconnecting_websocket": 4.0, "centrifuge": 5.0, "pusher": 15.0, "grpc": 20.0,
                        "aws_standard": None}
    # Only the AWS SDK waits for a shedding server's Retry-After (docs/client_presets.md).
    assert [p["name"] for p in wsfleet.backoff_client_presets() if p["honours_retry_after"]] == ["aws_standard"]


def test_signalr_fixed_list_then_gives_up() -> None:
    policy = wsfleet.BackoffPolicy("signalr")
    assert policy.max_retries == 4
    assert policy.sequence_ms(10) == [0, 2000, 10000, 30000]
    assert policy.sample_ms(3, 2).tolist() == [30000.0, 30000.0]
    with pytest.raises(ValueError, match="signalr gives up before retry 4"):
        policy.sample_ms(4, 1)
    # A failed start() is not retried, unless the application retries it by hand.
    assert policy.sequence_ms(10, after="failure") == []
    retrying = wsfleet.BackoffPolicy("signalr", {"retry_failed_start": 1})
    assert retrying.sequence_ms(10, after="failure") == [0, 2000, 10000, 30000]
    with pytest.raises(ValueError, match="after must be 'loss' or 'failure'"):
        policy.sample_ms(0, 1, after="crash")


def test_phoenix_table_then_5000() -> None:
    assert wsfleet.BackoffPolicy("phoenix").sequence_ms(11) == [10, 50, 100, 150, 200, 250, 500, 1000, 2000, 5000,
                                                                5000]


def test_socketio_sign_and_size_share_one_random_number() -> None:
    delays = wsfleet.BackoffPolicy("socketio").sample_ms(0, 20000, seed=2)
    assert (delays == np.floor(delays)).all()  # whole milliseconds
    assert ((delays > 500) & (delays < 1500)).all()
    below = delays[delays <= 1000]
    above = delays[delays > 1000]
    # The tens digit band of the deviation is the tenths digit of the random number: even below, odd above.
    assert (((1000 - below) // 50) % 2 == 0).all()
    assert (((above - 1000) // 50) % 2 == 1).all()
    assert abs(len(below) / len(delays) - 0.5) < 0.02


def test_reconnecting_websocket_min_is_drawn_once_per_client() -> None:
    policy = wsfleet.BackoffPolicy("reconnecting_websocket")
    firsts = []
    for seed in range(1, 200):
        seq = policy.sequence_ms(10, seed=seed)
        firsts.append(seq[0])
        assert 1000 <= seq[0] < 5000
        expected = np.minimum(seq[0] * 1.3 ** np.arange(10), 10000)
        np.testing.assert_allclose(seq, expected, rtol=0, atol=1e-6)
    assert len(set(firsts)) == len(firsts)


def test_grpc_ably_centrifuge_pusher_aws_rules() -> None:
    grpc = wsfleet.BackoffPolicy("grpc")
    assert grpc.sequence_ms(2) == [0, 1000]  # new run at once after a loss, then INITIAL_BACKOFF without jitter
    second = grpc.sample_ms(2, 3000)
    assert (second >= 1280).all() and (second <= 1920).all() and second.min() < 1300 and second.max() > 1900
    ably = wsfleet.BackoffPolicy("ably")
    assert ably.sample_ms(0, 5).tolist() == [0.0] * 5
    first_failure = ably.sample_ms(0, 2000, after="failure")  # n = 1
    assert (first_failure > 12000).all() and (first_failure <= 15000).all()
    after_loss = ably.sample_ms(1, 2000)  # n = 2: 15 s * 4/3 * (0.8, 1]
    assert (after_loss > 16000).all() and (after_loss <= 20000).all()
    centrifuge = wsfleet.BackoffPolicy("centrifuge").sample_ms(2, 3000)
    assert (centrifuge >= 500).all() and (centrifuge <= 2500).all()
    assert wsfleet.BackoffPolicy("pusher").sequence_ms(5) == [1000, 15000, 30000, 60000, 60000]
    aws = wsfleet.BackoffPolicy("aws_standard")
    assert aws.max_retries == 2
    assert len(aws.sequence_ms(10)) == 2
    first = aws.sample_ms(0, 3000)
    assert (first >= 0).all() and (first < 100).all() and (first == np.floor(first)).all()


def test_preset_parameters_are_validated_by_name() -> None:
    with pytest.raises(ValueError, match=r"socketio.randomization_factor must be between 0 and 1 \(got 2\)"):
        wsfleet.BackoffPolicy("socketio", {"randomization_factor": 2})
    with pytest.raises(ValueError, match="unknown parameter 'base_s' for signalr"):
        wsfleet.BackoffPolicy("signalr", {"base_s": 1})
    with pytest.raises(ValueError, match="grpc.max_backoff_s must be >= initial_backoff_s"):
        wsfleet.BackoffPolicy("grpc", {"initial_backoff_s": 10, "max_backoff_s": 5})


PRESET_RUN_TOML = """\
[run]
duration_s = 120.0
sample_interval_s = 1.0
seed = 3

[fleet]
servers = 2
max_connections = 1000

[clients]
count = 400
ramp_s = 5.0
messages_per_minute = 0.0

[balancer]
sticky = "cookie"  # SignalR's negotiate and socket.io's polling need sticky sessions (docs/client_presets.md)

[balancer.health_check]
mode = "instant"  # the balancer knows of the crash at once: the retries, not the detection, are under test

[backoff]
policy = "signalr"

[[faults]]
type = "crash"
server = 0
at_s = 30.0
"""


def test_presets_run_from_toml_dict_and_overrides() -> None:
    # SignalR from TOML: the crash drops server 0's clients, who reconnect to server 1 at once.
    signalr = wsfleet.run(PRESET_RUN_TOML)
    assert signalr.summary["fleet"]["backoff"] == "signalr"
    assert signalr.summary["connections"]["dropped"] == 200
    assert signalr.summary["connections"]["retries"] == 200
    assert signalr.summary["connections"]["active_at_end"] == 400
    assert signalr.summary["conservation"]["ok"] is True
    # Any preset by override, with its parameters; the effective scenario keeps them.
    for name in PRESETS:
        result = wsfleet.run(PRESET_RUN_TOML, overrides={"backoff.policy": name})
        assert result.summary["fleet"]["backoff"] == name
        assert result.summary["conservation"]["ok"] is True
    overridden = wsfleet.check(PRESET_RUN_TOML, overrides={"backoff.policy": "socketio",
                                                           "backoff.reconnection_delay_s": 0.5})
    assert 'policy = "socketio"' in overridden and "reconnection_delay_s = 0.5" in overridden
    with pytest.raises(wsfleet.ScenarioError, match=r"backoff.randomization_factor must be between 0 and 1") as err:
        wsfleet.run(PRESET_RUN_TOML, overrides={"backoff.policy": "socketio", "backoff.randomization_factor": 3})
    assert err.value.key == "backoff.randomization_factor"

# Algorithms and presets of real software


def test_presets_are_listed_apart_and_usable_everywhere() -> None:
    presets = wsfleet.balancing_presets()
    names = {p["name"] for p in presets}
    assert {"nginx_round_robin", "haproxy_roundrobin", "haproxy_static_rr", "envoy_round_robin", "ipvs_sh",
            "aws_alb"} <= names
    assert presets == [p for p in wsfleet.balancing_policies() if p["name"] in names]
    assert {"weighted_round_robin", "maglev", "custom_load"} <= set(BALANCERS) - names


def test_preset_orders_match_the_real_software() -> None:
    assert wsfleet.LoadBalancer("nginx_round_robin", [5, 1, 1]).picks(7) == [0, 0, 1, 0, 2, 0, 0]
    assert wsfleet.LoadBalancer("haproxy_roundrobin", [1, 2]).picks(3) == [1, 1, 0]
    assert wsfleet.LoadBalancer("haproxy_static_rr", [1, 2]).picks(3) == [0, 1, 1]
    assert wsfleet.LoadBalancer("envoy_round_robin", [5, 1, 1], {"random_start": 0}).picks(6) == [0, 0, 0, 0, 1, 2]


def test_pick_reads_the_new_backend_fields() -> None:
    custom = wsfleet.BalancingPolicy("custom_load", {"cpu": 0, "memory": 1, "metric0": 1})
    assert custom.pick([0, 0, 0], memory_utilisation=[0.5, 0.2, 0.9], metrics=[[0.0], [0.5], [0.0]]) == 0
    assert wsfleet.BalancingPolicy("ipvs_lc").pick([1, 0], inactive_connections=[0, 300]) == 0
    first = wsfleet.BalancingPolicy("haproxy_first")
    assert first.pick([2, 1, 0], max_connections=[2, 2, 2]) == 1
    assert first.pick([2, 2, 2], max_connections=[2, 2, 2]) == -1
    assert wsfleet.BalancingPolicy("haproxy_leastconn").pick([0, 0], queued=[3, 0]) == 1
    assert wsfleet.BalancingPolicy("least_bandwidth").pick([0, 0], bandwidth_bps=[5e6, 1e6]) == 1
    with pytest.raises(ValueError, match="queued must have one entry per backend"):
        first.pick([0, 0], queued=[1])
    with pytest.raises(ValueError, match="max_connections must be >= 0"):
        first.pick([0], max_connections=[-1])


def test_hash_presets_are_deterministic_and_skip_ineligible_backends() -> None:
    for name in ("nginx_ip_hash", "nginx_hash_consistent", "haproxy_source", "haproxy_source_consistent",
                 "envoy_ring_hash", "envoy_maglev", "ipvs_sh", "consistent_hash", "maglev", "ip_hash"):
        policy = wsfleet.BalancingPolicy(name)
        key = 0x0A010203
        chosen = policy.pick([0, 0, 0, 0], key=key)
        assert policy.pick([0, 0, 0, 0], key=key) == chosen, name
        eligible = [i != chosen for i in range(4)]
        other = policy.pick([0, 0, 0, 0], eligible=eligible, key=key)
        assert other != chosen and other >= 0, name


def test_nginx_failure_lowers_the_effective_weight() -> None:
    policy = wsfleet.BalancingPolicy("nginx_round_robin")
    assert policy.pick([0, 0], weights=[4, 1]) == 0
    policy.on_failure(0)  # effective weight 4 -> 0: b gets the next pick
    assert policy.pick([0, 0], weights=[4, 1]) == 1


@pytest.mark.parametrize("name, params, param", [("maglev", {"table_size": 65536}, "table_size"),
                                                 ("custom_load", {"cpu": 0, "memory": 0}, "coefficient"),
                                                 ("nginx_round_robin", {"max_fails": 0}, "max_fails")])
def test_bad_preset_parameters(name: str, params: dict, param: str) -> None:
    with pytest.raises(ValueError, match=param):
        wsfleet.BalancingPolicy(name, params)
