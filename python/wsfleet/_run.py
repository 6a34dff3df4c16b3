"""Running scenarios from Python: the same loader and engine as the `wsfleet` command.

wsfleet.run and wsfleet.load are here; what they take is wsfleet._scenario_input, what they give
wsfleet._run_result (RunResult) and, replicated to a precision, wsfleet._replicated_run."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from wsfleet import _core
from wsfleet._progress import ProgressHook, RunProgress, make_hook
from wsfleet._replicated_run import RUN_FILES, ReplicatedRunResult, replicated_run
from wsfleet._run_result import STEADY_COLUMNS, RunResult, result_of_columns
from wsfleet._scenario_input import (Overrides, Scenario, check, dispatch, format_value, looks_like_path,
                                     override_list)
from wsfleet.views import COLUMNS as C

__all__ = ["run", "load", "check", "RunResult", "ReplicatedRunResult", "replicated_run", "STEADY_COLUMNS",
           "RUN_FILES", "format_value", "override_list", "looks_like_path", "Scenario", "Overrides"]


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
    A worker process imports wsfleet only, never the script or notebook that starts it (no
    `if __name__ == "__main__":` guard is needed). scheduler: with precision, run the replications on a Dask cluster
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
        native = dispatch(scenario, override_list(overrides, seed, replication), _core.run_file, _core.run_text,
                           progress=hook)
        finished = True
    finally:
        if isinstance(hook, RunProgress):
            hook.close(finished)
    return result_of_columns(native.fleet_columns(), native.server_columns(), native.balancer_columns(),
                             json.loads(native.summary_json()), native.scenario_toml(), native, native.site_columns(),
                             native.class_columns())


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

    first = result_of_columns(scope("fleet", None), scope("server", C.server), scope("balancer", None),
                              run_dir.summary, run_dir.scenario_text, None, scope("site", None), scope("class", None))
    try:
        reps = read_replications(directory)
    except ValueError as exc:
        raise ReportError(directory, str(exc)) from None
    if reps is None:
        return first
    doc = reps.doc
    return ReplicatedRunResult(first, _SavedReplications(reps, first), reps.frame, rule_of(doc), int(doc["seed"]),
                               int(doc["pilot"]), _native=None)
