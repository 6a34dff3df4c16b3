"""Running scenarios from Python: the same loader and engine as the `wsfleet` command."""

from __future__ import annotations

import html
import json
import numbers
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Sequence, Tuple, Union

try:  # Python 3.11+
    import tomllib
except ImportError:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib  # type: ignore[no-redef]

import numpy as np
import pandas as pd
import tomli_w

from wsfleet import _core
from wsfleet._progress import ProgressHook, RunProgress, make_hook
from wsfleet.views import Scenario as ScenarioView
from wsfleet.views import COLUMNS as C
from wsfleet.views import Summary

if TYPE_CHECKING:
    from wsfleet._limits import Verdict

Scenario = Union[str, "os.PathLike[str]", Mapping[str, Any]]
#: Fleet columns whose steady state RunResult.steady_state() reports by default.
STEADY_COLUMNS = (C.connections, C.cpu_utilisation)
Overrides = Union[Mapping[str, Any], Sequence[str], None]


def format_value(value: Any) -> str:
    """A Python value as the TOML text of an override (`--set key=value`)."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))  # numpy integers too
    if isinstance(value, numbers.Real):
        return repr(float(value))  # numpy floats too: "0.5", not "np.float64(0.5)"
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string
    if isinstance(value, Mapping):
        items = ", ".join(f"{k} = {format_value(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    raise TypeError(f"override value {value!r} has unsupported type {type(value).__name__}")


def override_list(overrides: Overrides, seed: Optional[int], replication: Optional[int]) -> list:
    items: list = []
    if overrides is None:
        pass
    elif isinstance(overrides, Mapping):
        items = [f"{key}={format_value(value)}" for key, value in overrides.items()]
    elif isinstance(overrides, (str, bytes)):
        raise TypeError("overrides must be a mapping {key: value} or a list of 'key=value' strings")
    else:
        items = [str(item) for item in overrides]
    if seed is not None:
        items.append(f"run.seed={_whole('seed', seed)}")
    if replication is not None:
        items.append(f"run.replication={_whole('replication', replication)}")
    return items


def _whole(name: str, value: Any) -> int:
    """`value` as an int when it is a whole number (2 or 2.0); otherwise a ValueError naming `name`
    (int(1.7) would silently run seed 1)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a whole number (got {value!r})")
    if isinstance(value, numbers.Integral):
        return int(value)
    if not float(value).is_integer():
        raise ValueError(f"{name} must be a whole number (got {float(value)!r})")
    return int(value)


def looks_like_path(text: str) -> bool:
    """A one-line string naming an existing file is a path, even with '=' or '[' in it
    ("results/seed=7/scenario.toml"); otherwise TOML text has '=', '[' or several lines."""
    if "\n" in text:
        return False
    if os.path.isfile(text):
        return True
    return "=" not in text and "[" not in text


def _dispatch(scenario: Scenario, overrides: list, file_fn, text_fn, **extra: Any):
    if isinstance(scenario, Mapping):
        return text_fn(tomli_w.dumps(dict(scenario)), "<dict>", overrides, **extra)
    if isinstance(scenario, os.PathLike):
        return file_fn(os.fspath(scenario), overrides, **extra)
    if isinstance(scenario, str):
        if looks_like_path(scenario):
            return file_fn(scenario, overrides, **extra)
        return text_fn(scenario, "<string>", overrides, **extra)
    raise TypeError("scenario must be a path, a TOML string or a dict")


@dataclass(repr=False)
class RunResult:
    """The result of one run.

    summary: the same dict as summary.json. fleet: one row per sample time (fleet totals).
    servers: one row per sample time per server, with its class. scenario_toml: the effective scenario.
    balancers: one row per sample time per balancer (source ports in use, refusals by cause).
    sites: with two or more [[topology.sites]], one row per sample time per site (its servers up,
    ready and draining, its connections; empty otherwise). classes: with two or more
    [[fleet.classes]], one row per sample time per class (column `class`: its number in
    summary.json's fleet.classes; its servers up and ready, its connections, its servers' mean and
    highest CPU utilisation, the attempts they refused; empty otherwise). Every column is declared
    by the engine component that writes it (`wsfleet schema --timeseries`; wsfleet.views.COLUMNS).
    """

    summary: dict
    fleet: pd.DataFrame
    servers: pd.DataFrame
    scenario_toml: str
    balancers: pd.DataFrame = field(default_factory=pd.DataFrame)
    _native: Any = field(repr=False, default=None)
    sites: pd.DataFrame = field(default_factory=pd.DataFrame)
    classes: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def timeseries(self) -> pd.DataFrame:
        """Fleet, server, balancer, site and class rows in one tidy frame, as timeseries.csv has them."""
        fleet = self.fleet.assign(scope="fleet", server=-1)
        # (the servers' class names: the CSV's class column is the class rows' number)
        servers = self.servers.drop(columns=C.class_, errors="ignore").assign(scope="server")
        frames = [fleet, servers]
        if not self.balancers.empty:
            frames.append(self.balancers.assign(scope="balancer", server=-1))
        if not self.sites.empty:
            frames.append(self.sites.assign(scope="site", server=-1))
        if not self.classes.empty:
            frames.append(self.classes.assign(scope="class", server=-1))
        return pd.concat(frames, ignore_index=True)

    def save(self, directory: Union[str, "os.PathLike[str]"], *, format: str = "csv") -> Path:
        """Write summary.json, timeseries.csv and scenario.toml exactly as `wsfleet run --out` does;
        format="parquet" adds timeseries.parquet (the same table), as `--format parquet` does."""
        if format not in ("csv", "parquet"):
            raise ValueError(f"format must be 'csv' or 'parquet' (got {format!r})")
        if self._native is None:
            raise ValueError("this result was loaded from a directory (wsfleet.load): its files are there already")
        self._native.write(os.fspath(directory))
        if format == "parquet":
            from wsfleet._timeseries_parquet import write_timeseries_parquet

            write_timeseries_parquet(directory)
        return Path(directory)

    def steady_state(self, columns: Sequence[str] = STEADY_COLUMNS) -> pd.DataFrame:
        """The fleet's steady-state figures: for each fleet time-series column, the warm-up MSER-5
        finds in it (samples and seconds discarded), the mean and standard deviation of the rest,
        and whether a steady state was found at all ("reliable": False when MSER-5's cut lies at the
        middle of the run, i.e. the column still drifts). ci_half_width: the half-width of the 95 %
        interval of the steady mean from 10 batch means; steady: False also when the run ended in a
        transient (its last tenth outside the range of the rest). See wsfleet._warmup, wsfleet._steady."""
        from wsfleet._steady import steady_figure
        from wsfleet._warmup import mser5

        rows = []
        times = self.fleet[C.time_s].to_numpy(dtype=float) if C.time_s in self.fleet else None
        for column in columns:
            if C.of(column) not in self.fleet.columns:
                raise KeyError(f"no fleet time-series column {column!r}; columns: {', '.join(self.fleet.columns)}")
            values = self.fleet[column].to_numpy(dtype=float)
            keep = np.isfinite(values)
            w = mser5(values[keep], times[keep] if times is not None else None)
            f = steady_figure(values[keep], times[keep] if times is not None else None)
            rows.append({"column": column, "warmup_samples": w.truncated, "warmup_end_s": w.warmup_end_s,
                         "steady_mean": w.steady_mean, "steady_std": w.steady_std,
                         "whole_run_mean": float(values[keep].mean()), "reliable": w.reliable,
                         "ci_half_width": f.half_width, "steady": f.steady})
        return pd.DataFrame(rows)

    def report(self, out: Union[str, "os.PathLike[str]", None] = None, *, plots: bool = True) -> Path:
        """Save the run into directory `out` (default: a new temporary directory) and write its HTML
        capacity report there; returns the report's path (out/report.html)."""
        from wsfleet.report import write_report

        directory = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="wsfleet-run-"))
        self.save(directory)
        return write_report(directory, plots=plots)

    def limits(self) -> list:
        """Every limit of the model measured in this run (wsfleet._limits.Limit)."""
        from wsfleet._limits import evaluate_limits

        scenario = tomllib.loads(self.scenario_toml)
        dt = float(ScenarioView(scenario).run.sample_interval_s or 1.0)
        return evaluate_limits(self.summary, scenario, self.servers, self.fleet, dt)

    def verdict(self) -> "Verdict":
        """The report's verdict: the status ("ok", "warn", "fail", "misconfigured"; .words gives
        ENOUGH CAPACITY, TIGHT, NOT ENOUGH CAPACITY or MISCONFIGURED) and the binding (or closest) limit,
        from every limit of the model (wsfleet._limits)."""
        from wsfleet._limits import verdict

        return verdict(self.limits())

    def _headline(self) -> Tuple[str, List[Tuple[str, str]]]:
        s = Summary(self.summary)
        conn = s.connections
        name = s.scenario.name or ""
        title = (f"RunResult {name!r}: {s.fleet.servers} servers, "
                 f"{s.clients.count or 0:,} clients, {s.simulated_seconds or 0:g} s simulated")
        rows = [("peak connections", f"{conn.peak or 0:,} (busiest server {conn.peak_per_server or 0:,})"),
                ("attempts", f"{conn.attempted or 0:,}: {conn.rejected or 0:,} refused, "
                             f"{conn.failed or 0:,} failed"),
                ("peak CPU", f"{100 * (s.cpu.peak_utilisation or 0):.1f} %"),
                ("conservation", "ok" if s.conservation.ok else "FAILED")]
        return title, rows

    def __repr__(self) -> str:
        title, rows = self._headline()
        return title + "\n" + "\n".join(f"  {k}: {v}" for k, v in rows) + \
            "\n  (.summary, .fleet, .servers, .report(), .verdict(), .steady_state())"

    def _repr_html_(self) -> str:
        title, rows = self._headline()
        v = self.verdict()
        cells = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
                        f"{html.escape(val)}</td></tr>" for k, val in rows)
        return (f"<div><strong>{html.escape(title)}</strong><table>{cells}</table>"
                f"<p><strong>{v.words}</strong>: {html.escape(v.text)}</p></div>")


@dataclass(repr=False)
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

    replications: Sequence[RunResult] = field(default_factory=list)
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)
    rule: Any = None
    seed: int = 0
    pilot: int = 2

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

    def tidy(self, scope: str = "fleet") -> pd.DataFrame:
        """Every replication's time series of one scope ("fleet", "servers" or "balancers", as the
        RunResult attributes of those names) in one long frame, a `replication` column first: one
        row per replication per sample time (per server, per balancer)."""
        if scope not in ("fleet", "servers", "balancers"):
            raise ValueError(f"scope must be 'fleet', 'servers' or 'balancers' (got {scope!r})")
        frames = []
        for k in range(len(self.replications)):
            part = getattr(self.replication(k), scope)
            frames.append(part.assign(replication=k)[["replication", *part.columns]])
        return pd.concat(frames, ignore_index=True)

    def band(self, column: str, confidence: float = 0.95) -> pd.DataFrame:
        """Per sample time, a fleet time-series column across the replications: n (replications where
        it is defined at that time), the mean, the half-width of the mean's two-sided Student-t
        interval (NaN below two), the minimum and the maximum (wsfleet._replicated.band)."""
        from wsfleet._replicated import band

        return band(self.tidy("fleet"), column, confidence)

    def precision(self) -> pd.DataFrame:
        """Per chosen metric: n, the mean, the half-width of its 95 % interval, the relative
        half-width (half-width / |mean|), whether the run measures it and whether it is met."""
        from wsfleet._replicated import metric_status

        return metric_status(self.frame, self.rule)

    @property
    def stopped(self) -> str:
        """"precision reached" or "cap reached"."""
        from wsfleet._replicated import stopped

        return stopped(self.precision())

    def intervals(self, metrics: Optional[Sequence[str]] = None, confidence: float = 0.95) -> pd.DataFrame:
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

    def _repr_html_(self) -> str:
        from wsfleet._replicated import outcome_words

        return super()._repr_html_().replace(
            "</div>", f"<p>{html.escape(outcome_words(self.precision_document()))}</p></div>", 1)


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
    seed = _whole("seed", seed)
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
        results.append(_result(out["fleet"], out["servers"], out["balancers"], json.loads(out["summary_json"]),
                               out["scenario_toml"], _Files(keep, r), out["sites"], out["classes"]))
    for extra in scratch.iterdir():  # replications run beyond the stop: dropped
        if not (extra.name.isdigit() and int(extra.name) < len(results)):
            shutil.rmtree(extra, ignore_errors=True)
    first = results[0]
    return ReplicatedRunResult(summary=first.summary, fleet=first.fleet, servers=first.servers,
                               scenario_toml=first.scenario_toml, balancers=first.balancers, _native=first._native,
                               sites=first.sites, classes=first.classes,
                               replications=results, frame=frame, rule=rule, seed=seed, pilot=pilot)


def _frame(columns: dict, integer_columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame({name: values for name, values in columns.items()})
    for name in integer_columns:
        if name in frame:
            frame[name] = frame[name].astype("int64")
    return frame


def run(
    scenario: Scenario,
    *,
    overrides: Overrides = None,
    seed: Optional[int] = None,
    replication: Optional[int] = None,
    progress: Union[bool, None, "ProgressHook"] = None,
    precision: Optional[float] = None,
    metrics: Optional[Sequence[str]] = None,
    max_replications: Optional[int] = None,
    workers: Optional[int] = None,
    scheduler: Any = None,
) -> RunResult:
    """Run one scenario: a file path, a TOML string, or a dict with the scenario's tables.

    overrides: {"clients.count": 5000} or ["clients.count=5000"], validated like the file.
    seed/replication: override run.seed/run.replication. The GIL is released while the engine runs.
    progress: None (default) shows a bar of the simulated time in a terminal or notebook, or a plain
    line on stderr every 30 s otherwise, once the run has taken 2 s; True a bar always; False
    nothing; or a callable progress(simulated_s, end_s, events), called about every 50 ms. The
    results are the same whatever it is. Ctrl-C (a notebook's interrupt) stops the run with
    KeyboardInterrupt within about 50 ms (the engine looks at the clock every 256 events).
    precision: replicate the run (run.replication = 0, 1, 2, ... with the same run.seed: the
    replications of a sweep's point, bit for bit) until the 95 % confidence interval of the mean of
    every metric in `metrics` is within ±precision of the mean (0.05: ±5 %), or max_replications
    (default 30, at least 2) is reached; metrics: columns of the flattened summary or its
    steady-state figures (default: p99 message and handshake latency, peak CPU, peak connections
    per server). Returns a ReplicatedRunResult (every replication, the intervals, what was reached;
    see wsfleet._replicated); without precision nothing changes. workers: with precision, the local
    worker processes that run the replications (default: one per core, as sweeps; 0: one after
    another in this process). The result is the same whatever their number, bit for bit: the rule
    decides on replications 0, 1, ... in order, and a replication started beyond its stop is dropped.
    Worker processes re-import a script that starts them: call from `if __name__ == "__main__":` (or a
    notebook), or pass workers=0. scheduler: with precision, run the replications on a Dask cluster
    instead (an address such as "tcp://host:8786" or a dask.distributed.Client, as a sweep's
    scheduler=); the result is the same, bit for bit.
    Raises ScenarioError (a ValueError) on bad input, with .file, .line, .column and .key.
    """
    if precision is not None or metrics is not None or max_replications is not None:
        return replicated_run(scenario, overrides, seed, progress, precision, metrics, max_replications,
                              replication=replication, workers=workers, scheduler=scheduler)
    if scheduler is not None:
        raise ValueError("scheduler needs precision (the replications it runs are those of a run to a precision, "
                         "e.g. precision=0.05)")
    if workers is not None:
        raise ValueError("workers needs precision (the replications it runs are those of a run to a precision, "
                         "e.g. precision=0.05)")
    return _one_run(scenario, overrides, seed, replication, progress, "run")


def _one_run(scenario: Scenario, overrides: Overrides, seed: Optional[int], replication: Optional[int],
             progress: Union[bool, None, "ProgressHook"], label: str) -> RunResult:
    hook = make_hook(progress, label)
    finished = False
    try:
        native = _dispatch(scenario, override_list(overrides, seed, replication), _core.run_file, _core.run_text,
                           progress=hook)
        finished = True
    finally:
        if isinstance(hook, RunProgress):
            hook.close(finished)
    return _result(native.fleet_columns(), native.server_columns(), native.balancer_columns(),
                   json.loads(native.summary_json()), native.scenario_toml(), native, native.site_columns(),
                   native.class_columns())


def _result(fleet_columns: dict, server_columns: dict, balancer_columns: dict, summary: dict, scenario_toml: str,
            native: Any, site_columns: Optional[dict] = None, class_columns: Optional[dict] = None) -> RunResult:
    # Whole-number columns (declared integer or flag for their scope) are int64.
    fleet = _frame(fleet_columns, C.whole("fleet"))
    servers = _frame(server_columns, C.whole("server"))
    balancers = _frame(balancer_columns, C.whole("balancer"))
    sites = _frame(site_columns or {}, C.whole("site"))
    class_rows = _frame(class_columns or {}, C.whole("class"))
    classes = Summary(summary).fleet.server_class or []
    if classes and not servers.empty:
        # Each server's class ([[fleet.classes]] name, "default" without classes), after "server".
        servers.insert(servers.columns.get_loc(C.server) + 1, "class",
                       pd.Categorical([classes[i] for i in servers[C.server]], categories=list(dict.fromkeys(classes))))
    return RunResult(
        summary=summary,
        fleet=fleet,
        servers=servers,
        balancers=balancers,
        scenario_toml=scenario_toml,
        _native=native,
        sites=sites,
        classes=class_rows,
    )


class _SavedReplications(Sequence):
    """The replications of a saved replicated run, each read (wsfleet.load) when first asked for."""

    def __init__(self, reps: Any, first: RunResult) -> None:
        self._reps = reps
        self._loaded: dict = {0: first}  # replication 0 is the directory's own files

    def __len__(self) -> int:
        return self._reps.n

    def __getitem__(self, k: Any) -> Any:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        if k < 0:
            k += len(self)
        if k not in self._loaded:
            self._loaded[k] = load(self._reps.run_dir(k))
        return self._loaded[k]


def load(directory: Union[str, "os.PathLike[str]"]) -> RunResult:
    """A run directory (`wsfleet run --out DIR`, RunResult.save) as a RunResult: the summary, the
    effective scenario and the time series (from timeseries.parquet when it is there, else
    timeseries.csv), split into fleet, server and balancer rows as wsfleet.run gives them. A
    column a scope never fills (a server-only column on fleet rows) is left out of that scope's
    frame. A run replicated to a precision (precision.json beside) loads as a ReplicatedRunResult:
    replication 0 as above, with .replications (each read from replications/K when first used),
    .frame, .precision(), .tidy(), .band(), as wsfleet.run gave them. Raises ReportError naming the
    file at fault; a sweep or plan directory is refused (use wsfleet.load_sweep)."""
    from wsfleet._replicated import read_replications, rule_of
    from wsfleet._run_dir import ReportError, load_run

    if (Path(directory) / "study.json").is_file():
        raise ReportError(directory, "a sweep or plan directory: load it with wsfleet.load_sweep")
    run_dir = load_run(directory)
    ts = run_dir.timeseries

    def scope(name: str, index: Optional[str]) -> dict:
        rows = ts[ts[C.scope] == name].drop(columns=[C.scope])
        if index != C.server:
            rows = rows.drop(columns=[C.server])
        rows = rows.dropna(axis=1, how="all") if not rows.empty else rows.iloc[:, :0]
        return {c: rows[c].to_numpy() for c in rows.columns}

    first = _result(scope("fleet", None), scope("server", C.server), scope("balancer", None), run_dir.summary,
                    run_dir.scenario_text, None, scope("site", None), scope("class", None))
    try:
        reps = read_replications(directory)
    except ValueError as exc:
        raise ReportError(directory, str(exc)) from None
    if reps is None:
        return first
    doc = reps.doc
    return ReplicatedRunResult(summary=first.summary, fleet=first.fleet, servers=first.servers,
                               scenario_toml=first.scenario_toml, balancers=first.balancers, _native=None,
                               sites=first.sites, classes=first.classes, replications=_SavedReplications(reps, first), frame=reps.frame, rule=rule_of(doc),
                               seed=int(doc["seed"]), pilot=int(doc["pilot"]))


def check(scenario: Scenario, *, overrides: Overrides = None) -> str:
    """Validate a scenario without running it; returns the effective scenario as TOML."""
    return _dispatch(scenario, override_list(overrides, None, None), _core.load_scenario_file, _core.load_scenario_text)
