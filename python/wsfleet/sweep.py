"""Parameter sweeps: a base scenario, axes over any scenario key, replications per point.

    import wsfleet
    sw = wsfleet.Sweep("experiments/scenarios/default.toml",
                       axes={"fleet.servers": [8, 10, 12], "backoff.base_s": wsfleet.Range(0.1, 10, steps=3, log=True)},
                       replications=5)
    result = sw.run("results/sweep", workers=2)        # or scheduler="tcp://host:8786" / a dask Client
    result.frame                                       # one row per (point, replication)
    result.aggregate()                                 # mean and confidence interval per point and metric
    wsfleet.load_sweep("results/sweep")                # the same table, later

or in the scenario file, run by `wsfleet sweep SCENARIO --out DIR`:

    [sweep]
    method = "grid"               # grid, random or latin_hypercube
    replications = 5
    # samples = 20                # random / latin_hypercube: how many points
    # seed = 1                    # default: the scenario's run.seed
    # common_random_numbers = true
    [sweep.axes]
    "fleet.servers" = [8, 10, 12]
    "backoff.base_s" = {low = 0.1, high = 10, steps = 3, log = true}

Seeding. Replication r of a point runs with run.replication = r and run.seed = the sweep's seed, so
it is the same run wherever (any worker, any machine) and whenever (a resumed sweep) it runs.
By default every point uses the same seed: replication r of every point draws the same random
numbers (common random numbers), which makes differences between points less noisy; replications
of one point are independent streams. With common_random_numbers = false each point gets its own
seed, a hash of the sweep seed and the point's axis values (still independent of its position).

Every point is validated (the same loader and messages as `wsfleet check`) before anything runs.
Results are written as each point finishes (see wsfleet._store); running the same sweep into the
same directory again computes only the points that are missing, with identical results.
"""
from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

try:  # Python 3.11+
    import tomllib as _toml
except ImportError:  # pragma: no cover - Python 3.9/3.10
    import tomli as _toml  # type: ignore[no-redef]

from wsfleet import _run
from wsfleet._axes import METHODS, Axis, AxisError, Range, expand, make_axes, point_id
from wsfleet._executors import make_executor
from wsfleet._stats import t_quantile
from wsfleet._store import ResultStore, StoreError, is_study_dir, load_results
from wsfleet._task import Task, run_task

__all__ = ["Study", "Sweep", "SweepResult", "SweepError", "Range", "sweep", "load_sweep", "aggregate", "main"]

PathLike = Union[str, "os.PathLike[str]"]
AGGREGATE_FILE = "aggregate.parquet"
#: The largest run.seed (a TOML integer, signed 64-bit).
MAX_SEED = 2**63 - 1
SWEEP_KEYS = ("method", "replications", "samples", "seed", "common_random_numbers", "axes")
_RANGE_FIELDS = {"low", "high", "min", "max", "steps", "log", "integer"}
#: Columns every results row has before the axes and the metrics.
ID_COLUMNS = ("point", "point_id", "replication", "seed")


class SweepError(ValueError):
    """A sweep is malformed, an axis value is rejected, or points failed; the message says which."""


class PointsFailed(SweepError):
    """Points failed while running (a worker lost, a run past its timeout, a failed conservation
    check): every point was validated first, so this is not bad input (`wsfleet sweep` exits 1)."""


# --------------------------------------------------------------------------------------------
# The base scenario


@dataclass(frozen=True)
class BaseScenario:
    text: str            # the scenario as given (a [sweep] or [plan] table in it is ignored by runs)
    source: str          # its name in messages: the path, "<string>" or "<dict>"
    table: Dict[str, Any] = field(compare=False, repr=False, default_factory=dict)

    @classmethod
    def load(cls, scenario: Any) -> "BaseScenario":
        if isinstance(scenario, BaseScenario):
            return scenario
        if isinstance(scenario, Mapping):
            import tomli_w

            text, source = tomli_w.dumps(dict(scenario)), "<dict>"
        elif isinstance(scenario, os.PathLike) or (isinstance(scenario, str) and _run._looks_like_path(scenario)):
            source = os.fspath(scenario)
            try:
                text = Path(source).read_text(encoding="utf-8")
            except OSError as exc:
                raise SweepError(f"{source}: cannot open scenario file: {exc.strerror or exc}") from None
        elif isinstance(scenario, str):
            text, source = scenario, "<string>"
        else:
            raise TypeError("scenario must be a path, a TOML string or a dict")
        try:
            table = _toml.loads(text)
        except _toml.TOMLDecodeError:
            table = {}  # the engine's loader reports the syntax error with its position below
        base = cls(text, source, table)
        base.check([])
        return base

    def check(self, overrides: Sequence[str]) -> str:
        """The effective scenario TOML with `overrides`; raises ScenarioError."""
        return _run._core.load_scenario_text(self.text, self.source, list(overrides))

    def effective(self, overrides: Sequence[str]) -> Dict[str, Any]:
        return _toml.loads(self.check(overrides))


def _suggest(name: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, allowed, n=1)
    return f"; did you mean '{close[0]}'?" if close else "."


def _flatten_axes(table: Mapping[str, Any], prefix: str = "") -> Dict[str, Any]:
    """[sweep.axes] with quoted keys ("fleet.servers" = ...) or dotted ones (fleet.servers = ...):
    a table that is not a range {low, high, ...} or {values = [...]} is a level of the key path."""
    out: Dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and not (set(value) & (_RANGE_FIELDS | {"values"})):
            out.update(_flatten_axes(value, path + "."))
        else:
            out[path] = value
    return out


def read_table(table: Any, source: str, name: str, allowed: Sequence[str]) -> Dict[str, Any]:
    """A study table ([sweep] or [plan]) with only `allowed` keys; errors name the file and key."""
    if not isinstance(table, Mapping):
        raise SweepError(f"{source}: {name} must be a table, written [{name}]")
    for key in table:
        if key not in allowed:
            raise SweepError(f"{source}: unknown key '{key}' in [{name}]{_suggest(key, allowed)} "
                             f"Allowed: {', '.join(allowed)}")
    return dict(table)


def _format_override(key: str, value: Any) -> str:
    return f"{key}={_run._format_value(value)}"


def _seed_for(base_seed: int, pid: str, common: bool) -> int:
    if common:
        return base_seed
    digest = hashlib.sha256(f"{base_seed}:{pid}".encode()).hexdigest()
    return int(digest[:15], 16)  # < 2^60: a valid run.seed


# --------------------------------------------------------------------------------------------
# The sweep


class Study:
    """What a sweep and a plan share: a base scenario with fixed overrides, a list of points (axis
    values), replications per point and the seeding rule. Subclasses fill base, overrides, seed,
    common_random_numbers, replications, points and point_ids."""

    base: BaseScenario
    overrides: Tuple[str, ...]
    seed: int
    common_random_numbers: bool
    replications: int
    points: List[Dict[str, Any]]
    point_ids: List[str]

    def point_overrides(self, index: int) -> List[str]:
        return [_format_override(k, v) for k, v in self.points[index].items()]

    def _check_point(self, point: Mapping[str, Any], where: str, single: bool = False) -> None:
        """Loads the base scenario with the point's values as `wsfleet check` would; raises SweepError
        naming the axis (or the whole point) when the loader rejects it."""
        overrides = list(self.overrides) + [_format_override(k, v) for k, v in point.items()]
        try:
            self.base.check(overrides)
        except _run._core.ScenarioError as exc:
            key = getattr(exc, "key", "") or ""
            culprit = next((k for k in point if key == k or key.startswith(k + ".")), None)
            if single and culprit is None and len(point) == 1:
                # The value is fine alone in its table but breaks another key (a fault's server index
                # beyond a smaller fleet): report it with the whole point.
                return
            if culprit is not None:
                raise SweepError(f"{where}: axis '{culprit}' = {point[culprit]!r} is rejected: "
                                 f"{_strip_override(str(exc))}") from None
            values = ", ".join(f"{k} = {v!r}" for k, v in point.items())
            raise SweepError(f"{where}: the point {values} is rejected: {exc}") from None

    def add_point(self, values: Mapping[str, Any]) -> int:
        """The index of the point with these values, appending it when new."""
        pid = point_id(values)
        if pid in self.point_ids:
            return self.point_ids.index(pid)
        self.points.append(dict(values))
        self.point_ids.append(pid)
        return len(self.points) - 1

    def tasks(self, index: int) -> List[Task]:
        pid = self.point_ids[index]
        seed = _seed_for(self.seed, pid, self.common_random_numbers)
        base = list(self.overrides) + self.point_overrides(index)
        return [Task(index, pid, r, seed, self.base.text, self.base.source,
                     tuple(base + [f"run.seed={seed}", f"run.replication={r}"]))
                for r in range(self.replications)]

    def row_prefix(self, index: int, replication: int, seed: int) -> Dict[str, Any]:
        row: Dict[str, Any] = {"point": index, "point_id": self.point_ids[index], "replication": replication,
                               "seed": seed}
        row.update(self.points[index])
        return row

    def __len__(self) -> int:
        return len(self.points)


class Sweep(Study):
    """A base scenario, axes, and replications per point.

    scenario: a path, a TOML string or a dict; its [sweep] table (if any) supplies whatever the
    arguments leave as None. axes: {scenario key: list of values | Range | {"low":..,"high":..}}.
    method: "grid" (default), "random" or "latin_hypercube" (with `samples` points).
    replications: runs per point (default 1). seed: the replications' run.seed and the sampling
    seed (default: the scenario's run.seed). common_random_numbers: see the module docstring
    (default True). overrides: fixed `--set` overrides applied to every point.
    Raises SweepError naming the axis and value when a point does not validate.
    """

    def __init__(self, scenario: Any, axes: Optional[Mapping[str, Any]] = None, *, method: Optional[str] = None,
                 samples: Optional[int] = None, replications: Optional[int] = None, seed: Optional[int] = None,
                 common_random_numbers: Optional[bool] = None, overrides: _run.Overrides = None) -> None:
        self.base = BaseScenario.load(scenario)
        source = self.base.source
        table = self.base.table.get("sweep")
        given = read_table(table, source, "sweep", SWEEP_KEYS) if table is not None else {}
        where = f"{source}: [sweep]" if table is not None else "sweep"
        if axes is None:
            if "axes" not in given:
                raise SweepError(f"{source}: no axes: give axes=... or a [sweep.axes] table in the scenario, "
                                 "e.g. \"fleet.servers\" = [4, 8, 16]")
            if not isinstance(given["axes"], Mapping):
                raise SweepError(f"{where}: axes must be a table, written [sweep.axes]")
            axes = _flatten_axes(given["axes"])
            where_axes = f"{source}: [sweep.axes]"
        else:
            where_axes = "sweep axes"
        self.method = method if method is not None else given.get("method", "grid")
        self.samples = samples if samples is not None else given.get("samples")
        self.replications = replications if replications is not None else given.get("replications", 1)
        crn = common_random_numbers if common_random_numbers is not None else given.get("common_random_numbers", True)
        if not isinstance(crn, bool):
            raise SweepError(f"{where}: common_random_numbers must be true or false (got {crn!r})")
        self.common_random_numbers = crn
        if not isinstance(self.replications, int) or isinstance(self.replications, bool) or self.replications < 1:
            raise SweepError(f"{where}: replications must be a whole number >= 1 (got {self.replications!r})")
        if self.method not in METHODS:
            raise SweepError(f"{where}: method must be one of {', '.join(METHODS)} (got {self.method!r})"
                             f"{_suggest(str(self.method), METHODS)}".rstrip("."))
        self.overrides: Tuple[str, ...] = tuple(_run._override_list(overrides, None, None))
        try:
            effective = self.base.effective(self.overrides)
        except _run._core.ScenarioError as exc:
            raise SweepError(str(exc)) from None
        seed = seed if seed is not None else given.get("seed", effective["run"]["seed"])
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
            # run.seed is a TOML integer: past 2^63 - 1 every point would fail after validation.
            raise SweepError(f"{where}: seed must be a whole number from 0 to {MAX_SEED} (got {seed!r})")
        self.seed = seed
        try:
            self.axes: List[Axis] = make_axes(axes)
            points = expand(self.axes, self.method, self.samples, self.seed)
        except AxisError as exc:
            raise SweepError(f"{where_axes}: {exc}") from None
        self.points: List[Dict[str, Any]] = points
        self.point_ids = [point_id(p) for p in points]
        self._validate(where_axes)

    # --- validation ---
    def _validate(self, where: str) -> None:
        """Loads every point as `wsfleet check` would, before anything runs."""
        for axis in self.axes:  # one message per bad axis value, naming it
            for value in (axis.values if axis.values is not None else (axis.range.low, axis.range.high)):
                self._check_point({axis.key: value}, where, single=True)
        for index, point in enumerate(self.points):
            self._check_point(point, where, single=False)

    # --- identity and tasks ---
    def spec(self) -> Dict[str, Any]:
        """What determines the results (the identity of an output directory)."""
        return {
            "scenario_sha256": hashlib.sha256(self.base.text.encode()).hexdigest(),
            "source": self.base.source,
            "overrides": list(self.overrides),
            "axes": [a.describe() for a in self.axes],
            "method": self.method,
            "samples": self.samples,
            "replications": self.replications,
            "seed": self.seed,
            "common_random_numbers": self.common_random_numbers,
        }

    def identity(self) -> str:
        spec = dict(self.spec())
        spec.pop("source")  # the same scenario text from another path is the same sweep
        return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()

    def __repr__(self) -> str:
        return (f"Sweep({self.base.source!r}, {len(self.points)} points x {self.replications} replications, "
                f"axes {[a.key for a in self.axes]}, method {self.method!r})")

    # --- running ---
    def run(self, out: PathLike, *, workers: Optional[int] = None, scheduler: Any = None,
            progress: Optional[bool] = None, retries: int = 3, overwrite: bool = False,
            timeout_s: Optional[float] = None, _task_fn: Callable[[Task], Any] = run_task) -> "SweepResult":
        """Runs every missing point into `out` and returns the results.

        workers: local worker processes (default: one per core; 0 runs in this process).
        scheduler: a Dask scheduler address ("tcp://host:8786") or a dask.distributed.Client.
        progress: a progress bar (default: when stderr is a terminal, or in a notebook).
        retries: how many times a task whose worker died is tried again.
        timeout_s: the longest one run may take; a run past it is ended with its worker process and
        counts as a dead worker (worker processes only).
        overwrite: replace a directory that holds a different study instead of refusing.
        Raises SweepError when points failed (the others are saved; running again retries them)."""
        try:
            store = ResultStore(out, "sweep", self.spec(), self.identity(), self.base.text, overwrite=overwrite)
        except StoreError as exc:
            raise SweepError(str(exc)) from None
        done = store.done(self.replications)
        todo = [i for i, pid in enumerate(self.point_ids) if pid not in done]
        errors = execute(self, store, todo, workers=workers, scheduler=scheduler, progress=progress,
                         retries=retries, task_fn=_task_fn, total=len(self.points), timeout_s=timeout_s)
        frame = store.load()
        if not errors:
            agg = aggregate(frame, axes=[a.key for a in self.axes])
            agg.to_parquet(Path(out) / AGGREGATE_FILE, index=False)
        if errors:
            raise PointsFailed(_failure_message(errors, len(todo), out))
        return SweepResult(Path(out), frame, [a.key for a in self.axes])


def _strip_override(message: str) -> str:
    """"--set fleet.servers=0: fleet.servers must be ..." -> "fleet.servers must be ..."."""
    if message.startswith("--set ") and ": " in message:
        return message.split(": ", 1)[1]
    return message


def _failure_message(errors: List[Tuple[Task, BaseException]], attempted: int, out: PathLike) -> str:
    failed_points = sorted({t.point for t, _ in errors})
    lines = [f"{len(failed_points)} of {attempted} point(s) failed; the others are saved in {out} "
             "(run the same sweep again to retry only the failed ones):"]
    for task, exc in errors[:5]:
        lines.append(f"  point {task.point} replication {task.replication}: {type(exc).__name__}: {exc}")
    if len(errors) > 5:
        lines.append(f"  ... and {len(errors) - 5} more")
    return "\n".join(lines)


#: Seconds between two plain progress lines when stderr is not a terminal (nohup, CI, a log file).
PLAIN_PROGRESS_EVERY_S = 30.0


class _Progress:
    """A tqdm bar in a terminal or notebook; otherwise (progress=None and stderr is not a terminal) a
    plain line on stderr at most every PLAIN_PROGRESS_EVERY_S seconds, and one at the end; nothing
    with progress=False."""

    def __init__(self, enabled: Optional[bool], total: Optional[int], initial: int, label: str) -> None:
        self.bar = None
        self.plain = False
        self.label, self.total, self.done, self.initial = label, total, initial, initial
        self.start = self.last = time.monotonic()
        if enabled is False or (total is not None and total <= initial):
            return
        if enabled or _interactive():
            self.bar = _tqdm()(total=total, initial=initial, unit="point", desc=label, dynamic_ncols=True,
                               smoothing=0.1)
        else:
            self.plain = True

    def _line(self) -> None:
        elapsed = time.monotonic() - self.start
        made = self.done - self.initial
        rate = made / elapsed if elapsed > 0 else 0.0
        of = f"/{self.total}" if self.total is not None else ""
        left = ""
        if self.total is not None and rate > 0:
            left = f", about {math.ceil((self.total - self.done) / rate)} s left"
        print(f"wsfleet {self.label}: {self.done}{of} points done, {elapsed:.0f} s elapsed{left}",
              file=sys.stderr, flush=True)
        self.last = time.monotonic()

    def update(self) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
        elif self.plain and time.monotonic() - self.last >= PLAIN_PROGRESS_EVERY_S:
            self._line()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.plain and self.done > self.initial:
            self._line()


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    try:
        return shell is not None and type(shell.get_ipython()).__name__ == "ZMQInteractiveShell"  # type: ignore
    except Exception:  # noqa: BLE001
        return False


def _interactive() -> bool:
    return _in_notebook() or (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())


def _tqdm():
    """tqdm's notebook widget when ipywidgets is there, else the text bar."""
    if _in_notebook():
        try:
            import ipywidgets  # noqa: F401
            from tqdm.notebook import tqdm

            return tqdm
        except ImportError:
            pass
    from tqdm.std import tqdm

    return tqdm


def _executor(workers: Optional[int], scheduler: Any, timeout_s: Optional[float]) -> Any:
    try:
        return make_executor(workers, scheduler, timeout_s)
    except ValueError as exc:
        raise SweepError(str(exc)) from None


def execute(study: Any, store: ResultStore, todo: Sequence[int], *, workers: Optional[int], scheduler: Any,
            progress: Optional[bool], retries: int, task_fn: Callable[[Task], Any], total: int,
            executor: Any = None, label: str = "sweep", bar: Any = None,
            timeout_s: Optional[float] = None) -> List[Tuple[Task, BaseException]]:
    """Runs the replications of the points `todo` of `study` (a Sweep, or anything with tasks(),
    row_prefix() and replications) and writes each point to `store` as soon as it is complete.
    Returns the failed tasks with their errors."""
    errors: List[Tuple[Task, BaseException]] = []
    if not todo:
        return errors
    own = executor is None
    if executor is None:
        executor = _executor(workers, scheduler, timeout_s)
    own_bar = bar is None
    if bar is None:
        bar = _Progress(progress, total, total - len(todo), label)
    pending: Dict[int, Dict[int, Dict[str, Any]]] = {i: {} for i in todo}
    failed_points = set()
    try:
        tasks = [t for i in todo for t in study.tasks(i)]
        for task, ok, value in executor.run(task_fn, tasks, retries=retries):
            if not ok:
                errors.append((task, value))
                failed_points.add(task.point)
                continue
            row = study.row_prefix(task.point, task.replication, task.seed)
            row.update({k: v for k, v in value.items() if k not in row})
            reps = pending[task.point]
            reps[task.replication] = row
            if len(reps) == study.replications and task.point not in failed_points:
                store.write_point(task.point_id, [reps[r] for r in sorted(reps)])
                del pending[task.point]
                bar.update()
    finally:
        if own_bar:
            bar.close()
        if own:
            executor.close()
    return errors


# --------------------------------------------------------------------------------------------
# Results


@dataclass(repr=False)
class SweepResult:
    """The output of a sweep: its directory, the tidy table, and the axis columns."""
    directory: Path
    frame: pd.DataFrame
    axes: List[str]

    def report(self, out: Optional[PathLike] = None, *, plots: bool = True) -> Path:
        """Write the sweep's HTML report (default: DIRECTORY/report.html); returns its path."""
        from wsfleet.report import write_report

        return write_report(self.directory, out, plots=plots)

    def __repr__(self) -> str:
        points = self.frame["point"].nunique() if "point" in self.frame.columns else 0
        return (f"SweepResult({points} points x {len(self.frame) // max(points, 1)} replications over "
                f"{', '.join(self.axes)}, in {str(self.directory)!r}; .frame, .aggregate(), .report())")

    def _repr_html_(self) -> str:
        import html as _html

        return (f"<div><strong>{_html.escape(repr(self))}</strong>"
                + self.aggregate().head(12).to_html(index=False, max_cols=10) + "</div>")

    def aggregate(self, metrics: Optional[Sequence[str]] = None, confidence: float = 0.95) -> pd.DataFrame:
        return aggregate(self.frame, axes=self.axes, metrics=metrics, confidence=confidence)


def load_sweep(directory: PathLike) -> pd.DataFrame:
    """The results of a sweep (or plan) directory: one row per (point, replication), every axis and
    every scalar metric a column. The same as pandas.read_parquet(DIR / "results"), in order."""
    if not is_study_dir(directory):
        raise SweepError(f"{directory}: not a sweep or plan directory (no study.json)")
    try:
        return load_results(directory)
    except StoreError as exc:
        raise SweepError(str(exc)) from None


def aggregate(frame: pd.DataFrame, axes: Optional[Sequence[str]] = None, metrics: Optional[Sequence[str]] = None,
              confidence: float = 0.95) -> pd.DataFrame:
    """Per point and metric: the mean over replications, the half-width and bounds of its two-sided
    Student-t `confidence` interval, the standard deviation and n. A tidy (long) table with the
    point's axis values as columns. Non-numeric metrics and the wall time are left out."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (got {confidence})")
    axes = list(axes) if axes is not None else list(frame.attrs.get("axes", []))
    keep = set(ID_COLUMNS) | set(axes) | {"wall_seconds"}
    if metrics is None:
        metrics = [c for c in frame.columns if c not in keep and pd.api.types.is_numeric_dtype(frame[c])
                   and not pd.api.types.is_bool_dtype(frame[c])]
    if frame.empty or not metrics:
        return pd.DataFrame(columns=["point", "point_id", *axes, "metric", "mean", "ci_low", "ci_high",
                                     "ci_half_width", "std", "n", "confidence"])
    values = frame[list(metrics)].astype(float)
    keys = frame[["point", "point_id", *axes]]
    # Long form first: one row per (run, metric), then one group per (point, metric).
    long = values.assign(point=keys["point"].to_numpy()).melt(id_vars="point", var_name="metric", value_name="value")
    finite = long["value"].where(np.isfinite(long["value"]))
    long = long.assign(finite=finite, infinite=np.isinf(long["value"]))
    stats = long.groupby(["point", "metric"], sort=False).agg(
        mean=("value", "mean"), n=("value", "count"), std=("finite", "std"), infinite=("infinite", "any")).reset_index()
    quantiles = {n: t_quantile(0.5 + confidence / 2.0, int(n) - 1) for n in stats["n"].unique() if n >= 2}
    t = stats["n"].map(lambda n: quantiles.get(n, math.nan)).astype(float)
    half = t * stats["std"] / np.sqrt(stats["n"].clip(lower=1))
    half = half.where(~stats["infinite"], math.inf).where(stats["n"] >= 2, math.nan)
    std = stats["std"].where(~stats["infinite"] & (stats["n"] >= 2), math.nan)
    out = pd.DataFrame({"point": stats["point"], "metric": stats["metric"], "mean": stats["mean"],
                        "ci_low": stats["mean"] - half, "ci_high": stats["mean"] + half, "ci_half_width": half,
                        "std": std, "n": stats["n"].astype("int64"), "confidence": confidence})
    points = keys.drop_duplicates("point")
    out = points.merge(out, on="point", how="right")
    order = {m: i for i, m in enumerate(metrics)}
    out = out.sort_values(["point", "metric"], key=lambda col: col.map(order) if col.name == "metric" else col,
                          kind="stable").reset_index(drop=True)
    out["point"] = out["point"].astype("int64")
    return out


def sweep(scenario: Any, axes: Optional[Mapping[str, Any]] = None, *, out: PathLike, method: Optional[str] = None,
          samples: Optional[int] = None, replications: Optional[int] = None, seed: Optional[int] = None,
          common_random_numbers: Optional[bool] = None, overrides: _run.Overrides = None,
          workers: Optional[int] = None, scheduler: Any = None, progress: Optional[bool] = None, retries: int = 3,
          overwrite: bool = False, timeout_s: Optional[float] = None) -> "SweepResult":
    """Define and run a sweep in one call: Sweep(scenario, axes, method=..., samples=...,
    replications=..., seed=..., common_random_numbers=..., overrides=...).run(out, workers=...,
    scheduler=..., progress=..., retries=..., overwrite=..., timeout_s=...). See Sweep and Sweep.run
    for each argument. Returns the SweepResult; raises SweepError."""
    study = Sweep(scenario, axes, method=method, samples=samples, replications=replications, seed=seed,
                  common_random_numbers=common_random_numbers, overrides=overrides)
    return study.run(out, workers=workers, scheduler=scheduler, progress=progress, retries=retries,
                     overwrite=overwrite, timeout_s=timeout_s)


# --------------------------------------------------------------------------------------------
# Command line: `wsfleet sweep` (experiments/cli/cmd_sweep.cpp) calls main(argv, prog).


def parse_axis(text: str) -> Tuple[str, Any]:
    """KEY=V1,V2,... (a list) or KEY=LOW:HIGH[:STEPS][:log] (a range)."""
    if "=" not in text:
        raise SweepError(f"--axis {text}: expected KEY=V1,V2,... or KEY=LOW:HIGH[:STEPS][:log]")
    key, spec = (part.strip() for part in text.split("=", 1))

    def value(word: str) -> Any:
        try:
            return _toml.loads(f"v = {word}")["v"]
        except _toml.TOMLDecodeError:
            return word

    if ":" in spec and "," not in spec:
        parts = spec.split(":")
        log = parts[-1] == "log"
        if log:
            parts = parts[:-1]
        if len(parts) not in (2, 3):
            raise SweepError(f"--axis {text}: a range is LOW:HIGH, LOW:HIGH:STEPS, optionally ending in :log")
        nums = [value(p) for p in parts]
        if len(nums) == 3 and not isinstance(nums[2], int):
            raise SweepError(f"--axis {text}: STEPS must be a whole number (got {parts[2]!r})")
        return key, Range(nums[0], nums[1], steps=nums[2] if len(nums) == 3 else None, log=log)
    return key, [value(v.strip()) for v in spec.split(",")]


def _add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="output directory; running again into it resumes the study")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a scenario key for every run (repeatable)")
    parser.add_argument("--replications", type=int, metavar="N", help="runs per point (default: from the file, else 1)")
    parser.add_argument("--seed", type=int, metavar="N", help="seed (default: the scenario's run.seed)")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="local worker processes (default: one per core; 0 = in this process)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://host:8786")
    parser.add_argument("--retries", type=int, default=3, metavar="N", help="tries again when a worker dies (3)")
    parser.add_argument("--overwrite", action="store_true", help="replace an output directory holding another study")
    parser.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="end a run that takes longer (with its worker; it is retried, then reported)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")
    parser.add_argument("--report", action="store_true", help="write DIR/report.html as well")


def main(argv: Optional[Sequence[str]] = None, prog: Optional[str] = None) -> int:
    parser = argparse.ArgumentParser(
        prog=prog or "wsfleet sweep",
        description="Run a parameter sweep: the scenario's [sweep] table and/or --axis options.")
    _add_common_arguments(parser)
    parser.add_argument("--axis", action="append", default=[], metavar="KEY=VALUES",
                        help="an axis: KEY=V1,V2,... or KEY=LOW:HIGH[:STEPS][:log] (repeatable; replaces [sweep.axes])")
    parser.add_argument("--method", choices=METHODS, help="grid (default), random or latin_hypercube")
    parser.add_argument("--samples", type=int, metavar="N", help="points to draw (random, latin_hypercube)")
    parser.add_argument("--no-crn", action="store_true",
                        help="a different seed per point instead of common random numbers")
    args = parser.parse_args(argv)
    try:
        axes = dict(parse_axis(a) for a in args.axis) if args.axis else None
        sw = Sweep(args.scenario, axes, method=args.method, samples=args.samples, replications=args.replications,
                   seed=args.seed, common_random_numbers=False if args.no_crn else None, overrides=args.overrides)
        if not args.quiet:
            print(f"{parser.prog}: {len(sw)} points x {sw.replications} replications -> {args.out}", file=sys.stderr)
        result = sw.run(args.out, workers=args.workers, scheduler=args.scheduler, progress=False if args.quiet else None,
                        retries=args.retries, overwrite=args.overwrite, timeout_s=args.timeout)
    except PointsFailed as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    except (SweepError, StoreError, _run._core.ScenarioError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted; finished points are saved in {args.out}: run the same command again "
              "to compute only the rest", file=sys.stderr)
        return 130
    if not args.quiet:
        print(f"wrote {len(result.frame)} rows to {Path(args.out) / 'results'}")
    if args.report:
        from wsfleet.report import write_report

        print(f"wrote {write_report(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
