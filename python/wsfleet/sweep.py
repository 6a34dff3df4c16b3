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
    # precision = 0.05            # replicate each point until the 95 % intervals are within ±5 %
    # max_replications = 30       #   of the means of precision_metrics, at most this many runs
    # precision_metrics = ["messages.latency_ms.p99"]
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
Finished points are committed in groups, at most a second after they finish (see wsfleet._store);
running the same sweep into the same directory again computes only the points that are missing,
with identical results.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import pandas as pd

try:  # Python 3.11+
    import tomllib as _toml
except ImportError:  # pragma: no cover - Python 3.9/3.10
    import tomli as _toml  # type: ignore[no-redef]

from wsfleet import _core, _run
from wsfleet._aggregate import aggregate
from wsfleet._precision import (DEFAULT_PILOT, DEFAULT_RELATIVE, Precision, describe_outcome, make_precision,
                                point_status, precision_status)
from wsfleet._axes import METHODS, Axis, AxisError, Range, expand, make_axes, point_id
from wsfleet._store import ResultStore, StoreError, is_study_dir, load_results, write_error
from wsfleet._study import (BaseScenario, PointsFailed, Study, SweepError, add_common_arguments, execute,
                            failure_message, flatten_axes, read_table, run_to_precision, study_executor, suggest)
from wsfleet._task import Task, run_task
from wsfleet.views import Scenario

__all__ = ["Study", "Sweep", "SweepResult", "SweepError", "Range", "sweep", "load_sweep", "aggregate", "main"]

PathLike = Union[str, "os.PathLike[str]"]
AGGREGATE_FILE = "aggregate.parquet"
#: The largest run.seed (a TOML integer, signed 64-bit).
MAX_SEED = 2**63 - 1
SWEEP_KEYS = ("method", "replications", "samples", "seed", "common_random_numbers", "axes", "precision",
              "max_replications", "precision_metrics")


# --------------------------------------------------------------------------------------------
# The sweep


class Sweep(Study):
    """A base scenario, axes, and replications per point.

    scenario: a path, a TOML string or a dict; its [sweep] table (if any) supplies whatever the
    arguments leave as None. axes: {scenario key: list of values | Range | {"low":..,"high":..}}.
    method: "grid" (default), "random" or "latin_hypercube" (with `samples` points).
    replications: runs per point (default 1). seed: the replications' run.seed and the sampling
    seed (default: the scenario's run.seed). common_random_numbers: see the module docstring
    (default True). overrides: fixed `--set` overrides applied to every point.
    precision: replicate each point until the confidence interval of the mean of every metric in
    precision_metrics (default: p99 message and handshake latency, peak CPU, peak connections per
    server) is within ±precision of the mean (0.05: ±5 %), or max_replications (default 30) is
    reached; replications is then the number each point starts with (default 3), and
    replications="auto" means precision 0.05. See wsfleet._precision; SweepResult.precision()
    says per point which happened.
    Raises SweepError naming the axis and value when a point does not validate.
    """

    def __init__(self, scenario: Any, axes: Optional[Mapping[str, Any]] = None, *, method: Optional[str] = None,
                 samples: Optional[int] = None, replications: Union[int, str, None] = None, seed: Optional[int] = None,
                 common_random_numbers: Optional[bool] = None, overrides: _run.Overrides = None,
                 precision: Optional[float] = None, max_replications: Optional[int] = None,
                 precision_metrics: Optional[Sequence[str]] = None) -> None:
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
            axes = flatten_axes(given["axes"])
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
        precision = precision if precision is not None else given.get("precision")
        max_replications = max_replications if max_replications is not None else given.get("max_replications")
        precision_metrics = precision_metrics if precision_metrics is not None else given.get("precision_metrics")
        if self.replications == "auto":
            self.replications = DEFAULT_PILOT
            precision = DEFAULT_RELATIVE if precision is None else precision
        elif (precision is not None or max_replications is not None or precision_metrics is not None) \
                and replications is None and "replications" not in given:
            self.replications = DEFAULT_PILOT
        self.precision: Optional[Precision] = None
        if precision is None and (max_replications is not None or precision_metrics is not None):
            raise SweepError(f"{where}: max_replications and precision_metrics need precision (e.g. 0.05 for ±5 %) "
                             "or replications = \"auto\"")
        if precision is not None:
            if not isinstance(self.replications, int) or isinstance(self.replications, bool) or self.replications < 2:
                raise SweepError(f"{where}: with precision, replications (the first replications of every point) "
                                 f"must be a whole number >= 2: a confidence interval needs two "
                                 f"(got {self.replications!r})")
            try:
                self.precision = make_precision(precision, max_replications, precision_metrics, self.replications,
                                                where)
            except ValueError as exc:
                raise SweepError(str(exc)) from None
        if not isinstance(self.replications, int) or isinstance(self.replications, bool) or self.replications < 1:
            raise SweepError(f"{where}: replications must be a whole number >= 1, or \"auto\" "
                             f"(got {self.replications!r})")
        if self.method not in METHODS:
            raise SweepError(f"{where}: method must be one of {', '.join(METHODS)} (got {self.method!r})"
                             f"{suggest(str(self.method), METHODS)}".rstrip("."))
        self.overrides: Tuple[str, ...] = tuple(_run.override_list(overrides, None, None))
        try:
            effective = self.base.effective(self.overrides)
        except _core.ScenarioError as exc:
            raise SweepError(str(exc)) from None
        seed = seed if seed is not None else given.get("seed", Scenario(effective).run.seed)
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
            # Only with precision-driven replication, so that the other sweeps' identities do not change.
            **({"precision": self.precision.describe()} if self.precision is not None else {}),
        }

    def identity(self) -> str:
        spec = dict(self.spec())
        spec.pop("source")  # the same scenario text from another path is the same sweep
        return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()

    def __repr__(self) -> str:
        reps = (f"{self.replications} to {self.precision.max_replications} replications (precision "
                f"±{self.precision.relative:.1%})" if self.precision is not None else f"{self.replications} replications")
        return (f"Sweep({self.base.source!r}, {len(self.points)} points x {reps}, "
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
        if self.precision is not None:
            frame = self._run_to_precision(store, out, workers=workers, scheduler=scheduler, progress=progress,
                                           retries=retries, timeout_s=timeout_s, task_fn=_task_fn)
        else:
            done = store.done(self.replications)
            todo = [i for i, pid in enumerate(self.point_ids) if pid not in done]
            errors = execute(self, store, todo, workers=workers, scheduler=scheduler, progress=progress,
                             retries=retries, task_fn=_task_fn, total=len(self.points), timeout_s=timeout_s)
            if errors:
                raise PointsFailed(failure_message(errors, len(todo), out))
            frame = store.load()
        agg = aggregate(frame, axes=[a.key for a in self.axes])
        agg.to_parquet(Path(out) / AGGREGATE_FILE, index=False)
        return SweepResult(Path(out), frame, [a.key for a in self.axes], self.precision)

    def _run_to_precision(self, store: ResultStore, out: PathLike, *, workers: Optional[int], scheduler: Any,
                          progress: Optional[bool], retries: int, timeout_s: Optional[float],
                          task_fn: Callable[[Task], Any]) -> pd.DataFrame:
        """Rounds of replications (wsfleet._study.run_to_precision): the first `replications` of every
        point, then more for the points whose intervals are still too wide, until each has its
        precision or the cap. Each point's decisions depend on its own replications only, so a
        resumed sweep ends with the same replications as one that ran through."""
        assert self.precision is not None
        executor = None

        def run_round(todo: List[int], ranges: Dict[int, Tuple[int, int]], number: int) -> None:
            nonlocal executor
            if executor is None:
                executor = study_executor(workers, scheduler, timeout_s)
            errors = execute(self, store, todo, workers=workers, scheduler=scheduler, progress=progress,
                             retries=retries, task_fn=task_fn, total=len(todo), executor=executor,
                             label=f"sweep round {number}", ranges=ranges)
            if errors:
                raise PointsFailed(failure_message(errors, len(todo), out))

        try:
            run_to_precision(self, store, list(range(len(self.points))), self.precision, run_round)
        finally:
            if executor is not None:
                executor.close()
        return store.load()


# --------------------------------------------------------------------------------------------
# Results


@dataclass(repr=False)
class SweepResult:
    """The output of a sweep: its directory, the tidy table, the axis columns, and the precision
    rule when replications were precision-driven."""
    directory: Path
    frame: pd.DataFrame
    axes: List[str]
    precision_rule: Optional[Precision] = None

    def precision(self, by: str = "point") -> pd.DataFrame:
        """Precision-driven replication's outcome. by="point": per point, its replications n, whether
        every metric reached the relative precision ("stopped": "precision reached" or "cap
        reached"), and the metric furthest from it. by="metric": per point and metric, n, the mean,
        the half-width and the relative half-width of its interval, and whether it is met.
        Raises SweepError for a sweep with a fixed number of replications."""
        if self.precision_rule is None:
            raise SweepError("this sweep ran a fixed number of replications (no precision was asked)")
        status = precision_status(self.frame, self.precision_rule, self.axes)
        if by == "metric":
            return status
        if by != "point":
            raise ValueError(f"by must be 'point' or 'metric' (got {by!r})")
        points = point_status(status, self.precision_rule)
        firsts = self.frame.groupby("point", sort=True).first().reset_index()[["point", *self.axes]]
        return firsts.merge(points, on="point")

    def report(self, out: Optional[PathLike] = None, *, plots: bool = True) -> Path:
        """Write the sweep's HTML report (default: DIRECTORY/report.html); returns its path."""
        from wsfleet.report import write_report

        return write_report(self.directory, out, plots=plots)

    def __repr__(self) -> str:
        points = self.frame["point"].nunique() if "point" in self.frame.columns else 0
        if self.precision_rule is not None and points:
            sizes = self.frame.groupby("point").size()
            reps = f"{sizes.min()} to {sizes.max()} replications (precision ±{self.precision_rule.relative:.1%})"
        else:
            reps = f"{len(self.frame) // max(points, 1)} replications"
        return (f"SweepResult({points} points x {reps} over "
                f"{', '.join(self.axes)}, in {str(self.directory)!r}; .frame, .aggregate(), "
                f"{'.precision(), ' if self.precision_rule is not None else ''}.report())")

    def _repr_html_(self) -> str:
        from wsfleet._html import snippet

        outcome = None
        if self.precision_rule is not None and not self.frame.empty:
            outcome = describe_outcome(self.precision(), self.precision_rule)
        table = self.aggregate().head(12)
        cells = [[f"{v:.4g}" if isinstance(v, float) else str(v) for v in row] for row in table.itertuples(index=False)]
        return snippet("sweep", title=repr(self), outcome=outcome, head=list(table.columns), rows=cells)

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


def sweep(scenario: Any, axes: Optional[Mapping[str, Any]] = None, *, out: PathLike, method: Optional[str] = None,
          samples: Optional[int] = None, replications: Optional[int] = None, seed: Optional[int] = None,
          common_random_numbers: Optional[bool] = None, overrides: _run.Overrides = None,
          workers: Optional[int] = None, scheduler: Any = None, progress: Optional[bool] = None, retries: int = 3,
          overwrite: bool = False, timeout_s: Optional[float] = None, precision: Optional[float] = None,
          max_replications: Optional[int] = None, precision_metrics: Optional[Sequence[str]] = None) -> "SweepResult":
    """Define and run a sweep in one call: Sweep(scenario, axes, method=..., samples=...,
    replications=..., seed=..., common_random_numbers=..., overrides=..., precision=...,
    max_replications=..., precision_metrics=...).run(out, workers=..., scheduler=..., progress=...,
    retries=..., overwrite=..., timeout_s=...). See Sweep and Sweep.run for each argument. Returns
    the SweepResult; raises SweepError."""
    study = Sweep(scenario, axes, method=method, samples=samples, replications=replications, seed=seed,
                  common_random_numbers=common_random_numbers, overrides=overrides, precision=precision,
                  max_replications=max_replications, precision_metrics=precision_metrics)
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


def main(argv: Optional[Sequence[str]] = None, prog: Optional[str] = None) -> int:
    parser = argparse.ArgumentParser(
        prog=prog or "wsfleet sweep",
        description="Run a parameter sweep: the scenario's [sweep] table and/or --axis options.")
    add_common_arguments(parser)
    parser.add_argument("--axis", action="append", default=[], metavar="KEY=VALUES",
                        help="an axis: KEY=V1,V2,... or KEY=LOW:HIGH[:STEPS][:log] (repeatable; replaces [sweep.axes])")
    parser.add_argument("--method", choices=METHODS, help="grid (default), random or latin_hypercube")
    parser.add_argument("--samples", type=int, metavar="N", help="points to draw (random, latin_hypercube)")
    parser.add_argument("--no-crn", action="store_true",
                        help="a different seed per point instead of common random numbers")
    parser.add_argument("--precision", type=float, metavar="R",
                        help="replicate each point until the 95%% confidence interval of every precision metric is "
                             "within ±R of its mean (0.05: ±5%%); --replications is then the first replications "
                             "(default 3)")
    parser.add_argument("--max-replications", type=int, metavar="N",
                        help="with --precision: at most N replications per point (default 30)")
    parser.add_argument("--precision-metric", dest="precision_metrics", action="append", metavar="COLUMN",
                        help="with --precision: a result column whose interval must be narrow (repeatable; default "
                             "p99 message and handshake latency, peak CPU, peak connections per server)")
    args = parser.parse_args(argv)
    try:
        axes = dict(parse_axis(a) for a in args.axis) if args.axis else None
        sw = Sweep(args.scenario, axes, method=args.method, samples=args.samples, replications=args.replications,
                   seed=args.seed, common_random_numbers=False if args.no_crn else None, overrides=args.overrides,
                   precision=args.precision, max_replications=args.max_replications,
                   precision_metrics=args.precision_metrics)
        if not args.quiet:
            reps = (f"{sw.replications} to {sw.precision.max_replications} replications (until ±"
                    f"{sw.precision.relative:.1%})" if sw.precision is not None else f"{sw.replications} replications")
            print(f"{parser.prog}: {len(sw)} points x {reps} -> {args.out}", file=sys.stderr)
        result = sw.run(args.out, workers=args.workers, scheduler=args.scheduler, progress=False if args.quiet else None,
                        retries=args.retries, overwrite=args.overwrite, timeout_s=args.timeout)
    except PointsFailed as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    except (SweepError, StoreError, _core.ScenarioError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the output could not be written (a full disk): not bad input
        print(f"{parser.prog}: error: {write_error(args.out, exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted; finished points are saved in {args.out}: run the same command again "
              "to compute only the rest", file=sys.stderr)
        return 130
    if not args.quiet:
        print(f"wrote {len(result.frame)} rows to {Path(args.out) / 'results'}")
        if sw.precision is not None:
            print(describe_outcome(result.precision(), sw.precision))
    if args.report:
        from wsfleet.report import write_report

        print(f"wrote {write_report(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
