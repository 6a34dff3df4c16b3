"""Does an SLO's metric depend on the variable a plan searches at all?

A plan assumes more of the variable (servers, say) is never worse. When a metric does not move with
it (recovery time set by the backoff cap, a latency set by the broker), the bisection still ends at
some size: one where the replications happened to fall under the threshold, picked by noise. This
module tests each SLO's metric for a monotone trend over every run the search made of one candidate
(Spearman's rank correlation, wsfleet._stats.trend), and names the SLOs without one, with the figures
that show it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence

import pandas as pd

from wsfleet._stats import trend
from wsfleet._task import steady_flag

__all__ = ["FlatSLO", "flat_slos", "SIGNIFICANCE"]

#: A trend whose two-sided p-value is at least this is "no detectable dependence".
SIGNIFICANCE = 0.05
#: A metric whose mean moves by less than this share of the objective's threshold over every size
#: evaluated does not depend on the variable in any way that matters, even with a significant trend
#: (recovery 12.2 s at 2 servers, 12.0 s at 32, against a 12 s objective: the backoff delay sets it).
MATERIAL = 0.05


@dataclass
class FlatSLO:
    """An SLO whose metric shows no trend with the plan's variable for one candidate."""
    slo: str                  # the SLO's name
    rho: float                # Spearman's rank correlation of the metric with the variable
    p_value: float
    runs: int                 # runs the test used
    sizes: int                # distinct values of the variable among them
    low_mean: float           # the lowest and highest mean over the sizes, in the metric's unit
    high_mean: float
    decisive: bool            # it failed at some size where the other SLOs passed: it set the answer
    text: str                 # the sentence a planner reads


def flat_slos(rows: pd.DataFrame, variable: str, slos: Sequence[Any], evaluations: Sequence[Any]) -> List[FlatSLO]:
    """The SLOs (objects with name, metric, label, unit, scale, shown()) whose metric does not depend on
    `variable` over `rows` (the runs of one candidate); `evaluations` (with .value, .passed and
    .slos[name]["passed"]) say which SLO decided which size."""
    found: List[FlatSLO] = []
    if rows.empty or variable not in rows.columns:
        return found
    for slo in slos:
        if slo.metric not in rows.columns:
            continue
        flag = steady_flag(slo.metric)
        if flag is not None and flag in rows.columns:
            # A run with no steady state fails a steady-state objective whatever its mean: it ranks
            # above every value, as a crash whose clients never all came back does.
            settled = rows[flag].fillna(False).astype(bool)
            rows = rows.assign(**{slo.metric: rows[slo.metric].astype(float).where(settled, math.inf)})
        xs = rows[variable].astype(float).tolist()
        ys = rows[slo.metric].astype(float).tolist()
        rho, p = trend(xs, ys)
        if rho is None or p is None:
            continue
        finite = rows[[variable, slo.metric]].astype(float)
        finite = finite[finite[slo.metric].map(math.isfinite)]
        if finite.empty:
            continue
        means = finite.groupby(variable)[slo.metric].mean()
        spread = float(means.max() - means.min())
        never = rows[slo.metric].astype(float).map(lambda v: math.isinf(v)).any()
        small = slo.max > 0 and not never and spread < MATERIAL * slo.max
        if p < SIGNIFICANCE and not small:
            continue
        decisive = any(not e.slos[slo.name]["passed"]
                       and all(v["passed"] for n, v in e.slos.items() if n != slo.name) for e in evaluations)
        sizes = int(finite[variable].nunique())
        why = (f"less than {MATERIAL:.0%} of the objective's {slo.shown(slo.max)}" if small else
               f"no trend: Spearman's rank correlation {rho:+.2f}, p = {p:.2f}")
        lo, hi = slo.shown(float(means.min())), slo.shown(float(means.max()))
        stays = f"stays at {lo}" if lo == hi else f"stays between {lo} and {hi}"
        text = (f"{slo.label} does not depend on {variable} here: over {len(finite)} runs at {sizes} values "
                f"from {int(finite[variable].min())} to {int(finite[variable].max())} its mean {stays} ({why}).")
        if decisive:
            text += (f" The sizes that met it were picked by noise, so the plan gives no size for it: "
                     f"{slo.label} is set by another setting (backoff, health checks, broker), not by {variable}.")
        found.append(FlatSLO(slo.name, rho, p, len(finite), sizes, float(means.min()), float(means.max()),
                             decisive, text))
    return found


def as_dict(flat: FlatSLO) -> Dict[str, Any]:
    return {"slo": flat.slo, "rho": flat.rho, "p_value": flat.p_value, "runs": flat.runs, "sizes": flat.sizes,
            "low_mean": flat.low_mean, "high_mean": flat.high_mean, "decisive": flat.decisive, "text": flat.text}
