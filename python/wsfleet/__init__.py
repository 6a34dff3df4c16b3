"""wsfleet: a discrete-event simulator for scaling WebSocket server fleets.

Run a scenario and get tidy results::

    import wsfleet
    result = wsfleet.run("experiments/scenarios/default.toml", overrides={"clients.count": 5000}, seed=7)
    result.summary["connections"]["rejected"]
    result.servers  # pandas DataFrame, one row per sample time per server

Study a policy without a simulation::

    wsfleet.BalancingPolicy("least_connections").pick([3, 1, 2])
    wsfleet.BackoffPolicy("full_jitter", {"base_s": 1, "cap_s": 30}).sample_ms(attempt=3, samples=5)
    wsfleet.autoscale("kubernetes_hpa", "trace.csv", {"target_utilization_pct": 60}, replicas=4, ready_after_s=90)
"""

from wsfleet._core import ConservationError, ScenarioError
from wsfleet.autoscaling import AutoscalingPolicy, autoscale, autoscaling_policies
from wsfleet._routing import RequestRoutingResult, route_requests
from wsfleet._run import RunResult, check, run
from wsfleet.sweep import Range, Sweep, SweepError, SweepResult, aggregate, load_sweep, sweep
from wsfleet.plan import SLO, Plan, PlanError, PlanResult, plan
from wsfleet.export import export_openmetrics
from wsfleet.alerting import AlertsError, AlertsResult, alerts, bundled_rules
from wsfleet.policies import (
    BackoffPolicy,
    BalancingPolicy,
    LoadBalancer,
    backoff_client_presets,
    heartbeat_presets,
    buffer_presets,
    backoff_policies,
    balancing_policies,
    balancing_presets,
)

__version__ = "0.1.0"

__all__ = [
    "AlertsError",
    "AlertsResult",
    "AutoscalingPolicy",
    "BackoffPolicy",
    "BalancingPolicy",
    "ConservationError",
    "LoadBalancer",
    "Plan",
    "PlanError",
    "PlanResult",
    "RequestRoutingResult",
    "RunResult",
    "SLO",
    "Range",
    "ScenarioError",
    "backoff_client_presets",
    "buffer_presets",
    "heartbeat_presets",
    "Sweep",
    "SweepError",
    "SweepResult",
    "aggregate",
    "alerts",
    "bundled_rules",
    "export_openmetrics",
    "autoscale",
    "autoscaling_policies",
    "backoff_policies",
    "balancing_policies",
    "balancing_presets",
    "check",
    "load_sweep",
    "plan",
    "report",
    "route_requests",
    "run",
    "sweep",
]


def report(run_dir, out=None, *, plots=True):
    """Write the HTML capacity-planning report of a run, sweep or plan directory to `out` (default
    DIRECTORY/report.html) and return its path; plots=False leaves the figures out."""
    from wsfleet.report import write_report

    return write_report(run_dir, out, plots=plots)
