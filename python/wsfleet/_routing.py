"""Request-level routing: every request routed on its own by a real balancing policy over servers
modelled as multi-core FCFS queues (the engine in models/requests), e.g. HTTP long polling."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional

from wsfleet import _core

__all__ = ["RequestRoutingResult", "route_requests"]

_ARRIVALS = ("poisson", "constant")
_SERVICES = ("exponential", "constant")


@dataclass(frozen=True)
class RequestRoutingResult:
    """One run. Response times (seconds), utilisation, served and share_at_least cover the window
    [warmup_s, duration_s]; arrived/completed/in_flight cover the whole run."""

    arrived: int
    completed: int
    in_flight: int
    conserved: bool  #: arrived == completed + in_flight
    measured: int  #: requests arriving after warm-up and completed by the end (the response-time sample)
    mean_response_s: float
    p50_response_s: float
    p99_response_s: float
    max_response_s: float
    utilisation: List[float]  #: per server, busy core-time / (cores x window)
    served: List[int]  #: per server, requests completed in the window
    share_at_least: List[float]  #: [i] = time-averaged share of servers with >= i outstanding requests
    mean_outstanding: float  #: time-averaged outstanding requests per server


def _integer(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer between {low} and {high} (got {value!r})")
    return int(value)


def _positive(name: str, value: Any, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value <= high:
        raise ValueError(f"{name} must be a number > 0 and <= {high:g} (got {value!r})")
    return float(value)


def route_requests(
    *,
    servers: int,
    arrival_rate: float,
    service_mean_s: float,
    policy: str = "random",
    params: Optional[Mapping[str, float]] = None,
    cores: int = 1,
    duration_s: float = 1000.0,
    warmup_s: float = 100.0,
    seed: int = 1,
    replication: int = 0,
    arrivals: str = "poisson",
    service: str = "exponential",
) -> RequestRoutingResult:
    """Route a stream of requests over `servers` servers of `cores` cores each with a balancing policy
    whose "connections" are the requests outstanding at each server (least_connections = join the
    shortest queue, random_two_choices with {"choices": d} = power of d choices).

    arrival_rate: requests per second, `arrivals` "poisson" (exponential gaps) or "constant" (evenly
    spaced). service_mean_s: CPU seconds per request, `service` "exponential" or "constant".
    Deterministic: the same arguments give the same result bit for bit. Raises ValueError naming the
    argument on bad input."""
    servers = _integer("servers", servers, 1, 1_000_000)
    cores = _integer("cores", cores, 1, 1024)
    arrival_rate = _positive("arrival_rate", arrival_rate, 1e9)
    if arrival_rate < 1.0 / 86400.0:
        raise ValueError(f"arrival_rate must be at least one request a day, 1/86400 per second (got {arrival_rate!r})")
    service_mean_s = _positive("service_mean_s", service_mean_s, 86400.0)
    duration_s = _positive("duration_s", duration_s, 1e9)
    if isinstance(warmup_s, bool) or not isinstance(warmup_s, numbers.Real) or not 0 <= warmup_s < duration_s:
        raise ValueError(f"warmup_s must be a number >= 0 and < duration_s = {duration_s:g} (got {warmup_s!r})")
    seed = _integer("seed", seed, 0, 2**64 - 1)
    replication = _integer("replication", replication, 0, 2**64 - 1)
    if not isinstance(policy, str):
        raise ValueError(f"policy must be a balancing policy name (got {policy!r})")
    if params is None:
        params = {}
    if not isinstance(params, Mapping) or not all(isinstance(k, str) for k in params):
        raise ValueError(f"params must be a mapping of parameter name to number (got {params!r})")
    for key, value in params.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise ValueError(f"params[{key!r}] must be a finite number (got {value!r})")
    if arrivals not in _ARRIVALS:
        raise ValueError(f"arrivals must be one of {', '.join(_ARRIVALS)} (got {arrivals!r})")
    if service not in _SERVICES:
        raise ValueError(f"service must be one of {', '.join(_SERVICES)} (got {service!r})")
    interarrival = "exponential" if arrivals == "poisson" else "constant"
    raw = _core.route_requests(
        servers=servers, cores=cores, interarrival=interarrival, interarrival_params=[1.0 / arrival_rate],
        service=service, service_params=[service_mean_s], policy=policy,
        params={k: float(v) for k, v in params.items()}, duration_s=float(duration_s), warmup_s=float(warmup_s),
        seed=seed, replication=replication)
    return RequestRoutingResult(**raw)
