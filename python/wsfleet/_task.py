"""One unit of sweep work, run in a worker process: one replication of one point.

A Task carries everything a worker needs (the scenario text, not its path, so a Dask worker on
another machine needs only the wsfleet package). run_task returns the run's flat metrics row with
its verdict, measured on the run's time series here, where they are (wsfleet._point_verdicts; the
limits read the engine's columns as plain Python lists, wsfleet._rows); the driver gathers the rows
of finished points and writes them in groups (wsfleet._store). A worker imports neither pandas nor
numpy nor SciPy.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple

from wsfleet.views import COLUMNS as C

__all__ = ["Task", "run_task", "steady_state_metrics", "steady_flag", "STEADY_COLUMNS", "ReplicaTask", "run_replica",
           "replica_row", "verdict_of"]


@dataclass(frozen=True)
class Task:
    point: int                       # the point's index in the sweep
    point_id: str                    # its stable name (a hash of its axis values)
    replication: int
    seed: int
    scenario_text: str
    source: str                      # the scenario's name in messages (its path, "<string>", ...)
    overrides: Tuple[str, ...]       # fixed overrides, then the point's axis values, then seed/replication
    row: Tuple[Tuple[str, Any], ...] = ()  # the first columns of its result row (point, seed, axis values)

    @property
    def key(self) -> Tuple[str, int]:
        return (self.point_id, self.replication)


def run_task(task: Task) -> Dict[str, Any]:
    """Runs the task's scenario and returns its metrics (see wsfleet._metrics.flatten_summary), its
    steady-state figures and its verdict (wsfleet._point_verdicts.verdict_columns)."""
    from wsfleet import _core
    from wsfleet._metrics import flatten_summary

    native = _core.run_text(task.scenario_text, task.source, list(task.overrides))
    summary = json.loads(native.summary_json())
    # Read once, as array('d') columns (no numpy): the steady-state figures and the verdict use them.
    fleet = native.fleet_columns(numpy=False)
    row = flatten_summary(summary)
    row.update(steady_state_metrics(fleet))
    row.update(verdict_of(native, summary, fleet, native.server_columns(numpy=False)))
    return row


def verdict_of(native: Any, summary: Dict[str, Any], fleet_columns: Mapping[str, Any],
               server_columns: Mapping[str, Any]) -> Dict[str, Any]:
    """The run's verdict columns (wsfleet._point_verdicts.verdict_columns), from every limit of the
    model measured on its time series, as RunResult.limits() measures them, read from the engine's
    columns (wsfleet._rows) without building frames."""
    from wsfleet._point_verdicts import verdict_columns
    from wsfleet._run_frames import run_limits

    return verdict_columns(run_limits(summary, native.scenario_toml(), server_columns, fleet_columns))


#: Fleet time-series columns whose steady state (after MSER-5's warm-up) every study row records.
STEADY_COLUMNS = (C.connections, C.cpu_utilisation)


def steady_state_metrics(fleet_columns: Dict[str, Any]) -> Dict[str, Any]:
    """For each STEADY_COLUMNS column of the fleet's time series: "steady_state.COLUMN.mean" (the mean
    after the warm-up MSER-5 finds, wsfleet._warmup), "steady_state.COLUMN.warmup_s" (where the
    warm-up ends), "steady_state.COLUMN.reliable" (False when the column never settles) and
    "steady_state.COLUMN.steady" (False also when the run ended in a transient, or has fewer than
    20 samples: wsfleet._steady). NaN (reliable False) when the run has too few samples (fewer than 10)."""
    import math

    from wsfleet._steady import steady_after
    from wsfleet._warmup import as_floats, mser5

    out: Dict[str, Any] = {}
    times = as_floats(fleet_columns.get(C.time_s, []), "time_s")
    for column in STEADY_COLUMNS:
        values = as_floats(fleet_columns.get(column, []), column)
        keep = [math.isfinite(v) for v in values]
        kept = [v for v, k in zip(values, keep) if k]
        kept_times = [v for v, k in zip(times, keep) if k] if len(times) == len(values) else None
        prefix = f"steady_state.{column}"
        try:
            w = mser5(kept, kept_times)
        except ValueError:  # too short a series
            out.update({f"{prefix}.mean": math.nan, f"{prefix}.warmup_s": math.nan, f"{prefix}.reliable": False,
                        f"{prefix}.steady": False})
            continue
        out.update({f"{prefix}.mean": w.steady_mean,
                    f"{prefix}.warmup_s": w.warmup_end_s if w.warmup_end_s is not None else math.nan,
                    f"{prefix}.reliable": w.reliable,
                    f"{prefix}.steady": steady_after(w, kept).steady})
    return out


def steady_flag(metric: str) -> Optional[str]:
    """For a steady-state metric ("steady_state.COLUMN.mean", see steady_state_metrics) the column
    saying whether the run had a steady state at all; None for any other metric."""
    if metric.startswith("steady_state.") and metric.endswith(".mean"):
        return metric[:-len(".mean")] + ".steady"
    return None



@dataclass(frozen=True)
class ReplicaTask(Task):
    """One replication of a replicated run (wsfleet._replicated), in this process or a worker: the
    scenario is run from its file when `path` is set (relative paths inside it are then relative to
    its folder, as `wsfleet run FILE` has them), else from scenario_text; the run's files (summary.json,
    timeseries.csv, scenario.toml, as `wsfleet run --out` writes them) go to the directory `files`, or,
    with ship_files (a Dask worker, maybe on another machine), back to the driver in the outcome's
    "files" ({name: bytes}), which writes them there."""
    path: str = ""
    files: str = ""
    ship_files: bool = False


def replica_row(replication: int, seed: int, summary: Dict[str, Any], fleet_columns: Dict[str, Any]) -> Dict[str, Any]:
    """One replication's row: its number and seed, then the metrics a sweep's row has."""
    from wsfleet._metrics import flatten_summary

    row: Dict[str, Any] = {"replication": replication, "seed": seed}
    row.update(flatten_summary(summary))
    row.update(steady_state_metrics(dict(fleet_columns)))
    return row


def run_replica(task: ReplicaTask, progress: Any = None) -> Dict[str, Any]:
    """Runs one replication; returns its row and everything its RunResult holds (the summary's and
    the scenario's text, the fleet, server and balancer columns as numpy arrays), which pickle to the
    driver unchanged, and writes its files to task.files."""
    from wsfleet import _core

    overrides = list(task.overrides)
    native = (_core.run_file(task.path, overrides, progress=progress) if task.path else
              _core.run_text(task.scenario_text, task.source, overrides, progress=progress))
    shipped: Dict[str, bytes] = {}
    if task.ship_files:
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory(prefix="wsfleet-replica-") as tmp:
            native.write(tmp)
            shipped = {f.name: f.read_bytes() for f in sorted(Path(tmp).iterdir()) if f.is_file()}
    elif task.files:
        native.write(task.files)
    summary_text = native.summary_json()
    summary = json.loads(summary_text)
    fleet, servers = native.fleet_columns(), native.server_columns()
    row = replica_row(task.replication, task.seed, summary, fleet)
    row.update(verdict_of(native, summary, fleet, servers))  # as a sweep's row has it
    out = {"row": row,
           "summary_json": summary_text, "scenario_toml": native.scenario_toml(), "fleet": dict(fleet),
           "servers": dict(servers), "balancers": dict(native.balancer_columns()),
           "sites": dict(native.site_columns()), "classes": dict(native.class_columns())}
    if task.ship_files:
        out["files"] = shipped
    return out
