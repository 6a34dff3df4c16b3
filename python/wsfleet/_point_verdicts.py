"""The verdict of every point of a sweep or plan: each run's, and each point's over its replications.

A worker measures every limit of the model (wsfleet._limits) on the run it has just made, where the
run's time series are, and adds the verdict to the run's results row (`verdict_columns`): the
status ("ok", "warn", "fail", "misconfigured"; _limits.STATUS_WORDS), the binding or closest
limit's key and figure, and per limit its name, state, use, the work it stopped, its figure, what
it did and the setting that moves it. The columns are declared in wsfleet.study_schema
(RESULT_ROW_FIELDS, nested there as "verdict.limits.*.state"; a row has them flat with dots, as
flatten_summary flattens summary.json), and checked before the row leaves the worker.

`point_verdicts(frame)` gives each point's verdict over its replications exactly as a replicated
run's (wsfleet._replicated_verdict): each limit judged at the upper bound of the 95 % interval of
its mean use, bound when it stopped work in any replication; a point with one replication reads as
that run's verdict.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence

from wsfleet._limits import STATUS_WORDS, Limit, verdict
from wsfleet._metrics import flatten

__all__ = ["verdict_columns", "PointVerdict", "point_verdicts", "LIMIT_FIELDS", "STATUS", "LIMIT", "FIGURE"]

#: The row's columns of the run's own verdict.
STATUS, LIMIT, FIGURE = "verdict.status", "verdict.limit", "verdict.figure"
#: The Limit fields each limit keeps in the row ("verdict.limits.KEY.FIELD"): enough to judge it
#: again over the replications.
LIMIT_FIELDS = ("name", "state", "used", "severity", "figure", "effect", "setting")


def _nested(limits: Sequence[Limit]) -> Dict[str, Any]:
    v = verdict(limits)
    b = v.binding
    return {"verdict": {
        "status": v.status, "limit": b.key if b is not None else "", "figure": b.figure if b is not None else "",
        "limits": {l.key: {"name": l.name, "state": l.state,
                           "used": float(l.used) if l.used is not None else math.nan,
                           "severity": float(l.severity), "figure": l.figure, "effect": l.effect,
                           "setting": l.setting} for l in limits}}}


def verdict_columns(limits: Sequence[Limit]) -> Dict[str, Any]:
    """The run's verdict as flat results-row columns ("verdict.status", "verdict.limits.cpu.used", ...),
    from every limit of the model measured on the run (RunResult.limits())."""
    from wsfleet import study_schema

    nested = _nested(limits)
    study_schema.check("row", nested)  # the declaration (wsfleet.study_schema) is this writer's contract
    return flatten(nested)


@dataclass
class PointVerdict:
    """One point's verdict over its replications: the status, the binding (or closest) limit (None
    when no limit was measured), the use of it in words (over replications: mean ± half-width,
    lowest to highest), each replication's own status and the sentences."""
    status: str
    limit: Optional[Limit]
    used: str
    statuses: List[str]
    text: str

    @property
    def words(self) -> str:
        """"ENOUGH CAPACITY", "TIGHT", "NOT ENOUGH CAPACITY" or "MISCONFIGURED"."""
        return STATUS_WORDS[self.status]

    @property
    def cell(self) -> str:
        """The report's cell: "NOT ENOUGH CAPACITY: per-server connection limit, 1,000 of 1,000
        connections (server 2 at 30 s)"; over replications the use, and how many bound."""
        if self.limit is None:
            return f"{self.words}: no limit measured"
        what = self.used if len(self.statuses) > 1 else self.limit.figure
        agree = ""
        if len(self.statuses) > 1:
            own, n = sum(1 for s in self.statuses if s == self.status), len(self.statuses)
            agree = (f"; each replication alone reads {self.words}" if own == n
                     else f"; {own} of {n} replications alone read {self.words}")
        return f"{self.words}: {self.limit.name}, {what}{agree}"


def _limits_of(row: Mapping[str, Any], keys: Sequence[str]) -> List[Limit]:
    def text(key: str, field: str) -> str:
        value = row.get(f"verdict.limits.{key}.{field}")
        return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)

    def number(key: str, field: str) -> Optional[float]:
        value = row.get(f"verdict.limits.{key}.{field}")
        return float(value) if value is not None and not (isinstance(value, float) and math.isnan(value)) else None

    return [Limit(key, text(key, "name"), text(key, "state") or "n/a", number(key, "used"), text(key, "figure"),
                  effect=text(key, "effect"), severity=number(key, "severity") or 0.0, setting=text(key, "setting"))
            for key in keys]


def point_verdicts(frame: Any, confidence: float = 0.95) -> Dict[int, PointVerdict]:
    """Each point's verdict (by its "point" number) over its replications; empty when the rows carry
    no verdict (a study written before the rows had one)."""
    from wsfleet._replicated_verdict import replicated_verdict

    if frame is None or frame.empty or STATUS not in frame.columns:
        return {}
    keys = list(dict.fromkeys(c.split(".")[2] for c in frame.columns
                              if c.startswith("verdict.limits.") and c.endswith(".state")))
    out: Dict[int, PointVerdict] = {}
    order = [c for c in ("point", "replication") if c in frame.columns]
    for point, runs in frame.sort_values(order).groupby("point", sort=True):
        per_rep = [_limits_of(row, keys) for row in runs.to_dict("records")]
        if len(per_rep) == 1:
            v = verdict(per_rep[0])
            b = v.binding
            out[int(point)] = PointVerdict(v.status, b, b.used_words if b is not None else "", [v.status], v.text)
            continue
        rv = replicated_verdict(per_rep, confidence)
        b = rv.verdict.binding
        out[int(point)] = PointVerdict(rv.verdict.status, b, b.used_words if b is not None else "", rv.statuses,
                                       rv.text)
    return out
