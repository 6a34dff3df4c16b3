"""The verdict of a replicated run (wsfleet.run(..., precision=...)): every replication's limits,
not replication 0's.

Each limit of the model (wsfleet._limits) is measured in every replication. Across them, its use
(the fraction of the limit the worst moment used) is summarised as the mean with the half-width of
its two-sided Student-t interval (the report's confidence, 95 %) and the lowest and highest
replication. The rule (RULE, stated in the report and docs/reports.md):

- a limit *binds* when the upper bound of its interval of use reaches 100 %, or when it stopped work
  (refused attempts, dropped copies...) in any replication: the mean work it stopped is then above 0
  and so is its interval's upper bound;
- it comes *near* when the upper bound of its use is above 100 % - MARGIN;
- the verdict (status, binding or closest limit) follows from those states exactly as a single run's
  does (wsfleet._limits.verdict): bound capacity resources first, ranked by the mean work stopped.

A planner reading "ENOUGH CAPACITY" can rely on it at the interval's upper end, not on one lucky
replication. How many replications reach each status on their own is said beside it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Sequence

from wsfleet._format import fmt_share
from wsfleet._limits import MARGIN, STATUS_WORDS, Limit, Verdict, verdict
from wsfleet._stats import mean_ci

__all__ = ["RULE", "LimitAcross", "ReplicatedVerdict", "limits_across", "replicated_verdict"]

#: The rule in words, for the report and the docs.
RULE = ("each limit is judged at the upper bound of the {conf} confidence interval of its mean use over the "
        "replications: it binds when that bound reaches 100% or when it stopped work in any replication, and "
        "comes near when that bound is above {near}; the verdict follows from those states as a single run's does.")


@dataclass
class LimitAcross:
    """One limit over the replications: its use (mean, half-width, lowest, highest, n), in how many
    replications it bound or came near, and the replicated Limit the verdict is taken from (its
    `used` is the upper bound of the interval, its state the rule's)."""
    limit: Limit
    mean: Optional[float]
    half: float
    low: Optional[float]
    high: Optional[float]
    n: int
    bound_in: int
    near_in: int
    replications: int
    worst: int          # the replication with the highest use (or the most work stopped)


@dataclass
class ReplicatedVerdict:
    """The verdict over the replications, with each replication's own status."""
    verdict: Verdict
    limits: List[LimitAcross]
    statuses: List[str]        # each replication's own status (wsfleet._limits.verdict)
    rule: str
    text: str                  # the verdict's sentences, with the replications' own statuses


def _used_words(mean: Optional[float], half: float, low: Optional[float], high: Optional[float], n: int) -> str:
    if mean is None:
        return "—"
    if n < 2 or not math.isfinite(half):
        return fmt_share(mean)
    if low == high:
        return f"{fmt_share(low)} in each of the {n} replications"
    return f"{fmt_share(mean)} ± {fmt_share(half)} ({fmt_share(low)} to {fmt_share(high)})"


def _across(per_rep: Sequence[Limit], confidence: float) -> LimitAcross:
    first = per_rep[0]
    n_reps = len(per_rep)
    used = [l.used for l in per_rep if l.used is not None and math.isfinite(l.used)]
    mean, half, n = mean_ci(used, confidence) if used else (math.nan, math.nan, 0)
    bound_in = sum(1 for l in per_rep if l.state == "bound")
    near_in = sum(1 for l in per_rep if l.state == "near")
    stopped = [l for l in per_rep if l.state == "bound" and l.severity > 0]
    worst = max(range(n_reps), key=lambda k: (per_rep[k].severity, per_rep[k].used or 0.0, -k))
    if n == 0:
        upper = None
        state = "bound" if bound_in else ("n/a" if all(l.state == "n/a" for l in per_rep) else "ok")
    else:
        upper = mean + (half if math.isfinite(half) else 0.0) if n >= 2 else mean
        state = ("bound" if upper >= 1.0 or stopped else "near" if upper > 1.0 - MARGIN
                 else "ok" if any(l.state != "n/a" for l in per_rep) else "n/a")
    low = min(used) if used else None
    high = max(used) if used else None
    src = per_rep[worst]
    parts = []
    if bound_in:
        parts.append(f"bound in {bound_in} of {n_reps} replications")
    elif near_in:
        parts.append(f"near in {near_in} of {n_reps} replications")
    if src.effect and src.state == "bound":
        parts.append(f"replication {worst}: {src.effect}")
    figure = (f"replication {worst}, the worst: {src.figure}" if n_reps > 1 and state != "n/a" else src.figure)
    limit = replace(src, state=state, used=upper, figure=figure, effect="; ".join(parts),
                    severity=math.fsum(l.severity for l in per_rep) / n_reps,
                    advice=src.advice if state in ("bound", "near") else "",
                    used_text=_used_words(mean if n else None, half, low, high, n),
                    shown=any(l.shown for l in per_rep), setting=src.setting or first.setting)
    return LimitAcross(limit, mean if n else None, half, low, high, n, bound_in, near_in, n_reps, worst)


def limits_across(per_replication: Sequence[Sequence[Limit]], confidence: float = 0.95) -> List[LimitAcross]:
    """Each limit (in evaluate_limits' order) over the replications (per_replication[k]: replication
    k's limits)."""
    keys = [l.key for l in per_replication[0]]
    by_key: Dict[str, List[Limit]] = {key: [] for key in keys}
    for limits in per_replication:
        for l in limits:
            by_key[l.key].append(l)
    return [_across(by_key[key], confidence) for key in keys]


def _statuses_words(statuses: Sequence[str]) -> str:
    n = len(statuses)
    counts = [(s, statuses.count(s)) for s in ("fail", "misconfigured", "warn", "ok") if s in statuses]
    if len(counts) == 1:
        return f"Every one of the {n} replications reads {STATUS_WORDS[counts[0][0]]} on its own."
    return ("The replications disagree: " + ", ".join(f"{STATUS_WORDS[s]} in {k} of {n}" for s, k in counts)
            + " replications on their own.")


def replicated_verdict(per_replication: Sequence[Sequence[Limit]], confidence: float = 0.95) -> ReplicatedVerdict:
    """The verdict over the replications (see the module docstring)."""
    across = limits_across(per_replication, confidence)
    v = verdict([a.limit for a in across])
    statuses = [verdict(limits).status for limits in per_replication]
    conf = f"{confidence:.0%}"
    rule = RULE.format(conf=conf, near=fmt_share(1.0 - MARGIN))
    top = next((a for a in across if v.binding is not None and a.limit.key == v.binding.key), None)
    n = len(per_replication)
    if top is None:
        text = "No limit was reached in any replication."
    else:
        use = (f"it used {top.limit.used_text} of its limit (mean ± {conf} half-width, lowest to highest "
               f"replication; upper bound {fmt_share(top.limit.used)})" if top.n else "")
        if v.status in ("fail", "misconfigured"):
            text = (f"Over the {n} replications the binding constraint is the {top.limit.name}"
                    + (f": {use}" if use else "") + f"; {top.limit.effect or top.limit.figure}.")
            if v.status == "misconfigured":
                text += f" It is a setting, not a lack of capacity: change {top.limit.setting}."
        elif v.status == "warn":
            text = (f"No limit stopped work in any replication, but at the upper bound of its {conf} interval the "
                    f"{top.limit.name} comes within {fmt_share(MARGIN)}: {use}.")
        else:
            text = (f"Every limit keeps at least {fmt_share(MARGIN)} margin at the upper bound of its {conf} "
                    f"interval; the closest is the {top.limit.name}: {use}.")
    text += " " + _statuses_words(statuses)
    return ReplicatedVerdict(v, across, statuses, rule, text)
