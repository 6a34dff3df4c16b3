"""Task functions for the sweep tests. They run in worker processes (spawned, or Dask's), so they
live in an importable module; the marker directory comes through the environment, which spawned
workers inherit."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict

from wsfleet._task import Task, run_task

MARKERS = "WSFLEET_TEST_MARKERS"


def _marker(task: Task, kind: str) -> Path:
    return Path(os.environ[MARKERS]) / f"{kind}-{task.point}-{task.replication}"


def die_once(task: Task) -> Dict[str, Any]:
    """Kills its worker process the first time it runs point 1 (any replication)."""
    if task.point == 1:
        marker = _marker(task, "died")
        if not marker.exists():
            marker.touch()
            os._exit(9)
    return run_task(task)


def die_always_on_point_2(task: Task) -> Dict[str, Any]:
    """Kills its worker every time it runs point 2: a task that cannot be completed."""
    if task.point == 2:
        os._exit(9)
    return run_task(task)


def counted(task: Task) -> Dict[str, Any]:
    """Runs the task and leaves a marker per (point, replication) run."""
    _marker(task, "ran").touch()
    return run_task(task)


def hang_on_point_1(task: Task) -> Dict[str, Any]:
    """Never finishes point 1 (as a run stuck in a loop would)."""
    if task.point == 1:
        import time

        time.sleep(3600)
    return run_task(task)


def report_modules(task: Task) -> Dict[str, Any]:
    """Runs the task and says whether the worker has loaded pandas, pyarrow, SciPy or numpy by then."""
    import sys

    row = run_task(task)
    row.update({f"worker.{name}": name in sys.modules for name in ("pandas", "pyarrow", "scipy", "numpy")})
    return row
