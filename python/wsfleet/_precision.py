"""Precision-driven replication: replicate a point until the confidence interval of its mean is
narrow enough, or a cap is reached (JMT's "max relative error" stopping rule, over independent
replications rather than batches).

A point starts with `pilot` replications. After each round, for every chosen metric, the two-sided
Student-t interval of the mean over the point's replications has half-width
h(n) = t(1 - a/2, n - 1) s / sqrt(n); the point has its precision when h(n) <= relative * |mean|
for every metric. Otherwise it gets the replications that the sequential procedure of Law and
Kelton ("Simulation Modeling and Analysis", 3rd ed., section 9.4.1, the "approximate number of
replications" n*(gamma)) estimates from the current mean and standard deviation: the smallest
i >= n with t(1 - a/2, i - 1) s / sqrt(i) <= relative * |mean|, capped at max_replications; then
the rule is checked again with the new replications (the estimate uses a noisy s), until every
point has its precision or has reached the cap. Which of the two happened is reported per point.

A metric a point does not measure (NaN in every replication: recovery_s without a crash) does not
hold it back; an infinite value (clients never all back) cannot reach a relative precision and
stops at the cap. A metric whose every replication is equal (s = 0) has its precision at once.
"""
from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pandas as pd

from wsfleet._metrics import P99_LATENCY
from wsfleet._stats import mean_ci, t_quantile

__all__ = ["Precision", "DEFAULT_METRICS", "DEFAULT_RELATIVE", "DEFAULT_MAX_REPLICATIONS", "DEFAULT_PILOT",
           "replications_needed", "precision_status", "point_status", "make_precision", "missing_metrics"]

#: The metrics whose precision is sought by default: the latency and load figures a planner reads
#: (each run's own p99s, the busiest server's CPU and connections).
DEFAULT_METRICS = (P99_LATENCY, "handshake_latency_ms.p99", "cpu.peak_utilisation", "connections.peak_per_server")
DEFAULT_RELATIVE = 0.05
DEFAULT_MAX_REPLICATIONS = 30
#: Replications of every point before the first check (replications="auto").
DEFAULT_PILOT = 3


@dataclass(frozen=True)
class Precision:
    """The stopping rule: relative half-width `relative` of the `confidence` interval of the mean of
    every metric in `metrics`, at most `max_replications` per point."""
    relative: float
    max_replications: int
    metrics: Tuple[str, ...] = DEFAULT_METRICS
    confidence: float = 0.95

    def describe(self) -> Dict[str, Any]:
        return {"relative": self.relative, "max_replications": self.max_replications, "metrics": list(self.metrics),
                "confidence": self.confidence}

    def words(self) -> str:
        return (f"until the {self.confidence:.0%} confidence interval of the mean of {', '.join(self.metrics)} "
                f"is within ±{self.relative:.1%} of the mean, at most {self.max_replications} replications")


def make_precision(relative: Any, max_replications: Any, metrics: Any, pilot: int, where: str,
                   confidence: float = 0.95) -> Precision:
    """The rule from user input; a ValueError naming `where` and the option when a value is wrong."""
    if isinstance(relative, bool) or not isinstance(relative, (int, float)) or not 0 < relative < 1:
        raise ValueError(f"{where}: precision must be a relative half-width between 0 and 1, e.g. 0.05 for ±5 % "
                         f"(got {relative!r})")
    if max_replications is None:
        max_replications = max(DEFAULT_MAX_REPLICATIONS, pilot)
    if isinstance(max_replications, bool) or not isinstance(max_replications, int) or max_replications < pilot:
        raise ValueError(f"{where}: max_replications must be a whole number >= the first replications ({pilot}) "
                         f"(got {max_replications!r})")
    if metrics is None:
        metrics = DEFAULT_METRICS
    if isinstance(metrics, str):
        metrics = [metrics]
    if not isinstance(metrics, (list, tuple)) or not metrics or not all(isinstance(m, str) and m for m in metrics):
        raise ValueError(f"{where}: precision_metrics must be a non-empty list of result columns, e.g. "
                         f"[\"{P99_LATENCY}\"] (got {metrics!r})")
    return Precision(float(relative), max_replications, tuple(dict.fromkeys(metrics)), confidence)


def missing_metrics(precision: Precision, columns: Sequence[str]) -> List[str]:
    """One message per metric of the rule that is not a column of the results (with the closest
    column's name)."""
    out = []
    for metric in precision.metrics:
        if metric not in columns:
            close = difflib.get_close_matches(metric, list(columns), n=1)
            out.append(f"'{metric}' is not a result column" + (f"; did you mean '{close[0]}'?" if close else ""))
    return out


def _finite(values: Sequence[Any]) -> Tuple[List[float], bool]:
    """The non-NaN values as floats, and whether one is infinite."""
    xs = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    return xs, any(math.isinf(x) for x in xs)


def _met(mean: float, half: float, relative: float) -> bool:
    return half == 0.0 or (math.isfinite(half) and half <= relative * abs(mean))


def replications_needed(values: Sequence[Any], relative: float, cap: int, confidence: float = 0.95) -> int:
    """Law and Kelton's n*: the smallest i >= n (the replications so far) with
    t(1 - a/2, i - 1) s / sqrt(i) <= relative |mean|, at most `cap`; n when the rule holds already
    or the metric is not measured (every value NaN); `cap` when it cannot hold (an infinite value,
    a zero mean with a spread)."""
    n = len(values)
    xs, infinite = _finite(values)
    if not xs:
        return n
    if infinite:
        return max(n, cap)
    if len(xs) < 2:
        return max(n, min(cap, 2 + n - len(xs)))
    mean, half, _ = mean_ci(xs, confidence)
    if _met(mean, half, relative):
        return n
    if mean == 0.0:
        return max(n, cap)
    s = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (len(xs) - 1))
    # Over the finite values' count: NaN replications (not measured) stay as many.
    for i in range(n + 1, cap + 1):
        k = i - (n - len(xs))
        if t_quantile(0.5 + confidence / 2.0, k - 1) * s / math.sqrt(k) <= relative * abs(mean):
            return i
    return max(n, cap)


def precision_status(frame: pd.DataFrame, precision: Precision, axes: Sequence[str] = ()) -> pd.DataFrame:
    """Per point and metric of the rule: the replications n, the mean, the half-width of its
    interval, the relative half-width (half-width / |mean|), and whether the rule holds ("met";
    a metric the point does not measure counts as met, with measured = False)."""
    columns = ["point", "point_id", *axes, "metric", "n", "mean", "ci_half_width", "relative_half_width",
               "measured", "met"]
    rows = []
    if frame.empty:
        return pd.DataFrame(columns=columns)
    for point, group in frame.groupby("point", sort=True):
        first = group.iloc[0]
        for metric in precision.metrics:
            values = group[metric].tolist() if metric in group.columns else []
            xs, _ = _finite(values)
            mean, half, _ = mean_ci(xs, precision.confidence) if xs else (math.nan, math.nan, 0)
            measured = bool(xs)
            relative = (half / abs(mean) if mean != 0 else (0.0 if half == 0 else math.inf)) if measured else math.nan
            rows.append({"point": int(point), "point_id": first["point_id"], **{a: first[a] for a in axes},
                         "metric": metric, "n": len(group), "mean": mean, "ci_half_width": half,
                         "relative_half_width": relative, "measured": measured,
                         "met": (not measured) or _met(mean, half, precision.relative)})
    return pd.DataFrame(rows, columns=columns)


def point_status(status: pd.DataFrame, precision: Precision) -> pd.DataFrame:
    """Per point: the replications n, whether every metric has its precision, what stopped the
    replications ("precision reached" or "cap reached"), and the metric furthest from its target
    with its relative half-width."""
    columns = ["point", "n", "met", "stopped", "worst_metric", "worst_relative_half_width"]
    rows = []
    for point, group in status.groupby("point", sort=True):
        met = bool(group["met"].all())
        measured = group[group["measured"]]
        worst = measured.sort_values("relative_half_width", ascending=False, na_position="first").head(1)
        rows.append({"point": int(point), "n": int(group["n"].iloc[0]), "met": met,
                     "stopped": "precision reached" if met else "cap reached",
                     "worst_metric": worst["metric"].iloc[0] if not worst.empty else None,
                     "worst_relative_half_width": float(worst["relative_half_width"].iloc[0])
                     if not worst.empty else math.nan})
    return pd.DataFrame(rows, columns=columns)


def next_total(rows: pd.DataFrame, precision: Precision, n: int) -> Optional[int]:
    """The replications one point (its `rows`, n of them) should have in all when it does not meet
    the rule yet and is below the cap (Law and Kelton's estimate, at least one more); else None."""
    if n >= precision.max_replications:
        return None
    need = max(replications_needed(rows[m].tolist(), precision.relative, precision.max_replications,
                                   precision.confidence) if m in rows.columns else n
               for m in precision.metrics)
    return min(precision.max_replications, max(need, n + 1)) if need > n else None


def describe_outcome(points: pd.DataFrame, precision: Precision) -> str:
    """One sentence: how many points reached the precision and how many stopped at the cap."""
    if points.empty:
        return "No point has run yet."
    reached = int(points["met"].sum())
    capped = len(points) - reached
    n = points["n"]
    text = (f"Replications per point: {int(n.min())} to {int(n.max())} (median {n.median():g}); "
            f"{reached} of {len(points)} point(s) reached ±{precision.relative:.1%}")
    if capped:
        worst = points[~points["met"]].sort_values("worst_relative_half_width", ascending=False).iloc[0]
        text += (f", {capped} stopped at the cap of {precision.max_replications} replications without reaching it "
                 f"(the widest interval: {worst['worst_metric']} at ±{worst['worst_relative_half_width']:.1%} of "
                 "its mean)")
    return text + "."


__all__ += ["next_total", "describe_outcome"]
