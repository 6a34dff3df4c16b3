"""Task functions for the sweep tests. They run in worker processes (wsfleet._workers, or Dask's),
so they live in an importable module; the marker directory comes through the environment, which
workers inherit."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict

from wsfleet._task import Task, run_task

MARKERS = "WSFLEET_TEST_MARKERS"


def alive(pid: int) -> bool:
    """Whether process `pid` runs (exists and is not a zombie), from /proc."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def still_alive(pids, within_s: float = 20.0) -> list:
    """The processes among `pids` still running after waiting up to within_s for them to end."""
    import time

    deadline = time.monotonic() + within_s
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


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


def half_an_outcome(task: Task) -> Dict[str, Any]:
    """Dies in the middle of writing its outcome: writes to its worker's result pipe (the highest
    write-only pipe this process holds) a length announcing 1,000 bytes and 3 of them, then exits."""
    import struct

    for fd in sorted((int(n) for n in os.listdir("/proc/self/fd")), reverse=True):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
            flags = int(Path(f"/proc/self/fdinfo/{fd}").read_text().split("flags:")[1].split()[0], 8)
        except (OSError, IndexError, ValueError):
            continue
        if target.startswith("pipe:") and flags & os.O_ACCMODE == os.O_WRONLY and fd > 2:
            os.write(fd, struct.pack("!Q", 1000) + b"abc")
            os._exit(9)
    raise RuntimeError("no result pipe found")


def echo_or_die_on_point_1(task: Task) -> Dict[str, Any]:
    """Kills its worker on point 1; for any other point, returns the point and this worker's pid
    (no run: a test of the executor alone)."""
    if task.point == 1:
        os._exit(9)
    return {"point": task.point, "pid": os.getpid()}


def raise_on_point_1(task: Task) -> Dict[str, Any]:
    """Raises on point 1 (a task's own error); returns the point otherwise."""
    if task.point == 1:
        raise ArithmeticError(f"point {task.point} cannot be computed")
    return {"point": task.point}


def sigkill_on_point_1(task: Task) -> Dict[str, Any]:
    """Its worker is killed with SIGKILL on point 1 (as by hand, or by the kernel out of memory)."""
    if task.point == 1:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
    return {"point": task.point}
