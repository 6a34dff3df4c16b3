"""Where sweep tasks run: worker processes on this machine, or a Dask distributed cluster.

Both executors yield (task, ok, value) as tasks finish, in completion order: value is the task's
result, or the exception it raised. The local executor also yields None every tick_s seconds
without an outcome when asked to (`ticks` is True), so that its caller can commit what it gathered
on time (wsfleet._store's group commits). An exception raised by the task itself (a conservation check
failing, say) is deterministic and is not retried. A worker that dies (killed, out of memory,
crashed) takes its tasks with it; those are run again, and a task that kills its worker more than
`retries` times is reported as WorkerLost while every other task completes.

Instead of a list, every executor (local, serial, Dask) also takes a feed (an object with take(room) ->
list of tasks): it is asked for more tasks whenever there is room, after each outcome has been handed
to the caller, so the caller decides what runs next from what has finished (a replicated run's
sequential stopping rule, wsfleet._replicated). Closing the generator early (the caller stops, or
Ctrl-C) cancels what is queued; with kill_running=True the runs still going in the workers are
killed too instead of being left to finish.

Local execution uses the standard library's ProcessPoolExecutor with the "spawn" start method:
no scheduler to start, no ports opened, no threads inherited by fork, and a dead worker surfaces
as BrokenProcessPool, after which the pool is replaced. Dask is used only when the user points
at a cluster (a scheduler address or a dask.distributed.Client); its scheduler already reassigns
the tasks of a lost worker and raises KilledWorker only for a task that kept killing workers.
"""
from __future__ import annotations

import functools
import math
import multiprocessing
import os
import signal
import sys
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Deque, Dict, Iterable, Iterator, Optional, Tuple

from wsfleet._main_guard import GUARD_HINT, unguarded_call_line
from wsfleet._task import Task

__all__ = ["WorkerLost", "LocalExecutor", "SerialExecutor", "DaskExecutor", "make_executor"]

Outcome = Tuple[Task, bool, Any]
TaskFn = Callable[[Task], Any]


class WorkerLost(RuntimeError):
    """A task's worker died every time it was tried."""


def _lost(task: Task, tries: int, why: str) -> WorkerLost:
    return WorkerLost(f"point {task.point} replication {task.replication}: its worker died {tries} time(s) "
                      f"({why}); giving up on it")


def time_limited(fn: TaskFn, timeout_s: float, task: Task) -> Any:
    """Runs fn(task) in a worker process that the kernel ends (SIGALRM, default action) if the task
    takes longer than timeout_s: the engine runs without the GIL, so nothing in Python could stop
    it. The executor then sees a dead worker, and the task is retried and finally reported."""
    signal.alarm(max(1, math.ceil(timeout_s)))
    try:
        return fn(task)
    finally:
        signal.alarm(0)


def _guard(fn: TaskFn, timeout_s: Optional[float]) -> TaskFn:
    return fn if timeout_s is None else functools.partial(time_limited, fn, timeout_s)


def _why(timeout_s: Optional[float]) -> str:
    limit = f", or the run took longer than the {timeout_s:g} s time limit" if timeout_s is not None else ""
    return f"the worker process exited abruptly: killed, out of memory{limit}"


class SerialExecutor:
    """Runs tasks one after the other in this process (workers=0): for debugging and tiny studies."""

    name = "serial"
    workers = 0
    ticks = False  # a run in this process cannot be interrupted to tick

    def run(self, fn: TaskFn, tasks: Iterable[Task], retries: int = 3) -> Iterator[Outcome]:
        for task in _feed_iter(tasks):
            try:
                yield task, True, fn(task)
            except Exception as exc:  # noqa: BLE001 - reported to the caller with its task
                yield task, False, exc

    def close(self) -> None:
        pass


def _die_with_parent(parent_pid: int) -> None:
    """In each worker: the kernel kills it when the driver dies, even by kill -9 (which runs no
    cleanup), instead of leaving it blocked forever on a queue nobody reads (Linux
    PR_SET_PDEATHSIG; elsewhere a no-op). It also ignores Ctrl-C, which the terminal sends to the
    whole process group: the driver handles it (saves what is done, ends the pool), and a worker
    would only print a KeyboardInterrupt traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the driver died before prctl took effect
        os._exit(1)


def _is_feed(tasks: Any) -> bool:
    """A feed hands out tasks as the caller allows them (take(room) -> list), instead of all at once."""
    return hasattr(tasks, "take")


def _feed_iter(tasks: Any) -> Iterator[Task]:
    """The tasks one by one; a feed is asked for the next only once the previous outcome is handed out."""
    if not _is_feed(tasks):
        yield from tasks
        return
    while True:
        batch = tasks.take(1)
        if not batch:
            return
        yield from batch


def _submit(pool: ProcessPoolExecutor, fn: TaskFn, task: Task, inflight: Dict[Future, Task]) -> bool:
    """Submits one task; False if the pool is already broken (a worker died)."""
    try:
        inflight[pool.submit(fn, task)] = task
    except BrokenProcessPool:
        return False
    return True


class LocalExecutor:
    """Worker processes on this machine (concurrent.futures, spawn start method)."""

    name = "local"
    ticks = True

    def __init__(self, workers: Optional[int] = None, timeout_s: Optional[float] = None) -> None:
        self.timeout_s = timeout_s
        if workers is None:
            workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        if workers < 1:
            raise ValueError(f"workers must be >= 1 (got {workers})")
        self.workers = workers
        self._pool: Optional[ProcessPoolExecutor] = None  # kept between run() calls until close()

    def run(self, fn: TaskFn, tasks: Iterable[Task], retries: int = 3,
            tick_s: Optional[float] = None, kill_running: bool = False) -> Iterator[Optional[Outcome]]:
        fn = _guard(fn, self.timeout_s)
        context = multiprocessing.get_context("spawn")
        feed = tasks if _is_feed(tasks) else None
        pending: Deque[Task] = deque() if feed is not None else deque(tasks)
        # Tasks that were in the pool when a worker died. Which one killed it is unknown, so each is
        # run again alone: one that kills its worker while alone is the culprit, and is charged a try.
        suspects: Deque[Task] = deque()
        tries: Dict[Tuple[str, int], int] = {}
        inflight: Dict[Future, Task] = {}
        pool = self._pool
        finished = False
        limit = 2 * self.workers  # a few queued per worker keeps them busy; an interrupt cancels the rest

        def refill() -> None:
            if feed is not None and not suspects:
                room = limit - len(inflight) - len(pending)
                if room > 0:
                    pending.extend(feed.take(room))

        try:
            refill()
            while pending or suspects or inflight:
                if pool is None:
                    pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                               initializer=_die_with_parent, initargs=(os.getpid(),))
                # A worker that dies while results are handed out breaks the pool before wait() says
                # so: submit() then raises BrokenProcessPool, and the task goes back where it was.
                submit_failed = False
                if suspects:
                    if not inflight:
                        task = suspects.popleft()
                        if not _submit(pool, fn, task, inflight):
                            suspects.appendleft(task)
                            submit_failed = True
                else:
                    while pending and len(inflight) < limit:
                        task = pending.popleft()
                        if not _submit(pool, fn, task, inflight):
                            pending.appendleft(task)
                            submit_failed = True
                            break
                alone = len(inflight) == 1 and not submit_failed
                done = set() if submit_failed else wait(list(inflight), timeout=tick_s,
                                                        return_when=FIRST_COMPLETED)[0]
                if not done and not submit_failed:
                    yield None  # a tick: nothing finished within tick_s
                    refill()
                    continue
                broken = submit_failed
                for future in done:
                    task = inflight.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        broken = True
                        inflight[future] = task  # handled with the others below
                    except Exception as exc:  # noqa: BLE001 - the task's own error
                        yield task, False, exc
                    else:
                        yield task, True, result
                if broken:
                    lost = list(inflight.values())
                    inflight.clear()
                    pool.shutdown(wait=True, cancel_futures=True)
                    pool = None
                    if alone:
                        task = lost[0]
                        tries[task.key] = tries.get(task.key, 0) + 1
                        if tries[task.key] > retries:
                            yield task, False, _lost(task, tries[task.key], _why(self.timeout_s))
                        else:
                            suspects.appendleft(task)
                    else:
                        suspects.extend(lost)
                refill()
            finished = True
        finally:
            if pool is not None and not finished:  # interrupted: drop what is queued
                # The worker processes, taken before shutdown forgets them (the standard library's
                # own table: Python 3.14's terminate_workers() does the same).
                running = list((pool._processes or {}).values()) if kill_running else []
                results = pool._result_queue if kill_running else None
                pool.shutdown(wait=False, cancel_futures=True)
                for process in running:
                    process.kill()
                if results is not None:
                    # A worker killed while it wrote its result leaves half a message in the result
                    # pipe: the pool's manager thread would wait for the rest for ever, and the
                    # interpreter with it at exit. With every worker gone, closing this process's
                    # own write end makes that wait an end of file, which the manager thread takes
                    # as a broken pool, and ends.
                    for process in running:
                        process.join()
                    results._writer.close()
                pool = None
            self._pool = pool

    def close(self) -> None:
        if self._pool is not None:
            # Every task has finished: the workers are told to exit and do so while the study assembles
            # its table (waiting for them cost 0.1-0.2 s at the end of every sweep).
            self._pool.shutdown(wait=False)
            self._pool = None


class DaskExecutor:
    """A Dask distributed cluster, given by its scheduler address or a connected Client."""

    name = "dask"
    ticks = False

    def __init__(self, scheduler: Any, timeout_s: Optional[float] = None) -> None:
        from dask.distributed import Client

        self.timeout_s = timeout_s
        if isinstance(scheduler, Client):
            self.client, self._own = scheduler, False
        elif isinstance(scheduler, str):
            self.client, self._own = Client(scheduler), True
        else:
            raise TypeError(f"scheduler must be an address such as 'tcp://host:8786' or a "
                            f"dask.distributed.Client (got {type(scheduler).__name__})")
        info = self.client.scheduler_info()
        self.workers = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values())

    def run(self, fn: TaskFn, tasks: Iterable[Task], retries: int = 3) -> Iterator[Outcome]:
        from dask.distributed import as_completed
        from distributed.scheduler import KilledWorker

        import uuid  # here, not at a local worker's start (it loads platform)

        fn = _guard(fn, self.timeout_s)
        run_id = uuid.uuid4().hex[:8]
        tries: Dict[Tuple[str, int], int] = {}
        outstanding: Dict[str, Tuple[Any, Task]] = {}  # Dask key -> (future, task)

        def submit(task: Task) -> Any:
            key = f"wsfleet-{run_id}-{task.point_id}-r{task.replication}-t{tries.get(task.key, 0)}"
            future = self.client.submit(fn, task, key=key, pure=False)
            outstanding[future.key] = (future, task)
            return future

        # A feed (a replicated run) is asked for more after each outcome is handed out, so that what
        # runs next follows what has finished; a few per worker are kept in flight, as locally.
        feed = tasks if _is_feed(tasks) else None
        limit = 2 * max(self.workers, 1)
        futures = as_completed([submit(t) for t in (feed.take(limit) if feed is not None else tasks)])
        try:
            for future in futures:
                _, task = outstanding.pop(future.key)
                try:
                    result = future.result()
                except KilledWorker as exc:
                    tries[task.key] = tries.get(task.key, 0) + 1
                    if tries[task.key] > retries:
                        yield task, False, _lost(task, tries[task.key], str(exc).splitlines()[0]
                                                 + (f" ({_why(self.timeout_s)})" if self.timeout_s else ""))
                    else:
                        futures.add(submit(task))
                except Exception as exc:  # noqa: BLE001 - the task's own error
                    yield task, False, exc
                else:
                    yield task, True, result
                finally:
                    future.release()
                if feed is not None:
                    for more in feed.take(limit - len(outstanding)):
                        futures.add(submit(more))
        finally:
            if outstanding:  # interrupted: stop what has not run yet
                self.client.cancel([f for f, _ in outstanding.values()])

    def close(self) -> None:
        if self._own:
            self.client.close()


def make_executor(workers: Optional[int] = None, scheduler: Any = None, timeout_s: Optional[float] = None):
    """The executor for `workers` (None: one per core; 0: in this process) or a Dask `scheduler`.
    timeout_s: the longest one run may take (worker processes only: not with workers=0)."""
    if timeout_s is not None and (not math.isfinite(timeout_s) or timeout_s <= 0):
        raise ValueError(f"timeout must be a number of seconds > 0 (got {timeout_s!r})")
    if scheduler is not None:
        return DaskExecutor(scheduler, timeout_s)
    if workers == 0:
        if timeout_s is not None:
            raise ValueError("a time limit needs worker processes (workers >= 1 or a Dask scheduler), "
                             "not workers=0")
        return SerialExecutor()
    unguarded = unguarded_call_line()
    if unguarded is not None:
        raise ValueError(f"{unguarded[0]}:{unguarded[1]}: {GUARD_HINT}")
    return LocalExecutor(workers, timeout_s)
