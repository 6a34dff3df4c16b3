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

The replications run on the sweeps' executors (wsfleet._executors: local worker processes, or this
process with workers=0), fed one index at a time (_Feed). The rule still decides on replications
0 .. total-1 in index order, as the one-after-another run does, so the result does not depend on
the number of workers, bit for bit; to keep the workers busy, up to `workers` replications may start
beyond the current total, and when the rule stops, those still running are ended and all of them
dropped (replicate).

Each replication's row holds the same metrics as a sweep's results row: the flattened summary
(wsfleet._metrics) and the steady-state figures of the fleet's time series (wsfleet._task).
A saved replicated run is a run directory (replication 0's summary.json, timeseries.csv and
scenario.toml, as `wsfleet run --out` writes) plus every replication's own run directory
(RUNS_DIR/K), REPLICATIONS_FILE (one row per replication) and PRECISION_FILE (the rule and what it
reached; its keys declared in PRECISION_KEYS and checked when read), which the run report and
wsfleet.load read.
"""
from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import pandas as pd

from wsfleet._precision import (DEFAULT_MAX_REPLICATIONS, DEFAULT_METRICS, DEFAULT_PILOT, Precision, next_total,
                                precision_status)
from wsfleet._task import replica_row
from wsfleet.views import COLUMNS as C

__all__ = ["REPLICATIONS_FILE", "PRECISION_FILE", "OptionNames", "API_NAMES", "CLI_NAMES", "make_rule",
           "check_metrics", "replication_row", "replicate", "metric_status", "stopped", "precision_document",
           "outcome_words", "write_replications", "read_replications", "Replications", "PRECISION_KEYS",
           "check_document", "RUNS_DIR", "ReplicationProgress"]

REPLICATIONS_FILE = "replications.parquet"
PRECISION_FILE = "precision.json"


@dataclass(frozen=True)
class OptionNames:
    """How the options are called where the user gave them (in error messages)."""
    precision: str
    metric: str
    max_replications: str
    replication: str
    workers: str = "workers"
    scheduler: str = "scheduler"


API_NAMES = OptionNames("precision", "metrics", "max_replications", "replication", "workers")
CLI_NAMES = OptionNames("--precision", "--metric", "--max-replications", "--replication", "--workers", "--scheduler")


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
    return replica_row(replication, seed, dict(summary), dict(fleet_columns))


class _Feed:
    """Hands out replications in index order to an executor (wsfleet._executors: a feed): every one
    the rule has asked for so far (`target`), and, to keep `workers` processes busy, the next ones
    beyond it while fewer than `workers` are running; none once the rule has stopped or at the cap."""

    def __init__(self, make_task: Callable[[int], Any], pilot: int, cap: int, workers: int) -> None:
        self.make_task, self.target, self.cap, self.workers = make_task, pilot, cap, workers
        self.next = 0
        self.running = 0
        self.stopped = False

    def take(self, room: int) -> List[Any]:
        out = []
        while room > 0 and not self.stopped and self.next < self.cap and \
                (self.next < self.target or self.running < self.workers):
            out.append(self.make_task(self.next))
            self.next += 1
            self.running += 1
            room -= 1
        return out


class ReplicationProgress:
    """Replications done out of those the rule has asked for so far: a tqdm bar in a terminal or
    notebook, or a plain line on stderr every 30 s otherwise and one at the end, once the run has
    taken RUN_PROGRESS_DELAY_S (short runs stay quiet, as a single run's progress); nothing with
    enabled=False."""

    def __init__(self, enabled: Optional[bool], total: int) -> None:
        from wsfleet._progress import RUN_PLAIN_EVERY_S, RUN_PROGRESS_DELAY_S, interactive

        self.enabled, self.bar_wanted = enabled, bool(enabled) or interactive()
        self.bar, self.done, self.total = None, 0, total
        self.every, self.delay = RUN_PLAIN_EVERY_S, RUN_PROGRESS_DELAY_S
        self.start = self.last = time.monotonic()
        self.shown = False

    def update(self, done: int, total: int) -> None:
        from wsfleet._progress import tqdm_class

        self.done, self.total = done, total
        if self.enabled is False:
            return
        now = time.monotonic()
        if self.bar_wanted:
            if self.bar is None and (self.enabled or now - self.start >= self.delay):
                self.bar = tqdm_class()(total=total, initial=done, unit="replication", desc="replications",
                                        dynamic_ncols=True)
            elif self.bar is not None:
                self.bar.total = total
                self.bar.n = done
                self.bar.refresh()
        elif now - self.start >= self.delay and (not self.shown or now - self.last >= self.every):
            self._line()

    def _line(self) -> None:
        print(f"wsfleet run: {self.done} replications done (the rule asks for {self.total} so far), "
              f"{time.monotonic() - self.start:.0f} s elapsed", file=sys.stderr, flush=True)
        self.last, self.shown = time.monotonic(), True

    def close(self, finished: bool) -> None:
        if self.bar is not None:
            self.bar.close()
        elif finished and self.shown:
            self._line()


def replicate(make_task: Callable[[int], Any], fn: Callable[[Any], Dict[str, Any]], rule: Precision, pilot: int,
              executor: Any, after_first: Optional[Callable[[Dict[str, Any]], None]] = None,
              progress: Optional[ReplicationProgress] = None) -> Tuple[List[Dict[str, Any]], pd.DataFrame]:
    """Runs replications 0, 1, ... (make_task(r), then fn(task) -> {"row": ..., ...} on `executor`)
    until the rule holds or the cap: the first `pilot`, then the rounds that wsfleet._precision.next_total
    asks for (the same decisions as a sweep's point). The decision after a round is taken on the
    rows of replications 0 .. total-1 only, in index order, so the outcome is the one-after-another
    run's whatever the number of workers: replications started beyond the stop (to keep workers busy)
    are dropped, and so is an error of one of them; an error of a replication the rule asked for is
    raised once every replication before it has finished. after_first(row) may refuse replication
    0's row (a ValueError). Returns the outcomes of replications 0 .. n-1 and their rows."""
    feed = _Feed(make_task, pilot, rule.max_replications, executor.workers)
    done: Dict[int, Dict[str, Any]] = {}
    failed: Dict[int, BaseException] = {}
    checked = after_first is None
    extra = {"kill_running": True} if executor.name == "local" else {}
    outcomes = executor.run(fn, feed, **extra)
    frame = pd.DataFrame()
    finished = False
    try:
        for outcome in outcomes:
            if outcome is None:
                continue
            task, ok, value = outcome
            feed.running -= 1
            if ok:
                done[task.replication] = value
            else:
                failed[task.replication] = value
            while not feed.stopped:
                if not checked and 0 in done:
                    after_first(done[0]["row"])  # type: ignore[misc]
                    checked = True
                prefix = 0
                while prefix < feed.target and prefix in done:
                    prefix += 1
                if prefix < feed.target and prefix in failed:
                    raise failed[prefix]
                if prefix < feed.target:
                    break
                frame = pd.DataFrame([done[r]["row"] for r in range(feed.target)])
                more = next_total(frame, rule, feed.target)
                if more is None:
                    feed.stopped = True
                else:
                    feed.target = more
            if progress is not None:
                progress.update(sum(1 for r in done if r < feed.target), feed.target)
            if feed.stopped:
                break
        finished = feed.stopped
    finally:
        outcomes.close()  # the replications still running beyond the stop (or on Ctrl-C) are ended
        if progress is not None:
            progress.close(finished)
    if not feed.stopped:  # cannot happen: the cap always stops the rule
        raise RuntimeError("the replications ended before the stopping rule did")
    return [done[r] for r in range(feed.target)], frame


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
                        for row in status.to_dict("records")],
            "runs": RUNS_DIR}


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


#: precision.json, declared once: key -> (the types it may have, required, what it is). Written by
#: precision_document and checked by check_document when read back (read_replications).
PRECISION_KEYS: Dict[str, Tuple[tuple, bool, str]] = {
    "rule": ((dict,), True, "the stopping rule: relative, max_replications, metrics, confidence"),
    "pilot": ((int,), True, "the replications run before the rule was first applied"),
    "seed": ((int,), True, "run.seed of every replication"),
    "replications": ((int,), True, "the replications kept: 0 .. replications-1"),
    "stopped": ((str,), True, '"precision reached" or "cap reached"'),
    "metrics": ((list,), True, "per metric of the rule: what it reached"),
    "runs": ((str,), False, "the folder holding every replication's run directory, RUNS_DIR/K (absent: "
                            "written before wsfleet kept them, only replication 0's files are there)"),
}
#: precision.json's rule: key -> (types, required).
RULE_KEYS: Dict[str, Tuple[tuple, bool]] = {"relative": ((int, float), True), "max_replications": ((int,), True),
                                            "metrics": ((list,), True), "confidence": ((int, float), False)}
#: One metric's entry: key -> types (None: undefined, a string: "inf").
METRIC_KEYS: Dict[str, tuple] = {"metric": (str,), "n": (int,), "mean": (int, float, str, type(None)),
                                 "ci_half_width": (int, float, str, type(None)),
                                 "relative_half_width": (int, float, str, type(None)), "measured": (bool,),
                                 "met": (bool,)}
#: Every replication's run directory (summary.json, timeseries.csv, scenario.toml) is RUNS_DIR/K.
RUNS_DIR = "replications"


def _check_table(table: Any, declared: Mapping[str, Any], where: str, required: Sequence[str]) -> None:
    if not isinstance(table, dict):
        raise ValueError(f"{where} must be a JSON object")
    for key in table:
        if key not in declared:
            raise ValueError(f"{where} has an undeclared key {key!r} (declared: {', '.join(declared)})")
    for key in required:
        if key not in table:
            raise ValueError(f"{where} lacks the key {key!r}")
    for key, value in table.items():
        types = declared[key][0] if isinstance(declared[key], tuple) and isinstance(declared[key][0], tuple) \
            else declared[key]
        if isinstance(value, bool) and bool not in types:
            raise ValueError(f"{where}.{key} must be {' or '.join(t.__name__ for t in types)} (got {value!r})")
        if not isinstance(value, types):
            raise ValueError(f"{where}.{key} must be {' or '.join(t.__name__ for t in types)} (got {value!r})")


def check_document(doc: Any) -> Dict[str, Any]:
    """precision.json as PRECISION_KEYS, RULE_KEYS and METRIC_KEYS declare it; a ValueError naming the
    key at fault otherwise."""
    _check_table(doc, PRECISION_KEYS, PRECISION_FILE, [k for k, (_, req, _) in PRECISION_KEYS.items() if req])
    _check_table(doc["rule"], RULE_KEYS, f"{PRECISION_FILE}'s rule", [k for k, (_, req) in RULE_KEYS.items() if req])
    for i, entry in enumerate(doc["metrics"]):
        _check_table(entry, METRIC_KEYS, f"{PRECISION_FILE}'s metrics[{i}]", list(METRIC_KEYS))
    if doc["replications"] < 1:
        raise ValueError(f"{PRECISION_FILE}: replications must be >= 1 (got {doc['replications']})")
    return doc


def write_replications(directory: Any, frame: pd.DataFrame, doc: Mapping[str, Any]) -> None:
    """REPLICATIONS_FILE and PRECISION_FILE into a run directory."""
    out = Path(directory)
    frame.to_parquet(out / REPLICATIONS_FILE, index=False)
    (out / PRECISION_FILE).write_text(json.dumps(check_document(dict(doc)), indent=2) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Replications:
    """A saved replicated run's table (one row per replication), its precision document and where
    every replication's run directory is (None when the run was saved before they were kept)."""
    frame: pd.DataFrame
    doc: Dict[str, Any]
    runs: Optional[Path] = None

    @property
    def n(self) -> int:
        return len(self.frame)

    @property
    def confidence(self) -> float:
        return float(self.doc["rule"].get("confidence", 0.95))

    def run_dir(self, k: int) -> Path:
        """Replication k's run directory; ValueError when k is out of range or it was not kept."""
        if not 0 <= k < self.n:
            raise IndexError(f"replication {k} does not exist: this run kept replications 0 to {self.n - 1}")
        if self.runs is None:
            raise ValueError(f"replication {k}'s time series was not kept: this run was saved before wsfleet kept "
                             f"every replication's ({RUNS_DIR}/K); only replication 0's files are there")
        return self.runs / str(k)


def read_replications(directory: Any) -> Optional[Replications]:
    """The replications of a run directory, or None for a run that was not replicated. Raises
    ValueError when the files are there but unreadable or not as declared."""
    base = Path(directory)
    if not (base / PRECISION_FILE).is_file():
        return None
    try:
        doc = check_document(json.loads((base / PRECISION_FILE).read_text(encoding="utf-8")))
        frame = pd.read_parquet(base / REPLICATIONS_FILE)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{base}: cannot read the replications ({PRECISION_FILE}, {REPLICATIONS_FILE}): {exc}") \
            from None
    if len(frame) != doc["replications"]:
        raise ValueError(f"{base}: {REPLICATIONS_FILE} has {len(frame)} rows but {PRECISION_FILE} says "
                         f"{doc['replications']} replications")
    runs = None
    if "runs" in doc:
        runs = base / doc["runs"]
        missing = [k for k in range(len(frame)) if not (runs / str(k)).is_dir()]
        if missing:
            raise ValueError(f"{runs}: {PRECISION_FILE} says every replication's run directory is here, but "
                             f"{', '.join(map(str, missing[:5]))}{' ...' if len(missing) > 5 else ''} "
                             f"{'is' if len(missing) == 1 else 'are'} missing")
    return Replications(frame, doc, runs)


def band(tidy: pd.DataFrame, column: str, confidence: float = 0.95) -> pd.DataFrame:
    """Per sample time (time_s) of a long frame of fleet rows with a `replication` column: n (the
    replications where `column` is a finite number at that time: a per-interval latency is undefined
    in an interval without messages), the mean over them, the half-width of its two-sided Student-t
    interval (wsfleet._stats.mean_ci: NaN with one replication), the minimum and the maximum."""
    from wsfleet._stats import mean_ci

    if column not in tidy.columns:
        raise KeyError(f"no fleet time-series column {column!r}; columns: {', '.join(map(str, tidy.columns))}")
    values = pd.to_numeric(tidy[column], errors="coerce").astype(float)
    rows = []
    for time_s, group in values.groupby(tidy[C.time_s].astype(float), sort=True):
        xs = [v for v in group.tolist() if math.isfinite(v)]
        mean, half, n = mean_ci(xs, confidence)
        rows.append({C.time_s: time_s, "n": n, "mean": mean, "ci_half_width": half,
                     "min": min(xs) if xs else math.nan, "max": max(xs) if xs else math.nan})
    return pd.DataFrame(rows, columns=[C.time_s, "n", "mean", "ci_half_width", "min", "max"])


def metric_values(frame: pd.DataFrame, column: str) -> Sequence[float]:
    return pd.to_numeric(frame[column], errors="coerce").astype(float).tolist() if column in frame.columns else []


__all__ += ["metric_values", "rule_of", "band"]
