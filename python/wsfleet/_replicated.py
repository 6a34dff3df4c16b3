"""One run replicated until the confidence intervals of chosen metrics are narrow enough
(`wsfleet.run(..., precision=0.05)`, `wsfleet run SCENARIO --precision 0.05`).

Replication r runs the scenario with run.seed = S (the `seed` given, else the scenario's run.seed)
and run.replication = r, r = 0, 1, 2, ...: exactly what a sweep runs for replication r of a point
with the same values and seed (common random numbers, wsfleet._study.Study.tasks), so replication
r of a replicated run equals replication r of such a sweep point bit for bit, and replication 0 is
the plain run of the same scenario and seed.

The stopping rule is the sweeps' (wsfleet._precision, Law and Kelton's sequential procedure): the
first min(3, cap) replications, then, while the relative half-width of a chosen metric's two-sided
Student-t interval (t quantiles from SciPy) is above the target, as many more as the current mean
and standard deviation say are needed, up to the cap. A metric the run does not measure (NaN in
every replication) does not hold it back; one with an infinite value stops at the cap.

Each replication's row holds the same metrics as a sweep's results row: the flattened summary
(wsfleet._metrics) and the steady-state figures of the fleet's time series (wsfleet._task).
A saved replicated run is a run directory (replication 0's summary.json, timeseries.csv and
scenario.toml, as `wsfleet run --out` writes) plus REPLICATIONS_FILE (one row per replication) and
PRECISION_FILE (the rule and what it reached), which the run report reads.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import pandas as pd

from wsfleet._metrics import flatten_summary
from wsfleet._precision import (DEFAULT_MAX_REPLICATIONS, DEFAULT_METRICS, DEFAULT_PILOT, Precision, next_total,
                                precision_status)
from wsfleet._task import steady_state_metrics

__all__ = ["REPLICATIONS_FILE", "PRECISION_FILE", "OptionNames", "API_NAMES", "CLI_NAMES", "make_rule",
           "check_metrics", "replication_row", "replicate", "metric_status", "stopped", "precision_document",
           "outcome_words", "write_replications", "read_replications", "Replications"]

REPLICATIONS_FILE = "replications.parquet"
PRECISION_FILE = "precision.json"


@dataclass(frozen=True)
class OptionNames:
    """How the options are called where the user gave them (in error messages)."""
    precision: str
    metric: str
    max_replications: str
    replication: str


API_NAMES = OptionNames("precision", "metrics", "max_replications", "replication")
CLI_NAMES = OptionNames("--precision", "--metric", "--max-replications", "--replication")


def make_rule(precision: Any, metrics: Any, max_replications: Any,
              names: OptionNames = API_NAMES) -> Tuple[Precision, int]:
    """The stopping rule and the first replications (the pilot) from user input; one ValueError
    naming the option and what it allows when a value is wrong."""
    if precision is None:
        given = [n for n, v in ((names.metric, metrics), (names.max_replications, max_replications)) if v is not None]
        raise ValueError(f"{' and '.join(given)} need{'s' if len(given) == 1 else ''} {names.precision} "
                         f"(the relative confidence half-width to reach, e.g. 0.05 for ±5 % of the mean)")
    if isinstance(precision, bool) or not isinstance(precision, (int, float)) or not math.isfinite(precision) \
            or not 0 < precision < 1:
        raise ValueError(f"{names.precision} must be a relative confidence half-width strictly between 0 and 1, "
                         f"e.g. 0.05 for ±5 % of the mean (got {precision!r})")
    if max_replications is None:
        max_replications = DEFAULT_MAX_REPLICATIONS
    if isinstance(max_replications, bool) or not isinstance(max_replications, int) or max_replications < 2:
        raise ValueError(f"{names.max_replications} must be a whole number >= 2: a confidence interval needs two "
                         f"replications (got {max_replications!r})")
    if metrics is None:
        metrics = list(DEFAULT_METRICS)
    elif isinstance(metrics, str):
        metrics = [metrics]
    if not isinstance(metrics, (list, tuple)) or not metrics or \
            not all(isinstance(m, str) and m.strip() for m in metrics):
        raise ValueError(f"{names.metric} must name metrics of the run (columns of a sweep's results), e.g. "
                         f"'messages.latency_ms.p99' (got {metrics!r})")
    rule = Precision(float(precision), max_replications, tuple(dict.fromkeys(m.strip() for m in metrics)))
    return rule, min(DEFAULT_PILOT, max_replications)


def check_metrics(rule: Precision, row: Mapping[str, Any], names: OptionNames = API_NAMES) -> None:
    """A ValueError naming every metric of the rule that the run does not have (with the closest
    name), known once the first replication has run."""
    import difflib

    numeric = [k for k, v in row.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    wrong = []
    for metric in rule.metrics:
        if metric in numeric:
            continue
        what = "is not a number" if metric in row else "is not a metric of this run"
        close = difflib.get_close_matches(metric, numeric, n=1)
        wrong.append(f"'{metric}' {what}" + (f" (did you mean '{close[0]}'?)" if close else ""))
    if wrong:
        examples = ", ".join(DEFAULT_METRICS)
        raise ValueError(f"{names.metric}: {'; '.join(wrong)}. Allowed: any numeric column of the run's flattened "
                         f"summary or its steady-state figures, e.g. {examples}, recovery_s, "
                         "steady_state.connections.mean")


def replication_row(replication: int, seed: int, summary: Mapping[str, Any],
                    fleet_columns: Mapping[str, Any]) -> Dict[str, Any]:
    """One replication's row: its number and seed, then the metrics a sweep's row has."""
    row: Dict[str, Any] = {"replication": replication, "seed": seed}
    row.update(flatten_summary(summary))
    row.update(steady_state_metrics(dict(fleet_columns)))
    return row


def replicate(run_one: Callable[[int], Tuple[Any, Dict[str, Any]]], rule: Precision, pilot: int,
              after_first: Optional[Callable[[Dict[str, Any]], None]] = None) -> Tuple[List[Any], pd.DataFrame]:
    """Runs replications 0, 1, ... with run_one(r) -> (result, row) until the rule holds or the cap:
    the first `pilot`, then the rounds that wsfleet._precision.next_total asks for (the same
    decisions as a sweep's point). after_first(row) may refuse the first row (a ValueError)."""
    results: List[Any] = []
    rows: List[Dict[str, Any]] = []
    total = pilot
    while True:
        for r in range(len(rows), total):
            result, row = run_one(r)
            if r == 0 and after_first is not None:
                after_first(row)
            results.append(result)
            rows.append(row)
        frame = pd.DataFrame(rows)
        more = next_total(frame, rule, len(rows))
        if more is None:
            return results, frame
        total = more


def metric_status(frame: pd.DataFrame, rule: Precision) -> pd.DataFrame:
    """Per metric of the rule: n, the mean, the half-width of its interval, the relative half-width,
    whether the run measures it and whether the rule holds for it."""
    status = precision_status(frame.assign(point=0, point_id="run"), rule)
    return status.drop(columns=["point", "point_id"])


def stopped(status: pd.DataFrame) -> str:
    """"precision reached" when every metric meets the rule, else "cap reached"."""
    return "precision reached" if bool(status["met"].all()) else "cap reached"


def rule_of(doc: Mapping[str, Any]) -> Precision:
    """The rule of a precision document (its "rule": Precision.describe())."""
    spec = doc["rule"]
    return Precision(float(spec["relative"]), int(spec["max_replications"]), tuple(spec["metrics"]),
                     float(spec.get("confidence", 0.95)))


def _finite_or_none(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def precision_document(frame: pd.DataFrame, rule: Precision, pilot: int, seed: int) -> Dict[str, Any]:
    """What PRECISION_FILE holds: the rule, the replications, what stopped them, and per metric what
    was reached."""
    status = metric_status(frame, rule)
    return {"rule": rule.describe(), "pilot": pilot, "seed": seed, "replications": int(len(frame)),
            "stopped": stopped(status),
            "metrics": [{k: _finite_or_none(v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                        for row in status.to_dict("records")]}


def _pct(x: float) -> str:
    return f"{100 * x:.2g} %" if x < 0.1 else f"{100 * x:.1f} %"


def outcome_words(doc: Mapping[str, Any]) -> str:
    """One or two sentences from a precision document: how many replications, what stopped them, the
    achieved relative half-widths against the target."""
    rule = rule_of(doc)
    n = int(doc["replications"])
    target = f"±{_pct(rule.relative)}"
    measured = [m for m in doc["metrics"] if m["measured"]]
    unmeasured = [m["metric"] for m in doc["metrics"] if not m["measured"]]

    def rel(m: Mapping[str, Any]) -> float:
        v = m["relative_half_width"]
        return math.inf if v in ("inf", None) else float(v)

    head = (f"{n} replications (seed {doc['seed']}, replications 0 to {n - 1})"
            if n > 1 else f"1 replication (seed {doc['seed']})")
    if doc["stopped"] == "precision reached":
        text = (f"{head}: the {rule.confidence:.0%} confidence interval of the mean of every chosen metric is within "
                f"{target} of its mean")
        if measured:
            widest = max(measured, key=rel)
            text += f" (the widest: {widest['metric']} at ±{_pct(rel(widest))})"
        text += "."
    else:
        short = [m for m in measured if not m["met"]]
        parts = ", ".join(f"{m['metric']} at ±{_pct(rel(m))}" if math.isfinite(rel(m)) else
                          f"{m['metric']} (an infinite value in some replication: no interval)" for m in short)
        text = (f"{head}: stopped at the cap of {rule.max_replications} replications without reaching {target}: "
                f"{parts}.")
    if unmeasured:
        text += (f" Not measured by this run (undefined in every replication, so not held to the target): "
                 f"{', '.join(unmeasured)}.")
    return text


def write_replications(directory: Any, frame: pd.DataFrame, doc: Mapping[str, Any]) -> None:
    """REPLICATIONS_FILE and PRECISION_FILE into a run directory."""
    out = Path(directory)
    frame.to_parquet(out / REPLICATIONS_FILE, index=False)
    (out / PRECISION_FILE).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Replications:
    """A saved replicated run's table (one row per replication) and its precision document."""
    frame: pd.DataFrame
    doc: Dict[str, Any]

    @property
    def n(self) -> int:
        return len(self.frame)

    @property
    def confidence(self) -> float:
        return float(self.doc["rule"].get("confidence", 0.95))


def read_replications(directory: Any) -> Optional[Replications]:
    """The replications of a run directory, or None for a run that was not replicated. Raises
    ValueError when the files are there but unreadable."""
    base = Path(directory)
    if not (base / PRECISION_FILE).is_file():
        return None
    try:
        doc = json.loads((base / PRECISION_FILE).read_text(encoding="utf-8"))
        frame = pd.read_parquet(base / REPLICATIONS_FILE)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{base}: cannot read the replications ({PRECISION_FILE}, {REPLICATIONS_FILE}): {exc}") \
            from None
    if len(frame) != int(doc.get("replications", -1)):
        raise ValueError(f"{base}: {REPLICATIONS_FILE} has {len(frame)} rows but {PRECISION_FILE} says "
                         f"{doc.get('replications')} replications")
    return Replications(frame, doc)


def metric_values(frame: pd.DataFrame, column: str) -> Sequence[float]:
    return pd.to_numeric(frame[column], errors="coerce").astype(float).tolist() if column in frame.columns else []


__all__ += ["metric_values", "rule_of"]
