"""One unit of sweep work, run in a worker process: one replication of one point.

A Task carries everything a worker needs (the scenario text, not its path, so a Dask worker on
another machine needs only the wsfleet package). run_task returns the run's flat metrics row;
run_part also encodes the whole result row as the point's Parquet part (a point of one replication
is then written by the driver as it is: the encoding's CPU time is spent in the workers).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Tuple

__all__ = ["Task", "run_task", "run_part"]


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
    """Runs the task's scenario and returns its metrics (see wsfleet._metrics.flatten_summary)."""
    from wsfleet import _core
    from wsfleet._metrics import flatten_summary

    native = _core.run_text(task.scenario_text, task.source, list(task.overrides))
    return flatten_summary(json.loads(native.summary_json()))


def run_part(task: Task):
    """run_task, and the task's result row (task.row, then the metrics) encoded as a one-row part
    (a wsfleet._parts.Encoded)."""
    from wsfleet._parts import encode_row

    metrics = run_task(task)
    row = dict(task.row)
    row.update({k: v for k, v in metrics.items() if k not in row})
    return encode_row(row)
