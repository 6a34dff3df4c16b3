"""What a sweep (wsfleet.sweep) and a plan (wsfleet.plan) share: the base scenario, the Study base
class (points, replications, the seeding rule), running a study's points with progress and writing
each as it completes (`execute`), the failure message, and the command-line options both take.
SweepError, the error of both (PlanError derives from it), is re-exported as wsfleet.SweepError."""
from __future__ import annotations

import argparse
import difflib
import hashlib
import itertools
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

try:  # Python 3.11+
    import tomllib as _toml
except ImportError:  # pragma: no cover - Python 3.9/3.10
    import tomli as _toml  # type: ignore[no-redef]

from wsfleet import _core, _run
from wsfleet._axes import point_id
from wsfleet._executors import make_executor
from wsfleet._store import EXTRA_SEP, GROUP_DELAY_S, ResultStore
from wsfleet._precision import Precision, missing_metrics, next_total
from wsfleet._progress import interactive, tqdm_class
from wsfleet._task import Task

PathLike = Union[str, "os.PathLike[str]"]
_RANGE_FIELDS = {"low", "high", "min", "max", "steps", "log", "integer"}


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
        elif isinstance(scenario, os.PathLike) or (isinstance(scenario, str) and _run.looks_like_path(scenario)):
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
        return _core.load_scenario_text(self.text, self.source, list(overrides))

    def effective(self, overrides: Sequence[str]) -> Dict[str, Any]:
        return _toml.loads(self.check(overrides))


def suggest(name: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, allowed, n=1)
    return f"; did you mean '{close[0]}'?" if close else "."


def flatten_axes(table: Mapping[str, Any], prefix: str = "") -> Dict[str, Any]:
    """[sweep.axes] with quoted keys ("fleet.servers" = ...) or dotted ones (fleet.servers = ...):
    a table that is not a range {low, high, ...} or {values = [...]} is a level of the key path."""
    out: Dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and not (set(value) & (_RANGE_FIELDS | {"values"})):
            out.update(flatten_axes(value, path + "."))
        else:
            out[path] = value
    return out


def read_table(table: Any, source: str, name: str, allowed: Sequence[str]) -> Dict[str, Any]:
    """A study table ([sweep] or [plan]) with only `allowed` keys; errors name the file and key."""
    if not isinstance(table, Mapping):
        raise SweepError(f"{source}: {name} must be a table, written [{name}]")
    for key in table:
        if key not in allowed:
            raise SweepError(f"{source}: unknown key '{key}' in [{name}]{suggest(key, allowed)} "
                             f"Allowed: {', '.join(allowed)}")
    return dict(table)


def format_override(key: str, value: Any) -> str:
    return f"{key}={_run.format_value(value)}"


def seed_for(base_seed: int, pid: str, common: bool) -> int:
    if common:
        return base_seed
    digest = hashlib.sha256(f"{base_seed}:{pid}".encode()).hexdigest()
    return int(digest[:15], 16)  # < 2^60: a valid run.seed


# --------------------------------------------------------------------------------------------
# The study: points, replications, seeds


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
        return [format_override(k, v) for k, v in self.points[index].items()]

    def _check_point(self, point: Mapping[str, Any], where: str, single: bool = False) -> None:
        """Loads the base scenario with the point's values as `wsfleet check` would; raises SweepError
        naming the axis (or the whole point) when the loader rejects it."""
        overrides = list(self.overrides) + [format_override(k, v) for k, v in point.items()]
        try:
            self.base.check(overrides)
        except _core.ScenarioError as exc:
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

    def tasks(self, index: int, start: int = 0, stop: Optional[int] = None) -> List[Task]:
        """Replications start..stop-1 (default: all of them) of point `index`."""
        pid = self.point_ids[index]
        seed = seed_for(self.seed, pid, self.common_random_numbers)
        base = list(self.overrides) + self.point_overrides(index)
        return [Task(index, pid, r, seed, self.base.text, self.base.source,
                     tuple(base + [f"run.seed={seed}", f"run.replication={r}"]),
                     tuple(self.row_prefix(index, r, seed).items()))
                for r in range(start, self.replications if stop is None else stop)]

    def row_prefix(self, index: int, replication: int, seed: int) -> Dict[str, Any]:
        row: Dict[str, Any] = {"point": index, "point_id": self.point_ids[index], "replication": replication,
                               "seed": seed}
        row.update(self.points[index])
        return row

    def __len__(self) -> int:
        return len(self.points)


# --------------------------------------------------------------------------------------------
# Running the points


def _strip_override(message: str) -> str:
    """"--set fleet.servers=0: fleet.servers must be ..." -> "fleet.servers must be ..."."""
    if message.startswith("--set ") and ": " in message:
        return message.split(": ", 1)[1]
    return message


def failure_message(errors: List[Tuple[Task, BaseException]], attempted: int, out: PathLike) -> str:
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


class Progress:
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
        if enabled or interactive():
            self.bar = tqdm_class()(total=total, initial=initial, unit="point", desc=label, dynamic_ncols=True,
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

    def update(self, points: int = 1) -> None:
        if points <= 0:
            return
        self.done += points
        if self.bar is not None:
            self.bar.update(points)
        elif self.plain and time.monotonic() - self.last >= PLAIN_PROGRESS_EVERY_S:
            self._line()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.plain and self.done > self.initial:
            self._line()


def study_executor(workers: Optional[int], scheduler: Any, timeout_s: Optional[float]) -> Any:
    """The executor for `workers` or `scheduler`; a bad choice is a SweepError."""
    try:
        return make_executor(workers, scheduler, timeout_s)
    except ValueError as exc:
        raise SweepError(str(exc)) from None


def execute(study: Any, store: ResultStore, todo: Sequence[int], *, workers: Optional[int], scheduler: Any,
            progress: Optional[bool], retries: int, task_fn: Callable[[Task], Any], total: int,
            executor: Any = None, label: str = "sweep", bar: Any = None,
            timeout_s: Optional[float] = None,
            ranges: Optional[Mapping[int, Tuple[int, int]]] = None) -> List[Tuple[Task, BaseException]]:
    """Runs the replications of the points `todo` of `study` (a Sweep, or anything with tasks(),
    row_prefix() and replications) and hands each point to `store` as soon as it is complete; the
    store commits them in groups (wsfleet._store), and a point counts as done (progress) once its
    group is committed. ranges: per point, the replications (start, stop) to run instead of all of
    them; those added to a point that has some already are named <point_id>~<start> in the store.
    Returns the failed tasks with their errors."""
    errors: List[Tuple[Task, BaseException]] = []
    if not todo:
        return errors
    own = executor is None
    if executor is None:
        executor = study_executor(workers, scheduler, timeout_s)
    own_bar = bar is None
    if bar is None:
        bar = Progress(progress, total, total - len(todo), label)
    pending: Dict[int, Dict[int, Dict[str, Any]]] = {i: {} for i in todo}
    failed_points = set()
    span = {i: (ranges[i] if ranges is not None else (0, study.replications)) for i in todo}
    # An executor that ticks (local workers) wakes this loop at least every TICK_S, so a group is
    # committed when its oldest point has waited GROUP_DELAY_S. For the others (in this process, Dask)
    # the group is committed when the next outcome is expected to come too late (the recent gaps).
    ticks = executor.ticks
    gap = _ExpectedGap()
    try:
        tasks = [t for i in todo for t in study.tasks(i, *span[i])]
        for outcome in executor.run(task_fn, tasks, retries=retries, **({"tick_s": TICK_S} if ticks else {})):
            if outcome is not None:
                gap.outcome()
                task, ok, value = outcome
                if not ok:
                    errors.append((task, value))
                    failed_points.add(task.point)
                    continue
                prefix = study.row_prefix(task.point, task.replication, task.seed)
                row = {**prefix, **value}  # the prefix's columns first, and its values kept
                row.update(prefix)
                reps = pending[task.point]
                reps[task.replication] = row
                start, stop = span[task.point]
                if len(reps) == stop - start and task.point not in failed_points:
                    name = task.point_id if start == 0 else f"{task.point_id}{EXTRA_SEP}{start}"
                    bar.update(store.add_point(name, [reps[r] for r in sorted(reps)]))
                    del pending[task.point]
            if store.due(0.0 if ticks else gap.expected()):
                bar.update(store.commit())
    finally:
        # The last group (or, on Ctrl-C, what finished before it) is committed before the study returns.
        bar.update(store.commit())
        if own_bar:
            bar.close()
        if own:
            executor.close()
    return errors


#: How often a ticking executor wakes the driver when no run finishes (seconds).
TICK_S = GROUP_DELAY_S / 4


class _ExpectedGap:
    """The expected time until the next outcome: a moving average of the gaps between the last ones
    (GROUP_DELAY_S before there are two, so that the first point is committed at once)."""

    def __init__(self) -> None:
        self.last: Optional[float] = None
        self.mean = GROUP_DELAY_S

    def outcome(self) -> None:
        now = time.monotonic()
        if self.last is not None:
            gap = now - self.last
            self.mean = gap if self.mean >= GROUP_DELAY_S else 0.7 * self.mean + 0.3 * gap
        self.last = now

    def expected(self) -> float:
        return self.mean


def run_to_precision(study: Any, store: ResultStore, points: Sequence[int], precision: Precision,
                     run_round: Callable[[List[int], Dict[int, Tuple[int, int]], int], None],
                     check_metrics: bool = True,
                     decided: Optional[Callable[[Any], bool]] = None) -> None:
    """Precision-driven replication (wsfleet._precision) of `points` of `study`: rounds of
    run_round(points, {point: (first replication, stop)}, round number) until every point has its
    first study.replications runs and then meets the rule or has reached the cap. Points are
    followed by point id (the store's replication counts), so a resumed study, or a plan whose
    later search reaches the same point, continues where it stopped and ends with the same runs.
    check_metrics: a rule metric that is not a result column is a SweepError (after the first runs).
    decided(rows): True when a point's runs so far settle what the study needs of it (a plan's size
    clearly meets or clearly fails its objectives): it gets no more replications."""
    counts_by_id = store.replication_counts()
    for round_number in itertools.count(1):
        counts = {i: counts_by_id.get(study.point_ids[i], 0) for i in points}
        ranges = {i: (n, study.replications) for i, n in counts.items() if n < study.replications}
        rest = [i for i in points if i not in ranges]
        if rest:
            frame = store.load()
            problems = missing_metrics(precision, list(frame.columns)) if check_metrics else []
            if problems:  # known only once runs exist: they are kept
                raise SweepError("precision_metrics: " + "; ".join(problems))
            for i in rest:
                rows = frame[frame["point_id"] == study.point_ids[i]]
                if decided is not None and decided(rows):
                    continue
                total = next_total(rows, precision, counts[i])
                if total is not None:
                    ranges[i] = (counts[i], total)
        if not ranges:
            return
        run_round(sorted(ranges), ranges, round_number)
        counts_by_id.update({study.point_ids[i]: stop for i, (_, stop) in ranges.items()})


# --------------------------------------------------------------------------------------------
# Command line


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The options `wsfleet sweep` and `wsfleet plan` share."""
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
