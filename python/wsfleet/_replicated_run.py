"""A run replicated to a precision (wsfleet.run(..., precision=...), `wsfleet run --precision`): its
result (ReplicatedRunResult), where its replications run (this process, local workers or a Dask
cluster) and where their files are kept until saved. The stopping rule is wsfleet._replicated."""

from __future__ import annotations

import json
import numbers
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence, Union

try:  # Python 3.11+
    import tomllib
except ImportError:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib  # type: ignore[no-redef]

import tomli_w

from wsfleet._progress import ProgressHook, RunProgress, make_hook
from wsfleet._run_result import RunResult, result_of_columns
from wsfleet._scenario_input import Overrides, Scenario, check, looks_like_path, override_list, whole

if TYPE_CHECKING:
    import pandas as pd

    from wsfleet._limits import Verdict

__all__ = ["ReplicatedRunResult", "replicated_run", "RUN_FILES"]


class ReplicatedRunResult(RunResult):
    """A run replicated until its chosen metrics have the asked precision (wsfleet.run(...,
    precision=...)), or such a run loaded back (wsfleet.load). As a RunResult it is replication 0
    (summary, fleet, servers, report(), verdict(): the plain run of the same scenario and seed);
    besides:

    replications: every replication's RunResult, in order (replication r ran with run.replication = r);
    replication(k) is the k-th. frame: one row per replication: replication, seed, then the metrics
    a sweep's results row has. rule: the stopping rule (wsfleet._precision.Precision); seed: the
    run.seed of every replication. precision(): what the rule reached; intervals(): the mean of any
    metric with its interval. tidy(scope): every replication's time series in one long frame (a
    `replication` column first); band(column): per sample time the mean across the replications,
    its interval, the minimum and the maximum.
    """

    def __init__(self, first: RunResult, replications: Sequence[RunResult], frame: "pd.DataFrame", rule: Any,
                 seed: int, pilot: int, _native: Any) -> None:
        """`first`: replication 0, whose summary and frames (built or not) this result shares."""
        super().__init__(first.summary, scenario_toml=first.scenario_toml, _native=_native, **first._shared_frames())
        self.replications = replications
        self.frame = frame
        self.rule = rule
        self.seed = seed
        self.pilot = pilot

    def verdict(self) -> "Verdict":
        """The verdict over every replication (wsfleet._replicated_verdict): each limit judged at the
        upper bound of the 95 % interval of its mean use, bound if it stopped work in any replication;
        .text also says how many replications reach each status on their own."""
        from wsfleet._replicated_verdict import replicated_verdict

        rv = replicated_verdict([self.replication(k).limits() for k in range(len(self.replications))])
        rv.verdict.text = rv.text
        return rv.verdict

    def replication(self, k: int) -> RunResult:
        """Replication k's RunResult (its summary, fleet, servers, balancers; k = 0 is this result's own)."""
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 <= k < len(self.replications):
            raise IndexError(f"replication must be a whole number from 0 to {len(self.replications) - 1} (got {k!r})")
        return self.replications[int(k)]

    def tidy(self, scope: str = "fleet") -> "pd.DataFrame":
        """Every replication's time series of one scope ("fleet", "servers" or "balancers", as the
        RunResult attributes of those names) in one long frame, a `replication` column first: one
        row per replication per sample time (per server, per balancer)."""
        if scope not in ("fleet", "servers", "balancers"):
            raise ValueError(f"scope must be 'fleet', 'servers' or 'balancers' (got {scope!r})")
        frames = []
        for k in range(len(self.replications)):
            part = getattr(self.replication(k), scope)
            frames.append(part.assign(replication=k)[["replication", *part.columns]])
        import pandas as pd

        return pd.concat(frames, ignore_index=True)

    def band(self, column: str, confidence: float = 0.95) -> "pd.DataFrame":
        """Per sample time, a fleet time-series column across the replications: n (replications where
        it is defined at that time), the mean, the half-width of the mean's two-sided Student-t
        interval (NaN below two), the minimum and the maximum (wsfleet._replicated.band)."""
        from wsfleet._replicated import band

        return band(self.tidy("fleet"), column, confidence)

    def precision(self) -> "pd.DataFrame":
        """Per chosen metric: n, the mean, the half-width of its 95 % interval, the relative
        half-width (half-width / |mean|), whether the run measures it and whether it is met."""
        from wsfleet._replicated import metric_status

        return metric_status(self.frame, self.rule)

    @property
    def stopped(self) -> str:
        """"precision reached" or "cap reached"."""
        from wsfleet._replicated import stopped

        return stopped(self.precision())

    def intervals(self, metrics: Optional[Sequence[str]] = None, confidence: float = 0.95) -> "pd.DataFrame":
        """The mean of each metric over the replications with its two-sided Student-t interval
        (default metrics: every numeric column), as wsfleet.aggregate gives a sweep's point."""
        from wsfleet._aggregate import aggregate

        frame = self.frame.assign(point=0, point_id="run")
        table = aggregate(frame, axes=[], metrics=metrics, confidence=confidence)
        return table.drop(columns=["point", "point_id"])

    def precision_document(self) -> dict:
        """What precision.json holds: the rule, the replications, what stopped them ("precision
        reached" or "cap reached") and per metric what it reached."""
        from wsfleet._replicated import precision_document

        return precision_document(self.frame, self.rule, self.pilot, self.seed)

    def _outcome_words(self) -> str:
        """What the precision rule reached, in words (the notebook view's last line)."""
        from wsfleet._replicated import outcome_words

        return outcome_words(self.precision_document())

    def save(self, directory: Union[str, "os.PathLike[str]"], *, format: str = "csv") -> Path:
        """Replication 0's files (as RunResult.save), every replication's run directory in
        replications/K (K = 0, 1, ...: summary.json, timeseries.csv, scenario.toml, and with
        format="parquet" timeseries.parquet), replications.parquet (one row per replication) and
        precision.json (the rule and what it reached), which the report reads.
        The directory is written at once (wsfleet._atomic_dir): an interrupted save leaves the
        previous results, and a directory holding anything else is refused (FileExistsError)."""
        from wsfleet._atomic_dir import write_directory
        from wsfleet._replicated import PRECISION_FILE, REPLICATIONS_FILE, RUNS_DIR, write_replications
        from wsfleet._timeseries_parquet import write_timeseries_parquet

        if format not in ("csv", "parquet"):
            raise ValueError(f"format must be 'csv' or 'parquet' (got {format!r})")
        runs = [self.replication(k)._native for k in range(len(self.replications))]
        if not all(isinstance(native, _Files) for native in [self._native, *runs]):
            raise ValueError("this result was loaded from a directory (wsfleet.load): its files are there already")

        def fill(stage: Path) -> None:
            for target, native in [(stage, self._native)] + [(stage / RUNS_DIR / str(k), n) for k, n in enumerate(runs)]:
                native.copy_into(target)
                if format == "parquet":
                    write_timeseries_parquet(target)
            write_replications(stage, self.frame, self.precision_document())

        return write_directory(directory, (*RUN_FILES, RUNS_DIR, REPLICATIONS_FILE, PRECISION_FILE), fill)

    def __repr__(self) -> str:
        from wsfleet._replicated import outcome_words

        title, rows = self._headline()
        return ("Replicated" + title + " (replication 0)\n" + "\n".join(f"  {k}: {v}" for k, v in rows)
                + "\n  " + outcome_words(self.precision_document())
                + "\n  (.replications, .replication(k), .frame, .precision(), .intervals(), .tidy(), .band(), .summary, "
                "\n   .fleet, .report(), .verdict())")

class _Scratch:
    """The folder where a replicated run's replications write their files; removed when no result
    refers to it any more (or at exit)."""

    def __init__(self) -> None:
        import shutil
        import weakref

        self.path = Path(tempfile.mkdtemp(prefix="wsfleet-replications-"))
        self.remove = weakref.finalize(self, shutil.rmtree, str(self.path), True)


#: What `wsfleet run --out` may replace in a run directory (experiments/result_writer.cpp's kRunFiles).
RUN_FILES = ("summary.json", "timeseries.csv", "scenario.toml", "report.html", "timeseries.parquet")


class _Files:
    """A replication's run directory as its run wrote it (summary.json, timeseries.csv, scenario.toml),
    in the replicated run's scratch folder: RunResult.save copies it, file for file, as one atomic
    directory (wsfleet._atomic_dir), refusing a target that holds other files as the engine does."""

    def __init__(self, scratch: _Scratch, replication: int) -> None:
        self.scratch, self.path = scratch, scratch.path / str(replication)

    def copy_into(self, target: Path) -> None:
        import shutil

        target.mkdir(parents=True, exist_ok=True)
        for item in sorted(self.path.iterdir()):
            if item.is_file():
                shutil.copyfile(item, target / item.name)

    def write(self, directory: str) -> None:
        from wsfleet._atomic_dir import write_directory

        write_directory(directory, RUN_FILES, self.copy_into)


def _local_replica(progress: Union[bool, None, "ProgressHook"], task: Any) -> dict:
    """One replication in this process (workers=0), with the run's own progress display."""
    from wsfleet._task import run_replica

    hook = make_hook(progress, f"replication {task.replication}")
    finished = False
    try:
        out = run_replica(task, progress=hook)
        finished = True
    finally:
        if isinstance(hook, RunProgress):
            hook.close(finished)
    return out


def replicated_run(scenario: Scenario, overrides: Overrides, seed: Optional[int],
                   progress: Union[bool, None, "ProgressHook"], precision: Any, metrics: Any,
                   max_replications: Any, names: Any = None, *, replication: Optional[int] = None,
                   workers: Optional[int] = None, scheduler: Any = None) -> ReplicatedRunResult:
    """wsfleet.run with a precision (see wsfleet._replicated); `names`: how the options are called in
    error messages (wsfleet._replicated.API_NAMES or CLI_NAMES). workers: local worker processes
    (None: one per core, as sweeps; 0: one after another in this process); scheduler: a Dask
    cluster instead (an address or a dask.distributed.Client), as sweeps take it. The replications'
    files come back from the Dask workers in their outcomes, so a cluster on other machines works."""
    import functools
    import shutil

    from wsfleet._executors import make_executor
    from wsfleet._replicated import (API_NAMES, ReplicationProgress, check_metrics, make_rule, replicate)
    from wsfleet._task import ReplicaTask, run_replica

    names = names or API_NAMES
    rule, pilot = make_rule(precision, metrics, max_replications, names)
    if replication is not None:
        raise ValueError(f"{names.replication} cannot be given with {names.precision}: the replications are "
                         "0, 1, 2, ... (as a sweep's), each with the same seed")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 0):
        raise ValueError(f"{names.workers} must be a whole number >= 0: worker processes, 0 to run the replications "
                         f"one after another in this process (got {workers!r})")
    if scheduler is not None and workers is not None:
        raise ValueError(f"{names.workers} and {names.scheduler} cannot both be given: the replications run either "
                         "in local worker processes or on the Dask cluster")
    if callable(progress) and not isinstance(progress, bool) and (workers != 0 or scheduler is not None):
        raise ValueError(f"a progress callable is called in this process: it needs {names.workers}=0 (replications "
                         "one after another here); with worker processes pass progress=True, False or None")
    effective = check(scenario, overrides=overrides)  # a bad scenario: one ScenarioError here, before any worker
    if seed is None:
        seed = tomllib.loads(effective)["run"]["seed"]
    seed = whole("seed", seed)
    base = override_list(overrides, None, None)
    if isinstance(scenario, Mapping):
        path, text, source = "", tomli_w.dumps(dict(scenario)), "<dict>"
    elif isinstance(scenario, os.PathLike) or (isinstance(scenario, str) and looks_like_path(scenario)):
        path, text, source = os.fspath(scenario), "", os.fspath(scenario)
    elif isinstance(scenario, str):
        path, text, source = "", scenario, "<string>"
    else:
        raise TypeError("scenario must be a path, a TOML string or a dict")
    keep = _Scratch()
    scratch = keep.path

    def task(r: int) -> ReplicaTask:
        return ReplicaTask(point=0, point_id="run", replication=r, seed=seed, scenario_text=text, source=source,
                           overrides=tuple(base + [f"run.seed={seed}", f"run.replication={r}"]), path=path,
                           files="" if ship else str(scratch / str(r)), ship_files=ship)

    ship = scheduler is not None
    executor = make_executor(workers, scheduler)
    if executor.workers == 0:
        fn: Any = functools.partial(_local_replica, progress)
        bar = None
    else:
        fn = run_replica
        bar = ReplicationProgress(None if progress is None else bool(progress), pilot)
    try:
        outcomes, frame = replicate(task, fn, rule, pilot, executor, lambda row: check_metrics(rule, row, names),
                                    bar)
    except BaseException:
        keep.remove()
        raise
    finally:
        executor.close()
    results = []
    for r, out in enumerate(outcomes):
        if ship:  # a Dask worker's files, written here as a local worker writes them
            (scratch / str(r)).mkdir()
            for name, data in out["files"].items():
                (scratch / str(r) / name).write_bytes(data)
        results.append(result_of_columns(out["fleet"], out["servers"], out["balancers"], json.loads(out["summary_json"]),
                               out["scenario_toml"], _Files(keep, r), out["sites"], out["classes"]))
    for extra in scratch.iterdir():  # replications run beyond the stop: dropped
        if not (extra.name.isdigit() and int(extra.name) < len(results)):
            shutil.rmtree(extra, ignore_errors=True)
    return ReplicatedRunResult(results[0], results, frame, rule, seed, pilot, _native=results[0]._native)
