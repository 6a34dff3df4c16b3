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

import sys
import types
from typing import TYPE_CHECKING

# The public names and the module each lives in. They are imported on first use (PEP 562), so that
# `import wsfleet` and `import wsfleet._core` (a sweep worker's start) do not load pandas and SciPy
# before a result needs them.
_PUBLIC = {
    "ConservationError": "wsfleet._core",
    "ScenarioError": "wsfleet._core",
    "RequestRoutingResult": "wsfleet._routing",
    "route_requests": "wsfleet._routing",
    "RunResult": "wsfleet._run",
    "ReplicatedRunResult": "wsfleet._run",
    "check": "wsfleet._run",
    "run": "wsfleet._run",
    "load": "wsfleet._run",
    "mser5": "wsfleet._warmup",
    "Warmup": "wsfleet._warmup",
    "Range": "wsfleet.sweep",
    "Sweep": "wsfleet.sweep",
    "SweepError": "wsfleet.sweep",
    "SweepResult": "wsfleet.sweep",
    "aggregate": "wsfleet.sweep",
    "load_sweep": "wsfleet.sweep",
    "sweep": "wsfleet.sweep",
    "SLO": "wsfleet.plan",
    "Plan": "wsfleet.plan",
    "PlanError": "wsfleet.plan",
    "PlanResult": "wsfleet.plan",
    "plan": "wsfleet.plan",
    "StormMap": "wsfleet.storm",
    "storm_map": "wsfleet.storm",
    "export_openmetrics": "wsfleet.export",
    "AlertsError": "wsfleet.alerting",
    "AlertsResult": "wsfleet.alerting",
    "alerts": "wsfleet.alerting",
    "bundled_rules": "wsfleet.alerting",
    "BackoffPolicy": "wsfleet.policies",
    "BalancingPolicy": "wsfleet.policies",
    "LoadBalancer": "wsfleet.policies",
    "backoff_client_presets": "wsfleet.policies",
    "backoff_honours_retry_after": "wsfleet.policies",
    "heartbeat_presets": "wsfleet.policies",
    "buffer_presets": "wsfleet.policies",
    "backoff_policies": "wsfleet.policies",
    "balancing_policies": "wsfleet.policies",
    "balancing_presets": "wsfleet.policies",
    "AutoscalingPolicy": "wsfleet.autoscaling",
    "autoscale": "wsfleet.autoscaling",
    "autoscaling_policies": "wsfleet.autoscaling",
}


def __getattr__(name):
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'wsfleet' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))


class _Package(types.ModuleType):
    """`wsfleet.sweep` and `wsfleet.plan` are functions, as they were when imported eagerly: importing
    the submodules of the same names must not replace them (the import system sets the package's
    attribute to the submodule; the submodules stay reachable through `from wsfleet.sweep import ...`)."""

    def __setattr__(self, name, value):
        if isinstance(value, types.ModuleType) and _PUBLIC.get(name) == f"wsfleet.{name}":
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from wsfleet._core import ConservationError, ScenarioError
    from wsfleet._routing import RequestRoutingResult, route_requests
    from wsfleet._run import ReplicatedRunResult, RunResult, check, load, run
    from wsfleet._warmup import Warmup, mser5
    from wsfleet.sweep import Range, Sweep, SweepError, SweepResult, aggregate, load_sweep, sweep
    from wsfleet.plan import SLO, Plan, PlanError, PlanResult, plan
    from wsfleet.storm import StormMap, storm_map
    from wsfleet.export import export_openmetrics
    from wsfleet.alerting import AlertsError, AlertsResult, alerts, bundled_rules
    from wsfleet.autoscaling import AutoscalingPolicy, autoscale, autoscaling_policies
    from wsfleet.policies import (
        BackoffPolicy,
        BalancingPolicy,
        LoadBalancer,
        backoff_client_presets,
        backoff_honours_retry_after,
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
    "ReplicatedRunResult",
    "RunResult",
    "SLO",
    "StormMap",
    "Range",
    "ScenarioError",
    "backoff_client_presets",
    "backoff_honours_retry_after",
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
    "load",
    "load_sweep",
    "mser5",
    "Warmup",
    "plan",
    "report",
    "route_requests",
    "run",
    "storm_map",
    "sweep",
]


def report(run_dir, out=None, *, plots=True):
    """Write the HTML capacity-planning report of a run, sweep or plan directory to `out` (default
    DIRECTORY/report.html) and return its path; plots=False leaves the figures out."""
    from wsfleet.report import write_report

    return write_report(run_dir, out, plots=plots)
