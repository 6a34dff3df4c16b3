"""wsfleet.route_requests: request-level routing from Python, against M/M/1 theory, deterministic,
and every bad argument refused with a ValueError naming it."""
from __future__ import annotations

import math
from typing import Any, Dict

import pytest

import wsfleet

BASE: Dict[str, Any] = dict(servers=4, arrival_rate=2.8, service_mean_s=1.0, duration_s=4000.0, warmup_s=200.0)


def test_random_routing_matches_mm1() -> None:
    # 4 servers, lambda = 2.8 => 0.7 per server, mu = 1: each an M/M/1 queue, mean response 1/(1 - 0.7).
    runs = [wsfleet.route_requests(**{**BASE, "duration_s": 100000.0, "warmup_s": 500.0}, policy="random", seed=3,
                                   replication=i) for i in range(6)]
    expected = 1.0 / (1.0 - 0.7)
    means = [r.mean_response_s for r in runs]
    mean = sum(means) / len(means)
    sd = math.sqrt(sum((m - mean) ** 2 for m in means) / (len(means) - 1))
    assert abs(mean - expected) < 3 * sd / math.sqrt(len(means)) + 0.01 * expected
    assert abs(mean - expected) / expected < 0.03
    for r in runs:
        assert r.conserved and r.arrived == r.completed + r.in_flight
        assert len(r.utilisation) == 4 and len(r.served) == 4
        assert all(abs(u - 0.7) < 0.05 for u in r.utilisation)
        assert r.share_at_least[0] == 1.0 and abs(r.share_at_least[1] - 0.7) < 0.04
        # Response times of M/M/1 are exponential with rate mu - lambda: median ln 2 / 0.3.
        assert r.p50_response_s == pytest.approx(math.log(2) / 0.3, rel=0.08)
        assert r.p50_response_s < r.mean_response_s < r.p99_response_s <= r.max_response_s


def test_policies_order_as_theory_says() -> None:
    common = dict(BASE, servers=10, arrival_rate=9.0, duration_s=3000.0, seed=5)
    random = wsfleet.route_requests(**common, policy="random").mean_response_s
    two = wsfleet.route_requests(**common, policy="random_two_choices", params={"choices": 2}).mean_response_s
    jsq = wsfleet.route_requests(**common, policy="least_connections").mean_response_s
    assert jsq < two < random / 2


def test_same_arguments_same_result_bit_for_bit() -> None:
    a = wsfleet.route_requests(**BASE, policy="random_two_choices", seed=9)
    b = wsfleet.route_requests(**BASE, policy="random_two_choices", seed=9)
    assert a == b
    assert wsfleet.route_requests(**BASE, policy="random_two_choices", seed=9, replication=1) != a


def test_constant_arrivals_and_service_are_exact() -> None:
    r = wsfleet.route_requests(servers=1, arrival_rate=1.0, service_mean_s=0.25, duration_s=100.0, warmup_s=10.0,
                               arrivals="constant", service="constant", policy="round_robin")
    assert r.arrived == 99 and r.measured == 90
    assert r.mean_response_s == pytest.approx(0.25, rel=1e-12)
    assert r.utilisation[0] == pytest.approx(0.25, rel=1e-12)


@pytest.mark.parametrize("override, message", [
    ({"servers": 0}, "servers must be an integer between 1 and 1000000"),
    ({"servers": 2.5}, "servers must be an integer"),
    ({"servers": True}, "servers must be an integer"),
    ({"cores": 0}, "cores must be an integer between 1 and 1024"),
    ({"arrival_rate": -1.0}, "arrival_rate must be a number > 0"),
    ({"arrival_rate": float("nan")}, "arrival_rate must be a number > 0"),
    ({"service_mean_s": 0}, "service_mean_s must be a number > 0"),
    ({"service_mean_s": "1"}, "service_mean_s must be a number > 0"),
    ({"duration_s": float("inf")}, "duration_s must be a number > 0"),
    ({"warmup_s": 4000.0}, "warmup_s must be a number >= 0 and < duration_s"),
    ({"seed": -1}, "seed must be an integer between 0"),
    ({"replication": 1.5}, "replication must be an integer"),
    ({"arrivals": "bursty"}, "arrivals must be one of poisson, constant"),
    ({"service": "pareto"}, "service must be one of exponential, constant"),
    ({"policy": "least_conns"}, "unknown balancing policy 'least_conns'"),
    ({"policy": 3}, "policy must be a balancing policy name"),
    ({"policy": "random_two_choices", "params": {"choices": 1}}, "choices"),
    ({"policy": "random_two_choices", "params": {"choice": 2}}, "choice"),
    ({"params": {"choices": float("nan")}}, "params['choices'] must be a finite number"),
    ({"params": [1, 2]}, "params must be a mapping"),
    ({"arrival_rate": 1e9, "duration_s": 1e6}, "duration_s: the run would see about"),
])
def test_bad_arguments_are_refused_by_name(override: Dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=None) as info:
        wsfleet.route_requests(**{**BASE, **override})
    assert message in str(info.value)
