"""The real C++ autoscaling policies (Kubernetes HPA, AWS target tracking, KEDA, step scaling),
callable without a fleet: one sync at a time, or a closed loop over a demand trace."""

from __future__ import annotations

import os
from typing import Dict, List, Mapping, Optional, Union

from wsfleet._core import AutoscalingPolicy
from wsfleet._core import autoscaling_policies as _autoscaling_policies
from wsfleet._notebook import policy_html

__all__ = ["AutoscalingPolicy", "autoscale", "autoscaling_policies"]


def autoscaling_policies() -> List[Dict]:
    """Every autoscaling policy: [{"name", "summary", "params": [{"name", "default", "min", "max", "integer",
    "help"}]}], as `wsfleet list` shows them."""
    return list(_autoscaling_policies())


def autoscale(policy: str, trace, params: Optional[Mapping[str, float]] = None, *, replicas: int = 1,
              ready_after_s: float = 0.0, capacity: float = 1.0, metric: str = "cpu"):
    """Run `policy` as a closed loop over a demand trace, like `wsfleet autoscale`, and return a pandas
    DataFrame with one row per decision: time_s, utilization, desired, replicas, ready.

    `trace` is a CSV path (columns time_s and demand), a DataFrame with those columns, or a mapping of
    the two lists. The demand is the fleet's total metric (e.g. CPU cores in use) from each time on; it
    spreads evenly over the ready replicas; a new replica is ready `ready_after_s` after the decision
    that asked for it. `metric` is "cpu" (the HPA's CPU readiness rules apply) or "other"."""
    import pandas as pd

    if metric not in ("cpu", "other"):
        raise ValueError(f"metric must be 'cpu' or 'other' (got {metric!r})")
    if isinstance(trace, (str, os.PathLike)):
        frame = pd.read_csv(trace)
    elif isinstance(trace, pd.DataFrame):
        frame = trace
    else:
        frame = pd.DataFrame(dict(trace))
    missing = [c for c in ("time_s", "demand") if c not in frame.columns]
    if missing:
        raise ValueError(f"the trace needs the columns time_s and demand (missing: {', '.join(missing)})")
    if len(frame) == 0:
        raise ValueError("the trace has no rows")
    controller = AutoscalingPolicy(policy, dict(params or {}))
    columns = controller.run_trace([float(t) for t in frame["time_s"]], [float(d) for d in frame["demand"]],
                                   replicas=replicas, ready_after_s=ready_after_s, capacity=capacity,
                                   cpu=metric == "cpu")
    return pd.DataFrame(columns, columns=["time_s", "utilization", "desired", "replicas", "ready"])


AutoscalingPolicy.__doc__ = (
    "AutoscalingPolicy(name, params={}): one controller of a real autoscaling algorithm "
    "(wsfleet.autoscaling_policies()) with its state (stabilization windows, past scale events, alarms). "
    "decide(now_s, replicas, values, *, phase=None, ready=None, start_s=None, ready_since_s=None, capacity=None, "
    "cpu=True, window_s=None) runs one sync: `values` has one metric value per replica (None = missing), `phase` "
    "'running'/'pending'/'terminating' per replica; it returns {'desired', 'recommendation', 'usage_ratio', "
    "'metric_value', 'limited', 'had_metrics', 'outcome'}. Call it at its sync_period_s, in time order. "
    "run_trace(times_s, demand, replicas=1, ready_after_s=0, capacity=1, cpu=True) is the closed loop of "
    "`wsfleet autoscale`. Raises ValueError naming a bad parameter.")


def _autoscaling_repr(self: AutoscalingPolicy) -> str:
    return (f"AutoscalingPolicy({self.name!r}, every {self.sync_period_s:g} s, "
            f"replicas {self.min_replicas}..{self.max_replicas})")


AutoscalingPolicy.__repr__ = _autoscaling_repr  # type: ignore[method-assign]
AutoscalingPolicy._repr_html_ = lambda self: policy_html(_autoscaling_repr(self))  # type: ignore[attr-defined]
