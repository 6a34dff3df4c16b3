"""wsfleet: a discrete-event simulator for scaling WebSocket server fleets.

Run a scenario and get tidy results::

    import wsfleet
    result = wsfleet.run("experiments/scenarios/default.toml", overrides={"clients.count": 5000}, seed=7)
    result.summary["connections"]["rejected"]
    result.servers  # pandas DataFrame, one row per sample time per server

Study a policy without a simulation::

    wsfleet.BalancingPolicy("least_connections").pick([3, 1, 2])
    wsfleet.BackoffPolicy("full_jitter", {"base_s": 1, "cap_s": 30}).sample_ms(attempt=3, samples=5)
"""

from wsfleet._core import ConservationError, ScenarioError
from wsfleet._routing import RequestRoutingResult, route_requests
from wsfleet._run import RunResult, check, run
from wsfleet.policies import (
    BackoffPolicy,
    BalancingPolicy,
    LoadBalancer,
    backoff_client_presets,
    backoff_policies,
    balancing_policies,
)

__version__ = "0.1.0"

__all__ = [
    "BackoffPolicy",
    "BalancingPolicy",
    "ConservationError",
    "LoadBalancer",
    "RequestRoutingResult",
    "RunResult",
    "ScenarioError",
    "backoff_client_presets",
    "backoff_policies",
    "balancing_policies",
    "check",
    "report",
    "route_requests",
    "run",
]


def report(run_dir, out=None):
    """Write the HTML capacity-planning report of a run directory; returns its path."""
    from wsfleet.report import write_report

    return write_report(run_dir, out)
